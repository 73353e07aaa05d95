// The migration runner's access to a SQLite database: the store's own
// connection, plus an flock(2) on "<database>-migrate.lock" held for the
// object's life. The kernel drops the lock when the process dies, so a
// crash never leaves it stuck.
#pragma once

#include <memory>
#include <string>

#include "flowsync/clock.h"
#include "flowsync/migration_history.h"
#include "store/sqlite/sqlite_db.h"

namespace flowsync::sqlite {

// Takes the migration lock of the database at `path` (none for ":memory:"
// or ""), waiting up to `lock_timeout_ms`; Busy naming the holder (pid, host,
// since when, by `clock`) after that. `describe` names the database in messages.
// REQUIRES: `db` is that database's connection and outlives the result.
Result<std::unique_ptr<MigrationHistory>> OpenSqliteMigrationHistory(Db* db,
                                                                     const std::string& path,
                                                                     const std::string& describe,
                                                                     int lock_timeout_ms,
                                                                     const Clock& clock);

}  // namespace flowsync::sqlite
