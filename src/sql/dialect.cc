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

std::string SqlStringLiteral(SqlDialect dialect, std::string_view text) {
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

bool HasJsonbDefinition(const ParsedWorkflow& wf) {
  return wf.format != Format::kPhase && wf.content.find("\\u0000") == std::string::npos;
}

}  // namespace flowsync
