// The SQLite schema of flowsync and its version history.
//
// Versions (flowsync_meta.schema_version):
//   1  workflows, categories, ratings, versions, findings, phase entries,
//      sync log, sync runs; workflows, versions, log rows and runs carry
//      their project.
//   2  migrations: sync_runs mode 'migration', migration_metadata (what a
//      generated workflow migration changed), flowsync_migrations and
//      flowsync_migration_events (the runner's history).
// Policy: an older database is upgraded in one transaction when opened; a
// newer one is refused (Unsupported) and left untouched.
#pragma once

#include <string_view>
#include <vector>

namespace flowsync::sqlite {

inline constexpr int kSchemaVersion = 2;

// Statements that take a database at version `from` to `from + 1`
// (from = 0: an empty database).
std::string_view SchemaStep(int from);

}  // namespace flowsync::sqlite
