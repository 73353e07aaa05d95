// Reading the phase cache's tables (workflow_files, workflow_phases): the
// same SQL on both backends (internal). Writing stays per backend (COPY on
// PostgreSQL, prepared statements on SQLite).
#pragma once

#include <vector>

#include "flowsync/phase_cache.h"
#include "store/sql_connection.h"

namespace flowsync {

// The stored files of the connection's project in key order (bytes), each
// with its phases in file order, read in one snapshot. Corruption naming the
// file for a timestamp that is not one.
Result<std::vector<StoredPhaseFile>> LoadPhaseFiles(SqlConnection& conn);

}  // namespace flowsync
