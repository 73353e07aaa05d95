#include "store/sql_phase_files.h"

#include <fmt/format.h>

#include <unordered_map>

#include "sql/dialect.h"
#include "util/time_format.h"

namespace flowsync {
namespace {

Result<std::vector<StoredPhaseFile>> LoadInSnapshot(SqlConnection& conn) {
  const SqlDialect d = conn.dialect();
  std::vector<StoredPhaseFile> files;
  std::unordered_map<std::string_view, size_t> by_key;
  FS_TRY(conn.QueryEach(
      fmt::format("SELECT file_path, file_hash, {}, {} FROM workflow_files WHERE project = {} "
                  "ORDER BY file_path{}",
                  SqlTimestampText(d, "loaded_at"), SqlTimestampText(d, "last_modified"),
                  conn.ProjectSql(), SqlByteOrder(d)),
      {}, "loading phase files", [&](const SqlRowView& r) -> Status {
        StoredPhaseFile file;
        file.key = std::string(r[0].value_or(""));
        file.hash = std::string(r[1].value_or(""));
        std::optional<int64_t> loaded = ParseTimestampMs(r[2].value_or(""));
        std::optional<int64_t> modified = ParseTimestampMs(r[3].value_or(""));
        if (!loaded || !modified) {
          return Status::Corruption("workflow_files row " + file.key + ": bad timestamp");
        }
        file.loaded_at_ms = *loaded;
        file.last_modified_ms = *modified;
        files.push_back(std::move(file));
        return Status::OK();
      }));
  // Keys view the files' own strings, which no longer move.
  for (size_t i = 0; i < files.size(); ++i) by_key.emplace(files[i].key, i);
  FS_TRY(conn.QueryEach(
      fmt::format("SELECT file_path, task, depends_on, rule, template, retry, status FROM "
                  "workflow_phases WHERE project = {} ORDER BY file_path, position",
                  conn.ProjectSql()),
      {}, "loading phases", [&](const SqlRowView& r) -> Status {
        auto it = by_key.find(r[0].value_or(""));
        if (it == by_key.end()) return Status::OK();
        Phase& phase = files[it->second].phases.emplace_back();
        phase.task = std::string(r[1].value_or(""));
        phase.depends_on = std::string(r[2].value_or(""));
        phase.rule = std::string(r[3].value_or(""));
        phase.template_text = std::string(r[4].value_or(""));
        phase.retry = SqlInt(r[5]);
        phase.status = std::string(r[6].value_or(""));
        return Status::OK();
      }));
  return files;
}

}  // namespace

Result<std::vector<StoredPhaseFile>> LoadPhaseFiles(SqlConnection& conn) {
  FS_TRY(conn.BeginRead());
  Result<std::vector<StoredPhaseFile>> files = LoadInSnapshot(conn);
  conn.EndRead();
  return files;
}

}  // namespace flowsync
