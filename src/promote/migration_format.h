// What a flowsync migration file is: the contract between `flowsync
// migration create` (promote/migration_writer), the runner (promote/migrate)
// and the SQL a workflow migration holds (promote/workflow_sql).
//
// A migration is a file VERSION_NAME.sql in the migrations folder, VERSION
// being its leading digits (YYYYMMDDHHMMSS for generated files, as dbmate
// names them). Its SQL is either
//   - plain: the whole file is the "up" SQL (psql, sqlite3 and the Supabase
//     CLI can apply it as it is); or
//   - dbmate style: a line "-- migrate:up [options]" starts the up section
//     and a line "-- migrate:down [options]" the down section. The only
//     option is transaction:false.
//
// Generated workflow migrations carry a header of "-- " comment lines; two
// of them are read by the runner:
//   "-- flowsync:workflow-migration v1"  the file upserts one workflow and
//       records it in migration_metadata; without a down section, `down`
//       runs WorkflowDownSql for it.
//   "-- Sidecar: NAME.json sha256:HEX"  the content is in NAME.json (same
//       folder); the SQL holds kSidecarToken where its literal goes. psql
//       users can apply such a file with
//       psql -v flowsync_content="$(cat NAME.json)" -f FILE.sql.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "flowsync/store.h"

namespace flowsync {

inline constexpr std::string_view kWorkflowMigrationMarker = "-- flowsync:workflow-migration v1";
inline constexpr std::string_view kSidecarToken = ":'flowsync_content'";
inline constexpr std::string_view kSidecarHeader = "-- Sidecar: ";
// Above this many bytes of content, `migration create` writes a sidecar.
inline constexpr size_t kDefaultSidecarThreshold = 256 * 1024;

// "sha256:<64 hex>" over `bytes` with a leading UTF-8 BOM removed and every
// CRLF turned into LF, so a checkout with other line endings is not a
// change. The algorithm name is part of the value: a future algorithm gets
// a new prefix and the old one stays readable.
std::string MigrationChecksum(std::string_view bytes);

// A SQL string literal holding exactly `text` (any bytes but NUL).
//   SQLite: '...' with quotes doubled.
//   PostgreSQL: dollar quoting, $fs$...$fs$, with a tag the text does not
//   contain, so neither backslashes nor standard_conforming_strings matter.
std::string SqlStringLiteral(SqlDialect dialect, std::string_view text);

struct SidecarRef {
  std::string file;    // "20261122101500_name.json"
  std::string sha256;  // "sha256:<hex>" of the file's bytes, as written
};
// The sidecar a generated migration names in its header, if any.
std::optional<SidecarRef> FindSidecarRef(std::string_view sql);

// The dialect a generated file's header names ("-- Dialect: postgres").
std::optional<SqlDialect> FindHeaderDialect(std::string_view sql);

// True when the file is a generated workflow migration (has the marker).
bool IsWorkflowMigration(std::string_view sql);

// Replaces kSidecarToken in `sql` with a literal of `content`.
std::string SubstituteSidecar(SqlDialect dialect, std::string_view sql, std::string_view content);

}  // namespace flowsync
