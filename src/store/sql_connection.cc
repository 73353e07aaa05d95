#include "store/sql_connection.h"

#include <charconv>
#include <chrono>
#include <thread>

namespace flowsync {

SqlConnection& ConnectionOf(Store& store) { return dynamic_cast<SqlStore&>(store).connection(); }

Status SqlConnection::Notify(std::string_view) { return Status::OK(); }

Result<bool> SqlConnection::WaitForNotification(std::string_view, int64_t timeout_ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
  return false;
}

Result<std::vector<SqlRow>> SqlConnection::Query(std::string_view sql,
                                                 const std::vector<SqlValue>& params,
                                                 std::string_view what) {
  std::vector<SqlRow> rows;
  FS_TRY(QueryEach(sql, params, what, [&](const SqlRowView& view) {
    SqlRow& row = rows.emplace_back();
    row.reserve(view.size());
    for (const std::optional<std::string_view>& v : view) {
      row.push_back(v ? SqlValue(std::string(*v)) : SqlValue());
    }
    return Status::OK();
  }));
  return rows;
}

std::string SqlText(const SqlValue& v) { return v.value_or(std::string()); }

int64_t SqlInt(const SqlValue& v) { return v ? SqlInt(std::optional<std::string_view>(*v)) : 0; }

int64_t SqlInt(std::optional<std::string_view> v) {
  if (!v) return 0;
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size()) return 0;
  return out;
}

bool SqlBool(const SqlValue& v) { return v && (*v == "1" || *v == "t" || *v == "true"); }

}  // namespace flowsync
