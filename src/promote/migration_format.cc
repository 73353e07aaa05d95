#include "promote/migration_format.h"

#include <vector>

#include "sql/script.h"
#include "util/hash.h"

namespace flowsync {

std::string MigrationChecksum(std::string_view bytes) {
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  std::string normal;
  normal.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') continue;
    normal += bytes[i];
  }
  return "sha256:" + Sha256Hex(normal);
}

namespace {

// The header: the comment lines a file starts with, without line ends.
std::vector<std::string_view> HeaderLines(std::string_view sql) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < sql.size()) {
    size_t end = sql.find('\n', pos);
    if (end == std::string_view::npos) end = sql.size();
    std::string_view line = sql.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 2) != "--") break;
    lines.push_back(line);
    pos = end + 1;
  }
  return lines;
}

std::string_view StripZeros(std::string_view v) {
  while (v.size() > 1 && v.front() == '0') v.remove_prefix(1);
  return v;
}

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

}  // namespace

int CompareMigrationVersions(std::string_view a, std::string_view b) {
  // A timestamp (YYYYMMDDHHMMSS) has 14 digits; shorter versions are plain
  // numbers.
  constexpr size_t kTimestampDigits = 14;
  std::string_view x = StripZeros(a), y = StripZeros(b);
  const bool x_text = x.size() >= kTimestampDigits, y_text = y.size() >= kTimestampDigits;
  if (x_text != y_text) return x_text ? 1 : -1;
  if (!x_text && x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  if (int c = x.compare(y); c != 0) return Sign(c);
  return Sign(a.compare(b));
}

std::optional<SidecarRef> FindSidecarRef(std::string_view sql) {
  for (std::string_view line : HeaderLines(sql)) {
    if (line.substr(0, kSidecarHeader.size()) != kSidecarHeader) continue;
    std::string_view rest = line.substr(kSidecarHeader.size());
    size_t space = rest.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    return SidecarRef{std::string(rest.substr(0, space)), std::string(rest.substr(space + 1))};
  }
  return std::nullopt;
}

std::optional<SqlDialect> FindHeaderDialect(std::string_view sql) {
  for (std::string_view line : HeaderLines(sql)) {
    if (line == "-- Dialect: sqlite") return SqlDialect::kSqlite;
    if (line == "-- Dialect: postgres") return SqlDialect::kPostgres;
  }
  return std::nullopt;
}

bool IsWorkflowMigration(std::string_view sql) {
  for (std::string_view line : HeaderLines(sql)) {
    if (line == kWorkflowMigrationMarker) return true;
  }
  return false;
}

size_t CountSidecarTokens(std::string_view sql) { return FindInCode(sql, kSidecarToken).size(); }

std::string SubstituteSidecar(SqlDialect dialect, std::string_view sql, std::string_view content) {
  std::string literal = SqlStringLiteral(dialect, content);
  std::string out;
  out.reserve(sql.size() + literal.size());
  size_t pos = 0;
  for (size_t hit : FindInCode(sql, kSidecarToken)) {
    out.append(sql.substr(pos, hit - pos));
    out += literal;
    pos = hit + kSidecarToken.size();
  }
  out.append(sql.substr(pos));
  return out;
}

std::optional<std::string> FindHeaderField(std::string_view sql, std::string_view key) {
  for (std::string_view line : HeaderLines(sql)) {
    if (line.size() < key.size() + 5 || line.substr(0, 3) != "-- ") continue;
    std::string_view rest = line.substr(3);
    if (rest.substr(0, key.size()) == key && rest.substr(key.size(), 2) == ": ") {
      return std::string(rest.substr(key.size() + 2));
    }
  }
  return std::nullopt;
}

std::optional<std::string> FindHeaderMigrationName(std::string_view sql) {
  return FindHeaderField(sql, "Migration");
}

bool IsN8nWorkflowMigration(std::string_view sql) {
  return IsWorkflowMigration(sql) &&
         FindHeaderField(sql, kTargetKey) == std::optional<std::string>("n8n");
}

}  // namespace flowsync
