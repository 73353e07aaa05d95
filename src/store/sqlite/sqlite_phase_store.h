// The phase cache's tables (workflow_files, workflow_phases) on a store's
// SQLite connection, for the connection's project.
#pragma once

#include <memory>

#include "flowsync/phase_cache.h"
#include "store/sqlite/sqlite_db.h"

namespace flowsync::sqlite {

// REQUIRES: `db` outlives the result.
std::unique_ptr<PhaseStore> NewSqlitePhaseStore(Db* db);

}  // namespace flowsync::sqlite
