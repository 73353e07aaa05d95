#include "store/postgres/pg_phase_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "sql/dialect.h"
#include "util/time_format.h"

namespace flowsync::postgres {
namespace {

std::string Ts(std::string_view column) { return SqlTimestampText(SqlDialect::kPostgres, column); }

// The phase cache's tables, on the store's data connection; writes take
// the store's writer lock, as syncs do.
class PgPhaseStore final : public PhaseStore {
 public:
  explicit PgPhaseStore(PgSession* session) : store_(session) {}

  Result<std::vector<StoredPhaseFile>> LoadAll() override {
    PgConn& conn = store_->data();
    FS_TRY(
        conn.ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "loading phase files"));
    auto files = LoadInTransaction(conn);
    (void)conn.ExecScript("COMMIT");
    return files;
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
  static Result<std::vector<StoredPhaseFile>> LoadInTransaction(PgConn& conn) {
    FS_TRY_ASSIGN(PgResult f, conn.Exec(fmt::format("SELECT file_path, file_hash, {}, {} FROM "
                                                    "workflow_files WHERE project = "
                                                    "current_setting('flowsync.project')",
                                                    Ts("loaded_at"), Ts("last_modified")),
                                        {}, "loading phase files"));
    std::vector<StoredPhaseFile> files;
    std::map<std::string, size_t> by_key;
    for (int i = 0; i < f.rows(); ++i) {
      StoredPhaseFile file;
      file.key = f.Text(i, 0);
      file.hash = f.Text(i, 1);
      std::optional<int64_t> loaded = ParseTimestampMs(f.Text(i, 2));
      std::optional<int64_t> modified = ParseTimestampMs(f.Text(i, 3));
      if (!loaded || !modified) {
        return Status::Corruption("workflow_files row " + file.key + ": bad timestamp");
      }
      file.loaded_at_ms = *loaded;
      file.last_modified_ms = *modified;
      by_key.emplace(file.key, files.size());
      files.push_back(std::move(file));
    }
    FS_TRY_ASSIGN(PgResult p, conn.Exec("SELECT file_path, task, depends_on, rule, template, "
                                        "retry, status FROM workflow_phases WHERE project = "
                                        "current_setting('flowsync.project') ORDER BY "
                                        "file_path, position",
                                        {}, "loading phases"));
    for (int i = 0; i < p.rows(); ++i) {
      auto it = by_key.find(p.Text(i, 0));
      if (it == by_key.end()) continue;
      Phase phase;
      phase.task = p.Text(i, 1);
      phase.depends_on = p.Text(i, 2);
      phase.rule = p.Text(i, 3);
      phase.template_text = p.Text(i, 4);
      phase.retry = p.Int(i, 5);
      phase.status = p.Text(i, 6);
      files[it->second].phases.push_back(std::move(phase));
    }
    std::sort(files.begin(), files.end(),
              [](const StoredPhaseFile& a, const StoredPhaseFile& b) { return a.key < b.key; });
    return files;
  }

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
