// The SQL dialects flowsync speaks: one per backend.
#pragma once

#include <string_view>

namespace flowsync {

enum class SqlDialect { kSqlite, kPostgres };

// "sqlite", "postgres": the words of `--dialect` and of generated headers.
std::string_view SqlDialectName(SqlDialect dialect);

}  // namespace flowsync
