// A sync run's writes on PostgreSQL, inside a transaction the caller has
// begun on the session's data connection (holding the writer lock when
// writing). Added workflows stream through one COPY while files are still
// being read; child and log rows are buffered and copied before any other
// statement. Commit() checks the lock is still held, commits and releases
// it; destruction without Commit() rolls back and releases it.
#pragma once

#include <memory>

#include "flowsync/sync_transaction.h"
#include "store/postgres/pg_session.h"

namespace flowsync::postgres {

// REQUIRES: a transaction is open on session->data() (and, unless
// read_only, the writer lock is held); `session` outlives the result.
std::unique_ptr<SyncTransaction> NewPgSyncTransaction(PgSession* session, bool read_only);

}  // namespace flowsync::postgres
