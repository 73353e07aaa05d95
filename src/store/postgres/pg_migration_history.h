// The migration runner's access to a PostgreSQL database: the store's data
// connection, holding the writer lock (the advisory lock syncs take) for
// the object's life.
#pragma once

#include <memory>

#include "flowsync/migration_history.h"
#include "store/postgres/pg_session.h"

namespace flowsync::postgres {

// Takes the writer lock (waiting up to the store's lock timeout, else Busy
// naming the holder). REQUIRES: `session` outlives the result.
Result<std::unique_ptr<MigrationHistory>> OpenPgMigrationHistory(PgSession* session);

}  // namespace flowsync::postgres
