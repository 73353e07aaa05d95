#include "store/sqlite/sqlite_phase_store.h"

#include "store/sql_phase_files.h"
#include "store/sqlite/sqlite_connection.h"
#include "util/time_format.h"

namespace flowsync::sqlite {
namespace {

// The phase cache's tables, on the store's connection.
class SqlitePhaseStore final : public PhaseStore {
 public:
  explicit SqlitePhaseStore(Db* db) : db_(db) {}

  Result<std::vector<StoredPhaseFile>> LoadAll() override {
    SqliteConnection conn(db_);
    return LoadPhaseFiles(conn);
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
