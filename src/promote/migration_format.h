// What a flowsync migration file is: the contract between `flowsync
// migration create` (promote/migration_writer), the runner (promote/migrate)
// and the SQL a workflow migration holds (promote/workflow_sql).
//
// A migration is a file VERSION_NAME.sql in the migrations folder, VERSION
// being its leading digits (YYYYMMDDHHMMSS for generated files, as dbmate
// names them, followed by a counter when one run writes several; see
// migration_writer.h). Its SQL is either
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
//       folder); the SQL holds kSidecarToken (psql's syntax for a quoted
//       variable) once, outside quotes and comments, where its literal goes.
//       The runner loads, verifies and substitutes it. psql can apply such
//       a file with the sidecar's bytes as the variable; in a shell, keep
//       the trailing newlines that $(...) would drop:
//       c="$(cat NAME.json; echo .)"; psql -v flowsync_content="${c%.}" -f FILE.sql
//   "-- Migration: FILE"  the name the file was generated with, which is
//       its key in migration_metadata even if the file is renamed later.
//   "-- Target: n8n"  the file writes n8n's own tables
//       (promote/n8n_workflow_sql.h); `down` then runs N8nWorkflowDownSql.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flowsync/sql_dialect.h"
#include "sql/dialect.h"

namespace flowsync {

inline constexpr std::string_view kWorkflowMigrationMarker = "-- flowsync:workflow-migration v1";
inline constexpr std::string_view kSidecarToken = ":'flowsync_content'";
inline constexpr std::string_view kSidecarHeader = "-- Sidecar: ";
// Above this many bytes of content, `migration create` writes a sidecar.
inline constexpr size_t kDefaultSidecarThreshold = 256 * 1024;
// Larger migration files and sidecars are refused when read.
inline constexpr uint64_t kMaxMigrationFileSize = 1ull << 30;

// How versions are ordered, by the runner (apply order, the out-of-order
// check, --to, baseline) and by `migration create` (which versions it must
// follow). Leading zeros are ignored. A version of fewer than 14 digits is
// a number (2 before 10) and sorts before every longer one. Versions of 14
// digits or more (a YYYYMMDDHHMMSS timestamp, perhaps followed by a
// counter) compare as text, as dbmate compares versions and sorts file
// names: "2026112210145901" sorts after "20261122101459" and before
// "20261122101500". Equal numbers tie by text ("010" before "10").
// Returns <0, 0 or >0.
int CompareMigrationVersions(std::string_view a, std::string_view b);

// "sha256:<64 hex>" over `bytes` with a leading UTF-8 BOM removed and every
// CRLF turned into LF, so a checkout with other line endings is not a
// change. The algorithm name is part of the value: a future algorithm gets
// a new prefix and the old one stays readable.
std::string MigrationChecksum(std::string_view bytes);

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

inline constexpr std::string_view kTargetKey = "Target";
// True when a generated workflow migration's header says "-- Target: n8n".
bool IsN8nWorkflowMigration(std::string_view sql);

// How often kSidecarToken occurs outside quotes and comments (a workflow's
// name or README may hold the same text inside a literal).
size_t CountSidecarTokens(std::string_view sql);

// Replaces kSidecarToken outside quotes and comments with a literal of
// `content`.
std::string SubstituteSidecar(SqlDialect dialect, std::string_view sql, std::string_view content);

// The VALUE of the first header line "-- KEY: VALUE", as written (generated
// headers escape values with EscapeHeaderText), if any.
std::optional<std::string> FindHeaderField(std::string_view sql, std::string_view key);

// The "-- Migration: FILE" header line's FILE, if any.
std::optional<std::string> FindHeaderMigrationName(std::string_view sql);

}  // namespace flowsync
