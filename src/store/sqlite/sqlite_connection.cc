#include "store/sqlite/sqlite_connection.h"

#include <string>

namespace flowsync::sqlite {

Status SqliteConnection::QueryEach(std::string_view sql, const std::vector<SqlValue>& params,
                                   std::string_view what,
                                   const std::function<Status(const SqlRowView&)>& row) {
  auto about = [&](const Status& s) { return what.empty() ? s : s.WithPrefix(std::string(what)); };
  auto prepared = db_->Prepare(sql);
  if (!prepared.ok()) return about(prepared.status());
  Stmt& st = *prepared;
  for (size_t i = 0; i < params.size(); ++i) {
    std::string name = "$" + std::to_string(i + 1);
    int index = sqlite3_bind_parameter_index(st.handle(), name.c_str());
    if (index == 0) continue;
    st.BindOptional(index, params[i]);
  }
  const int columns = sqlite3_column_count(st.handle());
  SqlRowView view(static_cast<size_t>(columns));
  while (true) {
    Result<bool> has = st.Step();
    if (!has.ok()) return about(has.status());
    if (!*has) break;
    for (int c = 0; c < columns; ++c) {
      view[static_cast<size_t>(c)] =
          st.IsNull(c) ? std::optional<std::string_view>() : st.TextView(c);
    }
    FS_TRY(row(view));
  }
  return Status::OK();
}

}  // namespace flowsync::sqlite
