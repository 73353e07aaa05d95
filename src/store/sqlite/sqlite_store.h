// The embedded SQLite backend of Store (WAL mode).
#pragma once

#include <memory>
#include <string>

#include "flowsync/store.h"

namespace flowsync::sqlite {

// Opens the database file at `path`. See OpenStore() for the contract.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const StoreOptions& options);

}  // namespace flowsync::sqlite
