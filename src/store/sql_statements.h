// Statements both backends run with the same text (internal): written once
// here, with the dialect's few differences filled in.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/sql_dialect.h"

namespace flowsync {

// Recomputes the "duplicate-source-id" warning finding of every live
// workflow of the project: a DELETE, then an INSERT ... SELECT. `project` is
// the SQL naming the store's project (SqlConnection::ProjectSql()).
std::vector<std::string> SourceIdFindingsSql(SqlDialect dialect, std::string_view project);

// The same for only the workflows that hold one of some source ids: those
// of the SQL set `sources` ("(SELECT ...)"), and the workflows of the SQL set
// `ids` (whose source id may have gone). What a small sync recomputes, so
// that its cost follows the change, not the project.
std::vector<std::string> SourceIdFindingsSqlFor(SqlDialect dialect, std::string_view project,
                                                std::string_view sources, std::string_view ids);

// A sync transaction's note of what a refresh of the findings must cover:
// the workflows it wrote and the source ids they held before and after;
// past kMaxWorkflows of them, the whole project (one pass is cheaper then).
class TouchedSourceIds {
 public:
  static constexpr size_t kMaxWorkflows = 256;
  // `id` was written; it held or holds `source_id` (when there is one).
  void Touch(const std::string& id, const std::optional<std::string>& source_id);
  bool everything() const { return everything_; }
  const std::set<std::string>& ids() const { return ids_; }
  const std::set<std::string>& sources() const { return sources_; }
  void Clear();

 private:
  bool everything_ = false;
  std::set<std::string> ids_;
  std::set<std::string> sources_;
};

}  // namespace flowsync
