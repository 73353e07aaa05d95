#include "store/postgres/pg_connection.h"

namespace flowsync::postgres {

Status PgConnection::QueryEach(std::string_view sql, const std::vector<SqlValue>& params,
                               std::string_view what,
                               const std::function<Status(const SqlRowView&)>& row) {
  std::vector<PgParam> pg;
  pg.reserve(params.size());
  for (const SqlValue& p : params) pg.push_back(p ? PgParam(*p) : PgParam());
  FS_TRY_ASSIGN(PgResult r, conn_->Exec(sql, pg, what));
  const int columns = r.get() != nullptr ? PQnfields(r.get()) : 0;
  SqlRowView view(static_cast<size_t>(columns));
  for (int i = 0; i < r.rows(); ++i) {
    for (int c = 0; c < columns; ++c) {
      view[static_cast<size_t>(c)] =
          r.IsNull(i, c) ? std::optional<std::string_view>()
                         : std::string_view(PQgetvalue(r.get(), i, c),
                                            static_cast<size_t>(PQgetlength(r.get(), i, c)));
    }
    FS_TRY(row(view));
  }
  return Status::OK();
}

}  // namespace flowsync::postgres
