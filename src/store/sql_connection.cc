#include "store/sql_connection.h"

#include <charconv>

namespace flowsync {

SqlConnection& ConnectionOf(Store& store) { return dynamic_cast<SqlStore&>(store).connection(); }

std::string SqlText(const SqlValue& v) { return v.value_or(std::string()); }

int64_t SqlInt(const SqlValue& v) {
  if (!v) return 0;
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size()) return 0;
  return out;
}

bool SqlBool(const SqlValue& v) { return v && (*v == "1" || *v == "t" || *v == "true"); }

}  // namespace flowsync
