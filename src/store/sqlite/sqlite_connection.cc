#include "store/sqlite/sqlite_connection.h"

#include <optional>
#include <string>

namespace flowsync::sqlite {

Status SqliteConnection::QueryEach(std::string_view sql, const std::vector<SqlValue>& params,
                                   std::string_view what,
                                   const std::function<Status(const SqlRowView&)>& row) {
  auto about = [&](const Status& s) { return what.empty() ? s : s.WithPrefix(std::string(what)); };
  Cached* cached = nullptr;
  std::optional<Stmt> own;
  if (auto it = cache_.find(std::string(sql)); it != cache_.end() && !it->second->in_use) {
    cached = it->second.get();
  } else {
    auto prepared = db_->Prepare(sql);
    if (!prepared.ok()) return about(prepared.status());
    if (it == cache_.end() && cache_.size() < kCacheSize) {
      auto entry = std::make_unique<Cached>(Cached{std::move(*prepared), false});
      cached = entry.get();
      cache_.emplace(std::string(sql), std::move(entry));
    } else {
      own.emplace(std::move(*prepared));
    }
  }
  Stmt& st = cached != nullptr ? cached->stmt : *own;
  if (cached != nullptr) cached->in_use = true;
  // Reset whatever happens: bindings view `params`, and a stepped
  // statement would keep its read open.
  struct Release {
    Stmt& st;
    Cached* cached;
    ~Release() {
      st.Reset();
      if (cached != nullptr) cached->in_use = false;
    }
  } release{st, cached};
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
