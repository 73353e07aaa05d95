// The PostgreSQL backend of Store, over libpq.
//
// Several flowsync processes, on one machine or many, may share one database:
// writers serialise on a session advisory lock taken with
// pg_try_advisory_lock in a loop on a dedicated connection (never blocking
// inside pg_advisory_lock), so a waiter can give up after the timeout and
// name the holder. Bulk writes go through COPY.
#pragma once

#include <memory>

#include "flowsync/store.h"

namespace flowsync::postgres {

// `url` is a postgres:// or postgresql:// URL; libpq options in it pass
// through (sslmode, connect_timeout, application_name, options, ...), and
// `schema=NAME` (flowsync's own) selects the schema, created if missing.
Result<std::unique_ptr<Store>> OpenPostgresStore(const DatabaseUrl& url,
                                                 const StoreOptions& options);

}  // namespace flowsync::postgres
