#include "sql/dialect.h"

#include <fmt/format.h>

namespace flowsync {

std::string_view SqlDialectName(SqlDialect dialect) {
  return dialect == SqlDialect::kPostgres ? "postgres" : "sqlite";
}

std::string_view SqlNow(SqlDialect dialect) {
  return dialect == SqlDialect::kPostgres ? "now()" : "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
}

std::string SqlTimestampText(SqlDialect dialect, std::string_view column) {
  if (dialect == SqlDialect::kSqlite) return std::string(column);
  return fmt::format("to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')", column);
}

std::string SqlAsText(SqlDialect dialect, std::string_view expr) {
  if (dialect == SqlDialect::kSqlite) return std::string(expr);
  return std::string(expr) + "::text";
}

std::string_view SqlByteOrder(SqlDialect dialect) {
  return dialect == SqlDialect::kPostgres ? " COLLATE \"C\"" : "";
}

std::string_view SqlRowOrder(SqlDialect dialect) {
  return dialect == SqlDialect::kPostgres ? "ctid" : "rowid";
}

namespace {

// Control bytes a reviewed SQL file must not hold raw: they can hide text
// on a terminal (ESC), end the SQLite tokenizer (NUL) or be mangled by
// editors; tab, line feed and carriage return are ordinary text.
bool IsHiddenControl(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

// One literal of `text`, which holds no hidden control byte.
std::string PlainLiteral(SqlDialect dialect, std::string_view text) {
  std::string out;
  if (dialect == SqlDialect::kSqlite) {
    out.reserve(text.size() + 2);
    out += '\'';
    for (char c : text) {
      if (c == '\'') out += '\'';
      out += c;
    }
    out += '\'';
    return out;
  }
  // A dollar-quoted string ends at the first occurrence of its tag, so pick
  // one that first occurs in text + tag where the closing tag starts: not
  // inside the text, and not across its end ("a$fs" + "$fs$").
  std::string tag = "$fs$";
  std::string probe(text);
  for (int n = 1; (probe + tag).find(tag) != text.size(); ++n) {
    tag = "$fs" + std::to_string(n) + "$";
  }
  out.reserve(text.size() + 2 * tag.size());
  out += tag;
  out += text;
  out += tag;
  return out;
}

}  // namespace

std::string SqlStringLiteral(SqlDialect dialect, std::string_view text) {
  size_t pos = 0;
  while (pos < text.size() && !IsHiddenControl(static_cast<unsigned char>(text[pos]))) ++pos;
  if (pos == text.size()) return PlainLiteral(dialect, text);
  // Plain pieces joined with char(N) (SQLite) or chr(N) (PostgreSQL) for
  // each hidden control byte, in parentheses so that a cast applies to all.
  const char* function = dialect == SqlDialect::kSqlite ? "char" : "chr";
  std::string out = "(";
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!IsHiddenControl(c)) continue;
    if (i > start) out += PlainLiteral(dialect, text.substr(start, i - start)) + " || ";
    out += fmt::format("{}({})", function, c);
    if (i + 1 < text.size()) out += " || ";
    start = i + 1;
  }
  if (start < text.size()) out += PlainLiteral(dialect, text.substr(start));
  out += ')';
  return out;
}

bool HasJsonbDefinition(const ParsedWorkflow& wf) {
  return wf.format != Format::kPhase && wf.content.find("\\u0000") == std::string::npos;
}

}  // namespace flowsync
