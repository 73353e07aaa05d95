#include "store/sqlite/sqlite_connection.h"

#include <string>

namespace flowsync::sqlite {

Result<std::vector<SqlRow>> SqliteConnection::Query(std::string_view sql,
                                                    const std::vector<SqlValue>& params,
                                                    std::string_view what) {
  auto prepared = db_->Prepare(sql);
  if (!prepared.ok()) {
    return what.empty() ? prepared.status() : prepared.status().WithPrefix(std::string(what));
  }
  Stmt& st = *prepared;
  for (size_t i = 0; i < params.size(); ++i) {
    std::string name = "$" + std::to_string(i + 1);
    int index = sqlite3_bind_parameter_index(st.handle(), name.c_str());
    if (index == 0) continue;
    st.BindOptional(index, params[i]);
  }
  std::vector<SqlRow> rows;
  const int columns = sqlite3_column_count(st.handle());
  while (true) {
    Result<bool> has = st.Step();
    if (!has.ok()) {
      return what.empty() ? has.status() : has.status().WithPrefix(std::string(what));
    }
    if (!*has) break;
    SqlRow row;
    row.reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) row.push_back(st.OptionalText(c));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace flowsync::sqlite
