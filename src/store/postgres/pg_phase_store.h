// The phase cache's tables (workflow_files, workflow_phases) on a store's
// PostgreSQL session, for its project; writes take the writer lock, as
// syncs do, and go through COPY.
#pragma once

#include <memory>

#include "flowsync/phase_cache.h"
#include "store/postgres/pg_session.h"

namespace flowsync::postgres {

// REQUIRES: `session` outlives the result.
std::unique_ptr<PhaseStore> NewPgPhaseStore(PgSession* session);

}  // namespace flowsync::postgres
