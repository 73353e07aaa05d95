// Statements both backends run with the same text (internal): written once
// here, with the dialect's few differences filled in.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "flowsync/sql_dialect.h"

namespace flowsync {

// Recomputes the "duplicate-source-id" warning finding of every live
// workflow of the project: a DELETE, then an INSERT ... SELECT. `project` is
// the SQL naming the store's project (SqlConnection::ProjectSql()).
std::vector<std::string> SourceIdFindingsSql(SqlDialect dialect, std::string_view project);

}  // namespace flowsync
