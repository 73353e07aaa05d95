#include "sql/script.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace flowsync {
namespace {

bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Skips a comment starting at `i` (which holds "--" or "/*"); returns the
// offset just after it.
size_t SkipComment(std::string_view sql, size_t i) {
  if (sql[i] == '-') {
    size_t end = sql.find('\n', i);
    return end == std::string_view::npos ? sql.size() : end + 1;
  }
  int depth = 0;
  while (i < sql.size()) {
    if (sql.compare(i, 2, "/*") == 0) {
      ++depth;
      i += 2;
    } else if (sql.compare(i, 2, "*/") == 0) {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return sql.size();
}

bool StartsComment(std::string_view sql, size_t i) {
  return sql.compare(i, 2, "--") == 0 || sql.compare(i, 2, "/*") == 0;
}

// The dollar-quote tag ("$tag$" or "$$") starting at `i`, or empty.
std::string_view DollarTag(std::string_view sql, size_t i) {
  if (i > 0 && IsIdentChar(sql[i - 1])) return {};  // part of an identifier
  size_t j = i + 1;
  if (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) return {};  // $1
  while (j < sql.size() && sql[j] != '$') {
    if (!IsIdentChar(sql[j]) || sql[j] == '$') return {};
    ++j;
  }
  if (j >= sql.size()) return {};
  return sql.substr(i, j - i + 1);
}

}  // namespace

size_t SkipBlanksAndComments(std::string_view sql, size_t offset) {
  size_t i = offset;
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i])) != 0) {
      ++i;
    } else if (StartsComment(sql, i)) {
      i = SkipComment(sql, i);
    } else {
      break;
    }
  }
  return i;
}

namespace {

// The offset just after the string, quoted identifier, dollar-quoted body
// or comment starting at `i`; `i` itself when none starts there.
size_t SkipQuotedOrComment(std::string_view sql, size_t i) {
  char c = sql[i];
  if (StartsComment(sql, i)) return SkipComment(sql, i);
  if (c == '\'') {
    // E'...' (not part of a longer identifier) allows backslash escapes.
    bool escapes =
        i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !IsIdentChar(sql[i - 2]));
    ++i;
    while (i < sql.size()) {
      if (escapes && sql[i] == '\\') {
        i += 2;
      } else if (sql[i] == '\'') {
        if (i + 1 < sql.size() && sql[i + 1] == '\'') {
          i += 2;
        } else {
          return i + 1;
        }
      } else {
        ++i;
      }
    }
    return sql.size();
  }
  if (c == '"') {
    size_t end = i + 1;
    while (true) {
      end = sql.find('"', end);
      if (end == std::string_view::npos || end + 1 >= sql.size() || sql[end + 1] != '"') break;
      end += 2;
    }
    return end == std::string_view::npos ? sql.size() : end + 1;
  }
  if (c == '$') {
    std::string_view tag = DollarTag(sql, i);
    if (tag.empty()) return i;
    size_t end = sql.find(tag, i + tag.size());
    return end == std::string_view::npos ? sql.size() : end + tag.size();
  }
  return i;
}

}  // namespace

std::vector<ScriptStatement> SplitSqlScript(std::string_view sql) {
  std::vector<ScriptStatement> out;
  size_t start = SkipBlanksAndComments(sql, 0);
  size_t i = start;
  auto finish = [&](size_t end) {
    if (end > start) out.push_back({start, end - start});
  };
  while (i < sql.size()) {
    if (sql[i] == ';') {
      finish(i);
      start = SkipBlanksAndComments(sql, i + 1);
      i = start;
      continue;
    }
    size_t next = SkipQuotedOrComment(sql, i);
    i = next == i ? i + 1 : next;
  }
  size_t end = std::min(i, sql.size());
  // Trailing blanks of the last statement are not part of it.
  while (end > start && std::isspace(static_cast<unsigned char>(sql[end - 1])) != 0) --end;
  finish(end);
  return out;
}

std::vector<size_t> FindInCode(std::string_view sql, std::string_view needle) {
  std::vector<size_t> out;
  size_t i = 0;
  while (i < sql.size()) {
    if (!needle.empty() && sql.compare(i, needle.size(), needle) == 0) {
      out.push_back(i);
      i += needle.size();
      continue;
    }
    size_t next = SkipQuotedOrComment(sql, i);
    i = next == i ? i + 1 : next;
  }
  return out;
}

Status ScriptStatementError(std::string_view sql, size_t offset, int number,
                            const Status& database_error) {
  offset = std::min(offset, sql.size());
  int line = 1 + static_cast<int>(std::count(sql.begin(), sql.begin() + offset, '\n'));
  size_t eol = sql.find('\n', offset);
  std::string_view first = sql.substr(offset, eol == std::string_view::npos ? eol : eol - offset);
  while (!first.empty() && (first.back() == '\r' || first.back() == ' ' || first.back() == ';')) {
    first.remove_suffix(1);
  }
  std::string text(first.substr(0, 80));
  if (first.size() > 80) text += " ...";
  // A server's detail lines can quote a whole failing row (PostgreSQL's
  // "Failing row contains (...)"): a workflow's content has no place in an
  // error message or the history.
  std::string message;
  std::string_view rest = database_error.message();
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view one = rest.substr(0, nl);
    if (!message.empty()) message += '\n';
    message += one.substr(0, 300);
    if (one.size() > 300) message += " ...";
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  return Status(database_error.code(),
                fmt::format("statement {} (line {}: {}): {}", number, line, text, message));
}

}  // namespace flowsync
