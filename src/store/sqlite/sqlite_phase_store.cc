#include "store/sqlite/sqlite_phase_store.h"

#include <map>

#include "util/time_format.h"

namespace flowsync::sqlite {
namespace {

// The phase cache's tables, on the store's connection.
class SqlitePhaseStore final : public PhaseStore {
 public:
  explicit SqlitePhaseStore(Db* db) : db_(db) {}

  Result<std::vector<StoredPhaseFile>> LoadAll() override {
    FS_TRY(db_->Exec("BEGIN DEFERRED"));
    auto files = LoadInTransaction();
    (void)db_->Exec("COMMIT");
    return files;
  }

  Status Apply(const std::vector<StoredPhaseFile>& upserts,
               const std::vector<std::string>& removed) override {
    Status s = db_->Exec("BEGIN IMMEDIATE");
    if (!s.ok()) return s.WithPrefix("storing phase files");
    s = ApplyInTransaction(upserts, removed);
    if (s.ok()) s = db_->Exec("COMMIT");
    if (!s.ok()) {
      (void)db_->Exec("ROLLBACK");
      return s.WithPrefix("storing phase files");
    }
    return Status::OK();
  }

 private:
  Result<std::vector<StoredPhaseFile>> LoadInTransaction() {
    std::vector<StoredPhaseFile> files;
    std::map<std::string, size_t> by_key;
    FS_TRY_ASSIGN(Stmt f, db_->Prepare("SELECT file_path, file_hash, loaded_at, last_modified "
                                       "FROM workflow_files WHERE project = :project "
                                       "ORDER BY file_path"));
    while (true) {
      FS_TRY_ASSIGN(bool row, f.Step());
      if (!row) break;
      StoredPhaseFile file;
      file.key = f.Text(0);
      file.hash = f.Text(1);
      std::optional<int64_t> loaded = ParseTimestampMs(f.TextView(2));
      std::optional<int64_t> modified = ParseTimestampMs(f.TextView(3));
      if (!loaded || !modified) {
        return Status::Corruption("workflow_files row " + file.key + ": bad timestamp");
      }
      file.loaded_at_ms = *loaded;
      file.last_modified_ms = *modified;
      by_key.emplace(file.key, files.size());
      files.push_back(std::move(file));
    }
    FS_TRY_ASSIGN(Stmt p, db_->Prepare("SELECT file_path, task, depends_on, rule, template, "
                                       "retry, status FROM workflow_phases WHERE project = "
                                       ":project ORDER BY file_path, position"));
    while (true) {
      FS_TRY_ASSIGN(bool row, p.Step());
      if (!row) break;
      auto it = by_key.find(p.Text(0));
      if (it == by_key.end()) continue;
      Phase phase;
      phase.task = p.Text(1);
      phase.depends_on = p.Text(2);
      phase.rule = p.Text(3);
      phase.template_text = p.Text(4);
      phase.retry = p.Int(5);
      phase.status = p.Text(6);
      files[it->second].phases.push_back(std::move(phase));
    }
    return files;
  }

  Status ApplyInTransaction(const std::vector<StoredPhaseFile>& upserts,
                            const std::vector<std::string>& removed) {
    FS_TRY_ASSIGN(Stmt del, db_->Prepare("DELETE FROM workflow_files WHERE file_path = ?1 AND "
                                         "project = :project"));
    for (const std::string& key : removed) {
      FS_TRY(del.Bind(1, key).Run());
    }
    FS_TRY_ASSIGN(Stmt file, db_->Prepare("INSERT INTO workflow_files (file_path, file_hash, "
                                          "loaded_at, last_modified, project) VALUES "
                                          "(?1, ?2, ?3, ?4, :project)"));
    FS_TRY_ASSIGN(Stmt phase, db_->Prepare("INSERT INTO workflow_phases (file_path, task, "
                                           "position, depends_on, rule, template, retry, "
                                           "status, project) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                                           "?7, ?8, :project)"));
    for (const StoredPhaseFile& f : upserts) {
      // Deleting the file row deletes its phase rows (ON DELETE CASCADE).
      FS_TRY(del.Bind(1, f.key).Run());
      std::string loaded = FormatTimestampMs(f.loaded_at_ms);
      std::string modified = FormatTimestampMs(f.last_modified_ms);
      FS_TRY(file.Bind(1, f.key).Bind(2, f.hash).Bind(3, loaded).Bind(4, modified).Run());
      int64_t position = 0;
      for (const Phase& p : f.phases) {
        phase.Bind(1, f.key).Bind(2, p.task).Bind(3, position++).Bind(4, p.depends_on);
        phase.Bind(5, p.rule).Bind(6, p.template_text).Bind(7, p.retry).Bind(8, p.status);
        Status s = phase.Run();
        if (!s.ok()) return s.WithPrefix(f.key);
      }
    }
    return Status::OK();
  }

  Db* db_;
};

}  // namespace

std::unique_ptr<PhaseStore> NewSqlitePhaseStore(Db* db) {
  return std::make_unique<SqlitePhaseStore>(db);
}

}  // namespace flowsync::sqlite
