#include "store/postgres/pg_phase_store.h"

#include <fmt/format.h>

#include "store/postgres/pg_connection.h"
#include "store/sql_phase_files.h"
#include "util/time_format.h"

namespace flowsync::postgres {
namespace {

// The phase cache's tables, on the store's data connection; writes take
// the store's writer lock, as syncs do.
class PgPhaseStore final : public PhaseStore {
 public:
  explicit PgPhaseStore(PgSession* session) : store_(session) {}

  Result<std::vector<StoredPhaseFile>> LoadAll() override {
    PgConnection conn(&store_->data());
    return LoadPhaseFiles(conn);
  }

  Status Apply(const std::vector<StoredPhaseFile>& upserts,
               const std::vector<std::string>& removed) override {
    PgConn& conn = store_->data();
    FS_TRY(store_->AcquireWriterLock());
    Status s = conn.ExecScript("BEGIN", "storing phase files");
    if (s.ok()) s = ApplyInTransaction(conn, upserts, removed);
    if (s.ok()) s = store_->LockStillHeld();
    if (s.ok()) {
      s = conn.ExecScript("COMMIT", "storing phase files");
    } else {
      (void)conn.ExecScript("ROLLBACK");
    }
    store_->ReleaseWriterLock();
    return s;
  }

 private:
  // A text[] literal: {"a","b"} with '"' and '\' escaped.
  static std::string ArrayLiteral(const std::vector<std::string>& items) {
    std::string out = "{";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += ',';
      out += '"';
      for (char c : items[i]) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
    return out + "}";
  }

  Status ApplyInTransaction(PgConn& conn, const std::vector<StoredPhaseFile>& upserts,
                            const std::vector<std::string>& removed) {
    std::vector<std::string> keys = removed;
    for (const StoredPhaseFile& f : upserts) keys.push_back(f.key);
    if (!keys.empty()) {
      // Phase rows go with their file (ON DELETE CASCADE).
      FS_TRY(conn.Exec("DELETE FROM workflow_files WHERE project = "
                       "current_setting('flowsync.project') AND file_path = ANY($1::text[])",
                       {ArrayLiteral(keys)}, "replacing phase files")
                 .status());
    }
    if (upserts.empty()) return Status::OK();
    CopyRows files, phases;
    for (const StoredPhaseFile& f : upserts) {
      files.Field(f.key).Field(f.hash).Field(FormatTimestampMs(f.loaded_at_ms));
      files.Field(FormatTimestampMs(f.last_modified_ms)).EndRow();
      int64_t position = 0;
      for (const Phase& p : f.phases) {
        phases.Field(f.key).Field(p.task).Field(position++).Field(p.depends_on).Field(p.rule);
        phases.Field(p.template_text).Field(p.retry).Field(p.status).EndRow();
      }
    }
    FS_TRY(CopyInto(conn, store_->rls(), "workflow_files",
                    "file_path, file_hash, loaded_at, last_modified", files.data(),
                    "writing phase files"));
    if (phases.empty()) return Status::OK();
    return CopyInto(conn, store_->rls(), "workflow_phases",
                    "file_path, task, position, depends_on, rule, template, retry, status",
                    phases.data(), "writing phases");
  }

  PgSession* store_;
};

}  // namespace

std::unique_ptr<PhaseStore> NewPgPhaseStore(PgSession* session) {
  return std::make_unique<PgPhaseStore>(session);
}

}  // namespace flowsync::postgres
