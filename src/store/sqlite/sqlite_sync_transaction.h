// A sync run's writes on SQLite: prepared statements, cached for the run,
// inside a transaction the caller has begun (BEGIN IMMEDIATE for writing,
// which holds SQLite's write lock; BEGIN DEFERRED for a dry run). Commit()
// ends it; destruction without Commit() rolls it back.
#pragma once

#include <memory>

#include "flowsync/sync_transaction.h"
#include "store/sqlite/sqlite_db.h"

namespace flowsync::sqlite {

// REQUIRES: a transaction is open on `db`, and `db` outlives the result.
std::unique_ptr<SyncTransaction> NewSqliteSyncTransaction(Db* db, bool read_only);

}  // namespace flowsync::sqlite
