#include "store/postgres/pg_connection.h"

namespace flowsync::postgres {

Result<std::vector<SqlRow>> PgConnection::Query(std::string_view sql,
                                                const std::vector<SqlValue>& params,
                                                std::string_view what) {
  std::vector<PgParam> pg;
  pg.reserve(params.size());
  for (const SqlValue& p : params) pg.push_back(p ? PgParam(*p) : PgParam());
  FS_TRY_ASSIGN(PgResult r, conn_->Exec(sql, pg, what));
  std::vector<SqlRow> rows;
  const int columns = r.get() != nullptr ? PQnfields(r.get()) : 0;
  rows.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    SqlRow row;
    row.reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) row.push_back(r.OptionalText(i, c));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace flowsync::postgres
