// SQLite backend. One connection per Store. Writers serialise on SQLite's
// own write lock, taken at the start of a sync with BEGIN IMMEDIATE and
// waited for through the busy timeout; readers use WAL snapshots and never
// wait.
#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "flowsync/phase_cache.h"
#include "store/sql_script.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_db.h"
#include "util/host.h"
#include "util/posix_error.h"
#include "util/time_format.h"

namespace flowsync::sqlite {
namespace {

constexpr std::string_view kWorkflowColumns =
    "w.id, w.name, w.path, w.format, w.content_hash, w.source_id, w.active, w.deleted_at, "
    "w.created_at, w.updated_at, w.version";

Result<WorkflowSummary> ReadSummary(const Stmt& st) {
  WorkflowSummary s;
  s.id = st.Text(0);
  s.name = st.Text(1);
  s.path = st.Text(2);
  std::optional<Format> format = ParseFormat(st.TextView(3));
  if (!format)
    return Status::Corruption("workflow " + s.id + ": unknown format '" + st.Text(3) + "'");
  s.format = *format;
  s.content_hash = st.Text(4);
  s.source_id = st.OptionalText(5);
  s.active = st.Int(6) != 0;
  s.deleted_at = st.OptionalText(7);
  s.created_at = st.Text(8);
  s.updated_at = st.Text(9);
  s.version = st.Int(10);
  return s;
}

class SqliteStore;

class SqliteSyncTransaction final : public SyncTransaction {
 public:
  SqliteSyncTransaction(Db* db, bool read_only) : db_(db), read_only_(read_only) {}
  ~SqliteSyncTransaction() override {
    if (!done_) (void)db_->Exec("ROLLBACK");
  }

  Result<std::vector<IndexRow>> LoadIndex() override {
    FS_TRY_ASSIGN(Stmt st,
                  db_->Prepare("SELECT id, path, format, content_hash, source_sig, "
                               "deleted_at IS NOT NULL FROM workflows WHERE project = :project"));
    std::vector<IndexRow> rows;
    while (true) {
      FS_TRY_ASSIGN(bool has_row, st.Step());
      if (!has_row) break;
      IndexRow row;
      row.id = st.Text(0);
      row.path = st.Text(1);
      std::optional<Format> format = ParseFormat(st.TextView(2));
      if (!format) return Status::Corruption("workflow " + row.id + ": unknown format");
      row.format = *format;
      row.content_hash = st.Text(3);
      row.source_sig = st.Text(4);
      row.deleted = st.Int(5) != 0;
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<int64_t> BeginRun(std::string_view mode, std::string_view root,
                           std::string_view now) override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(
        Stmt st,
        db_->Prepare(
            "INSERT INTO sync_runs (mode, root, started_at, project) VALUES (?, ?, ?, :project)"));
    st.Bind(1, mode).Bind(2, root).Bind(3, now);
    FS_TRY(st.Run());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_->handle()));
  }

  Status AddWorkflow(const std::string& id, const std::string& path, const ParsedWorkflow& wf,
                     const std::string& sig, std::string_view now) override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(Stmt * st, Cached(kInsertWorkflow,
                                    "INSERT INTO workflows (id, path, name, format, source_id, "
                                    "content, content_hash, metadata, documentation, active, "
                                    "version, source_sig, created_at, updated_at, project) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, :project)"));
    st->Bind(1, id).Bind(2, path).Bind(3, wf.name).Bind(4, FormatName(wf.format));
    st->BindOptional(5, wf.source_id);
    st->Bind(6, wf.content).Bind(7, wf.content_hash).Bind(8, wf.metadata_json);
    st->Bind(9, wf.documentation).Bind(10, int64_t{wf.active ? 1 : 0}).Bind(11, sig);
    st->Bind(12, now).Bind(13, now);
    FS_TRY(st->Run());
    return WriteDerived(id, wf, /*replace=*/false);
  }

  Status UpdateWorkflow(const std::string& id, const ParsedWorkflow& wf, const std::string& sig,
                        bool content_changed, int64_t run_id, std::string_view now) override {
    FS_TRY(CheckWritable());
    if (content_changed) {
      FS_TRY_ASSIGN(Stmt * keep,
                    Cached(kKeepVersion,
                           "INSERT INTO workflow_versions (workflow_id, version, path, name, "
                           "content, content_hash, metadata, documentation, valid_from, "
                           "replaced_at, run_id, project) SELECT id, version, path, name, "
                           "content, content_hash, metadata, documentation, updated_at, ?2, ?3, "
                           "project FROM workflows WHERE id = ?1"));
      keep->Bind(1, id).Bind(2, now).Bind(3, run_id);
      FS_TRY(keep->Run());
    }
    FS_TRY_ASSIGN(Stmt * st,
                  Cached(kUpdateWorkflow,
                         "UPDATE workflows SET name = ?2, format = ?3, source_id = ?4, "
                         "content = ?5, content_hash = ?6, metadata = ?7, documentation = ?8, "
                         "active = ?9, source_sig = ?10, version = version + ?11, "
                         "updated_at = CASE WHEN ?11 = 1 THEN ?12 ELSE updated_at END "
                         "WHERE id = ?1"));
    st->Bind(1, id).Bind(2, wf.name).Bind(3, FormatName(wf.format)).BindOptional(4, wf.source_id);
    st->Bind(5, wf.content).Bind(6, wf.content_hash).Bind(7, wf.metadata_json);
    st->Bind(8, wf.documentation).Bind(9, int64_t{wf.active ? 1 : 0}).Bind(10, sig);
    st->Bind(11, int64_t{content_changed ? 1 : 0}).Bind(12, now);
    FS_TRY(st->Run());
    FS_TRY(ExpectOneRow(id));
    return WriteDerived(id, wf, /*replace=*/true);
  }

  Status MoveWorkflow(const std::string& id, const std::string& new_path, const std::string& sig,
                      std::string_view now) override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(Stmt * st, Cached(kMove,
                                    "UPDATE workflows SET path = ?2, source_sig = ?3, "
                                    "updated_at = ?4 WHERE id = ?1"));
    st->Bind(1, id).Bind(2, new_path).Bind(3, sig).Bind(4, now);
    FS_TRY(st->Run());
    return ExpectOneRow(id);
  }

  Status MarkDeleted(const std::string& id, std::string_view now) override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(Stmt * st, Cached(kDelete,
                                    "UPDATE workflows SET deleted_at = ?2, source_sig = '' "
                                    "WHERE id = ?1 AND deleted_at IS NULL"));
    st->Bind(1, id).Bind(2, now);
    FS_TRY(st->Run());
    return ExpectOneRow(id);
  }

  Status Restore(const std::string& id, std::string_view now) override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(Stmt * st, Cached(kRestore,
                                    "UPDATE workflows SET deleted_at = NULL, updated_at = ?2 "
                                    "WHERE id = ?1 AND deleted_at IS NOT NULL"));
    st->Bind(1, id).Bind(2, now);
    FS_TRY(st->Run());
    return ExpectOneRow(id);
  }

  Status AppendLog(const LogRecord& r) override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(Stmt * st, Cached(kLog,
                                    "INSERT INTO workflow_sync_log (run_id, event, workflow_id, "
                                    "path, old_path, old_hash, new_hash, message, created_at, "
                                    "project) VALUES (?, ?, NULLIF(?, ''), ?, NULLIF(?, ''), "
                                    "NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?, :project)"));
    st->Bind(1, r.run_id).Bind(2, SyncEventName(r.event)).Bind(3, r.workflow_id).Bind(4, r.path);
    st->Bind(5, r.old_path).Bind(6, r.old_hash).Bind(7, r.new_hash).Bind(8, r.message);
    st->Bind(9, r.time);
    return st->Run();
  }

  Status RefreshSourceIdFindings() override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(Stmt clear, db_->Prepare("DELETE FROM workflow_findings WHERE code = "
                                           "'duplicate-source-id' AND workflow_id IN (SELECT id "
                                           "FROM workflows WHERE project = :project)"));
    FS_TRY(clear.Run());
    FS_TRY_ASSIGN(Stmt add, db_->Prepare(R"sql(
      INSERT INTO workflow_findings (workflow_id, severity, code, location, message)
      SELECT w.id, 'warning', 'duplicate-source-id', 'id',
             'source id "' || w.source_id || '" is also used by ' || (d.n - 1) ||
             ' other workflow(s), e.g. ' ||
             (SELECT o.path FROM workflows o
               WHERE o.project = w.project AND o.source_id = w.source_id AND o.id <> w.id
                 AND o.deleted_at IS NULL
               ORDER BY o.path LIMIT 1) ||
             '; flowsync ids stay distinct'
        FROM workflows w
        JOIN (SELECT source_id, COUNT(*) AS n FROM workflows
               WHERE project = :project AND deleted_at IS NULL AND source_id IS NOT NULL
               GROUP BY source_id HAVING COUNT(*) > 1) d ON d.source_id = w.source_id
       WHERE w.project = :project AND w.deleted_at IS NULL)sql"));
    return add.Run();
  }

  Status FinishRun(int64_t run_id, const RunCounts& c, std::string_view now) override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(Stmt st, db_->Prepare("UPDATE sync_runs SET finished_at = ?2, added = ?3, "
                                        "updated = ?4, renamed = ?5, deleted = ?6, restored = ?7, "
                                        "unchanged = ?8, errors = ?9 WHERE id = ?1"));
    st.Bind(1, run_id).Bind(2, now).Bind(3, c.added).Bind(4, c.updated).Bind(5, c.renamed);
    st.Bind(6, c.deleted).Bind(7, c.restored).Bind(8, c.unchanged).Bind(9, c.errors);
    return st.Run();
  }

  Status Commit() override {
    if (done_) return Status::Internal("transaction already finished");
    Status s = db_->Exec(read_only_ ? "ROLLBACK" : "COMMIT");
    if (!s.ok()) return s.WithPrefix("committing the sync");
    done_ = true;
    return Status::OK();
  }

 private:
  enum CachedStmt {
    kInsertWorkflow,
    kKeepVersion,
    kUpdateWorkflow,
    kMove,
    kDelete,
    kRestore,
    kLog,
    kDeleteCategories,
    kInsertCategory,
    kDeleteFindings,
    kInsertFinding,
    kDeletePhases,
    kInsertPhase,
    kCachedCount,
  };

  Status CheckWritable() const {
    if (read_only_) return Status::Internal("write in a read-only sync transaction");
    if (done_) return Status::Internal("write after the transaction finished");
    return Status::OK();
  }

  Result<Stmt*> Cached(CachedStmt which, std::string_view sql) {
    Stmt& slot = cache_[which];
    if (!slot.valid()) {
      FS_TRY_ASSIGN(slot, db_->Prepare(sql));
    }
    return &slot;
  }

  Status ExpectOneRow(const std::string& id) {
    if (sqlite3_changes(db_->handle()) != 1) {
      return Status::Internal("workflow " + id + " was not in the expected state");
    }
    return Status::OK();
  }

  // Categories, findings and phases: replaced wholesale with the definition.
  Status WriteDerived(const std::string& id, const ParsedWorkflow& wf, bool replace) {
    if (replace) {
      for (auto [which, sql] :
           {std::pair{kDeleteCategories, "DELETE FROM workflow_categories WHERE workflow_id = ?"},
            std::pair{kDeleteFindings, "DELETE FROM workflow_findings WHERE workflow_id = ?"},
            std::pair{kDeletePhases, "DELETE FROM phase_entries WHERE workflow_id = ?"}}) {
        FS_TRY_ASSIGN(Stmt * st, Cached(which, sql));
        st->Bind(1, id);
        FS_TRY(st->Run());
      }
    }
    if (!wf.categories.empty()) {
      FS_TRY_ASSIGN(Stmt * st, Cached(kInsertCategory,
                                      "INSERT OR IGNORE INTO workflow_categories (workflow_id, "
                                      "category) VALUES (?, ?)"));
      for (const std::string& c : wf.categories) {
        st->Bind(1, id).Bind(2, c);
        FS_TRY(st->Run());
      }
    }
    if (!wf.findings.empty()) {
      FS_TRY_ASSIGN(Stmt * st, Cached(kInsertFinding,
                                      "INSERT INTO workflow_findings (workflow_id, severity, "
                                      "code, location, message) VALUES (?, ?, ?, ?, ?)"));
      for (const Finding& f : wf.findings) {
        st->Bind(1, id).Bind(2, SeverityName(f.severity)).Bind(3, f.code).Bind(4, f.location);
        st->Bind(5, f.message);
        FS_TRY(st->Run());
      }
    }
    if (!wf.phases.empty()) {
      FS_TRY_ASSIGN(Stmt * st, Cached(kInsertPhase,
                                      "INSERT INTO phase_entries (workflow_id, position, task, "
                                      "depends_on, rule, template, retry, line) "
                                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
      int64_t pos = 0;
      for (const PhaseEntry& p : wf.phases) {
        st->Bind(1, id).Bind(2, pos++).Bind(3, p.task).Bind(4, p.depends_on).Bind(5, p.rule);
        st->Bind(6, p.template_text).Bind(7, p.retry).Bind(8, int64_t{p.line});
        FS_TRY(st->Run());
      }
    }
    return Status::OK();
  }

  Db* db_;
  bool read_only_;
  bool done_ = false;
  Stmt cache_[kCachedCount];
};

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

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, StoreOptions options) : path_(std::move(path)), options_(options) {}

  Status Open() {
    FS_TRY(db_.Open(path_, options_.create_if_missing));
    db_.set_project(options_.project);
    sqlite3_busy_timeout(db_.handle(), options_.lock_timeout_ms);
    // Two processes creating or upgrading one database can deadlock on
    // SQLite's lock upgrade, which returns BUSY at once instead of waiting:
    // try again until the lock timeout.
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.lock_timeout_ms);
    while (true) {
      Status s = Initialize();
      if (s.code() != StatusCode::kBusy || std::chrono::steady_clock::now() >= deadline) {
        return s;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  Status Initialize() {
    if (options_.create_if_missing) {
      // Workflow rows are ~10 KB of JSON: big pages mean fewer overflow
      // pages and far fewer system calls. Takes effect on a new database.
      FS_TRY(db_.Exec("PRAGMA page_size = 16384"));
      // WAL: readers never wait for the writer. The mode is stored in the
      // file, so only the process that may create the database sets it.
      Status s = db_.Exec("PRAGMA journal_mode = WAL");
      if (!s.ok()) return Describe(s);
    }
    // synchronous=NORMAL is safe against process crashes (a run is all or
    // nothing); a power loss can lose the last committed run, never corrupt
    // the file.
    FS_TRY(
        db_.Exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                 "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16000"));
    return UpgradeSchema();
  }

  int SchemaVersion() const override { return schema_version_; }
  std::string Describe() const override {
    return "sqlite:" + path_ +
           (options_.project == kDefaultProject ? "" : " (project " + options_.project + ")");
  }
  const std::string& project() const override { return options_.project; }

  Result<std::unique_ptr<MigrationSession>> OpenMigrationSession() override;

  Result<std::unique_ptr<PhaseStore>> OpenPhaseStore() override {
    return std::unique_ptr<PhaseStore>(new SqlitePhaseStore(&db_));
  }

  Status GrantProject(const std::string&, const std::string&, bool) override {
    return Status::Unsupported(
        "projects are granted to database roles, which SQLite does not have; use PostgreSQL");
  }

  Result<std::unique_ptr<SyncTransaction>> BeginSync(bool read_only) override {
    Status s = db_.Exec(read_only ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE");
    if (!s.ok()) return LockError(s);
    return std::unique_ptr<SyncTransaction>(new SqliteSyncTransaction(&db_, read_only));
  }

  Result<std::vector<WorkflowSummary>> ListWorkflows(const ListFilter& filter) override {
    std::string sql =
        fmt::format("SELECT {} FROM workflows w WHERE w.project = :project", kWorkflowColumns);
    if (filter.deleted == ListFilter::Deleted::kExclude) sql += " AND w.deleted_at IS NULL";
    if (filter.deleted == ListFilter::Deleted::kOnly) sql += " AND w.deleted_at IS NOT NULL";
    if (filter.category) {
      sql +=
          " AND EXISTS (SELECT 1 FROM workflow_categories c WHERE c.workflow_id = w.id AND "
          "c.category = :category)";
    }
    sql += " ORDER BY w.path";
    FS_TRY(db_.Exec("BEGIN DEFERRED"));
    auto result = ListInTransaction(sql, filter);
    (void)db_.Exec("COMMIT");
    return result;
  }

  Result<std::optional<WorkflowDetail>> FindWorkflow(std::string_view query_in) override {
    std::string query = NormaliseWorkflowQuery(query_in);
    FS_TRY(db_.Exec("BEGIN DEFERRED"));
    auto result = FindInTransaction(query);
    (void)db_.Exec("COMMIT");
    return result;
  }

  Result<std::vector<LogRecord>> ReadLog(int64_t limit,
                                         std::optional<std::string> workflow_id) override {
    std::string sql =
        "SELECT id, run_id, event, COALESCE(workflow_id, ''), path, COALESCE(old_path, ''), "
        "COALESCE(old_hash, ''), COALESCE(new_hash, ''), COALESCE(message, ''), created_at "
        "FROM workflow_sync_log WHERE project = :project";
    if (workflow_id) sql += " AND workflow_id = :workflow";
    sql += " ORDER BY id DESC";
    if (limit > 0) sql += " LIMIT " + std::to_string(limit);
    FS_TRY_ASSIGN(Stmt st, db_.Prepare(sql));
    if (workflow_id) st.Bind(sqlite3_bind_parameter_index(st.handle(), ":workflow"), *workflow_id);
    std::vector<LogRecord> out;
    while (true) {
      FS_TRY_ASSIGN(bool row, st.Step());
      if (!row) break;
      LogRecord r;
      r.id = st.Int(0);
      r.run_id = st.Int(1);
      std::optional<SyncEvent> ev = ParseSyncEvent(st.TextView(2));
      if (!ev) return Status::Corruption("sync log row " + std::to_string(r.id) + ": bad event");
      r.event = *ev;
      r.workflow_id = st.Text(3);
      r.path = st.Text(4);
      r.old_path = st.Text(5);
      r.old_hash = st.Text(6);
      r.new_hash = st.Text(7);
      r.message = st.Text(8);
      r.time = st.Text(9);
      out.push_back(std::move(r));
    }
    return out;
  }

  Result<std::optional<RunRecord>> LastRun() override {
    FS_TRY_ASSIGN(Stmt st, db_.Prepare("SELECT id, mode, root, started_at, "
                                       "COALESCE(finished_at, ''), added, updated, renamed, "
                                       "deleted, restored, unchanged, errors FROM sync_runs "
                                       "WHERE project = :project ORDER BY id DESC LIMIT 1"));
    FS_TRY_ASSIGN(bool row, st.Step());
    if (!row) return std::optional<RunRecord>();
    RunRecord r;
    r.id = st.Int(0);
    r.mode = st.Text(1);
    r.root = st.Text(2);
    r.started_at = st.Text(3);
    r.finished_at = st.Text(4);
    r.counts = {st.Int(5), st.Int(6), st.Int(7), st.Int(8), st.Int(9), st.Int(10), st.Int(11)};
    return std::optional<RunRecord>(std::move(r));
  }

  Status Rate(const std::string& workflow_id, const std::string& user, int value,
              std::string_view now) override {
    if (value != 1 && value != -1) return Status::InvalidArgument("a rating is +1 or -1");
    Status s = db_.Exec("BEGIN IMMEDIATE");
    if (!s.ok()) return LockError(s);
    FS_TRY_ASSIGN(Stmt st, db_.Prepare("INSERT INTO workflow_ratings (workflow_id, user_name, "
                                       "value, rated_at) VALUES (?, ?, ?, ?) ON CONFLICT "
                                       "(workflow_id, user_name) DO UPDATE SET value = "
                                       "excluded.value, rated_at = excluded.rated_at"));
    st.Bind(1, workflow_id).Bind(2, user).Bind(3, int64_t{value}).Bind(4, now);
    s = st.Run();
    if (!s.ok()) {
      (void)db_.Exec("ROLLBACK");
      return s;
    }
    return db_.Exec("COMMIT");
  }

 private:
  Status Describe(const Status& s) const { return s.WithPrefix("database " + Describe()); }

  Status LockError(const Status& s) const {
    if (s.code() != StatusCode::kBusy) return Describe(s);
    return Status::Busy(fmt::format(
        "database {} is locked by another writer (waited {} s); another flowsync sync is "
        "probably running: retry later or raise --lock-timeout",
        Describe(), options_.lock_timeout_ms / 1000.0));
  }

  Result<int> ReadSchemaVersion() {
    FS_TRY_ASSIGN(Stmt tables, db_.Prepare("SELECT COUNT(*), SUM(name = 'flowsync_meta') FROM "
                                           "sqlite_master WHERE type = 'table'"));
    FS_TRY_ASSIGN(bool row, tables.Step());
    (void)row;
    int64_t count = tables.Int(0);
    bool has_meta = tables.Int(1) > 0;
    tables.Reset();
    if (count == 0) return 0;
    if (!has_meta) {
      return Status::Unsupported("database " + Describe() +
                                 " holds tables but is no flowsync database (no flowsync_meta "
                                 "table); refusing to touch it");
    }
    FS_TRY_ASSIGN(Stmt st,
                  db_.Prepare("SELECT value FROM flowsync_meta WHERE key = 'schema_version'"));
    FS_TRY_ASSIGN(bool has, st.Step());
    if (!has) return Status::Corruption("database " + Describe() + ": no schema_version");
    std::string text = st.Text(0);
    try {
      size_t used = 0;
      int v = std::stoi(text, &used);
      if (used == text.size() && v >= 0) return v;
    } catch (const std::exception&) {
    }
    return Status::Corruption("database " + Describe() + ": bad schema_version '" + text + "'");
  }

  Status UpgradeSchema() {
    FS_TRY_ASSIGN(int version, ReadSchemaVersion());
    if (version > kSchemaVersion) return TooNew(version);
    if (version == 0 && !options_.create_if_missing) {
      // An empty file: not created yet, or being created right now.
      return Status::NotFound("database " + Describe() +
                              " holds no flowsync data yet (run `flowsync sync` first)");
    }
    if (version == kSchemaVersion) {
      schema_version_ = version;
      return Status::OK();
    }
    // Steps may rebuild tables, which SQLite allows only with foreign keys
    // off (the pragma is a no-op inside a transaction); they are checked
    // before the commit instead.
    FS_TRY(db_.Exec("PRAGMA foreign_keys = OFF"));
    Status s = UpgradeWithoutForeignKeys(version);
    Status on = db_.Exec("PRAGMA foreign_keys = ON");
    FS_TRY(s);
    return on;
  }

  Status UpgradeWithoutForeignKeys(int version) {
    // Take the write lock, then look again: another process may have
    // upgraded the database meanwhile.
    Status s = db_.Exec("BEGIN IMMEDIATE");
    if (!s.ok()) return LockError(s);
    auto reread = ReadSchemaVersion();
    if (!reread.ok()) {
      (void)db_.Exec("ROLLBACK");
      return reread.status();
    }
    version = *reread;
    if (version > kSchemaVersion) {
      (void)db_.Exec("ROLLBACK");
      return TooNew(version);
    }
    for (int v = version; v < kSchemaVersion; ++v) {
      s = db_.Exec(SchemaStep(v));
      if (s.ok()) {
        auto st = db_.Prepare("UPDATE flowsync_meta SET value = ? WHERE key = 'schema_version'");
        s = st.ok() ? st->Bind(1, std::to_string(v + 1)).Run() : st.status();
      }
      if (!s.ok()) {
        (void)db_.Exec("ROLLBACK");
        return s.WithPrefix(fmt::format("upgrading {} from schema {} to {}", Describe(), v, v + 1));
      }
    }
    if (auto check = db_.Prepare("PRAGMA foreign_key_check"); !check.ok()) {
      s = check.status();
    } else {
      Result<bool> broken = check->Step();
      if (!broken.ok()) {
        s = broken.status();
      } else if (*broken) {
        s = Status::Corruption("a foreign key is broken after the upgrade");
      }
    }
    if (!s.ok()) {
      (void)db_.Exec("ROLLBACK");
      return s.WithPrefix(fmt::format("upgrading {} to schema {}", Describe(), kSchemaVersion));
    }
    FS_TRY(db_.Exec("COMMIT"));
    schema_version_ = kSchemaVersion;
    return Status::OK();
  }

  Status TooNew(int version) const {
    return Status::Unsupported(
        fmt::format("database {} has schema version {}, newer than this flowsync supports ({}); "
                    "upgrade flowsync to use it (the database was not changed)",
                    Describe(), version, kSchemaVersion));
  }

  Result<std::vector<WorkflowSummary>> ListInTransaction(const std::string& sql,
                                                         const ListFilter& filter) {
    FS_TRY_ASSIGN(Stmt st, db_.Prepare(sql));
    if (filter.category)
      st.Bind(sqlite3_bind_parameter_index(st.handle(), ":category"), *filter.category);
    std::vector<WorkflowSummary> out;
    std::map<std::string, size_t> by_id;
    while (true) {
      FS_TRY_ASSIGN(bool row, st.Step());
      if (!row) break;
      FS_TRY_ASSIGN(WorkflowSummary s, ReadSummary(st));
      by_id.emplace(s.id, out.size());
      out.push_back(std::move(s));
    }
    FS_TRY_ASSIGN(Stmt cats, db_.Prepare("SELECT workflow_id, category FROM workflow_categories "
                                         "ORDER BY workflow_id, category"));
    while (true) {
      FS_TRY_ASSIGN(bool row, cats.Step());
      if (!row) break;
      auto it = by_id.find(cats.Text(0));
      if (it != by_id.end()) out[it->second].categories.push_back(cats.Text(1));
    }
    return out;
  }

  Result<std::optional<std::string>> ResolveId(const std::string& query) {
    FS_TRY_ASSIGN(Stmt exact, db_.Prepare("SELECT id FROM workflows WHERE (id = ?1 OR path = ?1) "
                                          "AND project = :project ORDER BY id = ?1 DESC LIMIT 1"));
    exact.Bind(1, query);
    FS_TRY_ASSIGN(bool found, exact.Step());
    if (found) return std::optional<std::string>(exact.Text(0));
    if (query.size() < 4) return std::optional<std::string>();
    FS_TRY_ASSIGN(Stmt prefix, db_.Prepare("SELECT id, path FROM workflows WHERE "
                                           "substr(id, 1, length(?1)) = ?1 AND project = :project "
                                           "ORDER BY id LIMIT 5"));
    prefix.Bind(1, query);
    std::vector<std::string> ids;
    std::string list;
    while (true) {
      FS_TRY_ASSIGN(bool row, prefix.Step());
      if (!row) break;
      ids.push_back(prefix.Text(0));
      list += "\n  " + prefix.Text(0) + " (" + prefix.Text(1) + ")";
    }
    if (ids.empty()) return std::optional<std::string>();
    if (ids.size() == 1) return std::optional<std::string>(ids[0]);
    return Status::InvalidArgument("id prefix '" + query + "' is ambiguous; candidates:" + list);
  }

  Result<std::optional<WorkflowDetail>> FindInTransaction(const std::string& query) {
    FS_TRY_ASSIGN(std::optional<std::string> id, ResolveId(query));
    if (!id) return std::optional<WorkflowDetail>();
    FS_TRY_ASSIGN(Stmt st, db_.Prepare(fmt::format(
                               "SELECT {}, w.metadata, w.documentation, w.content, "
                               "(SELECT COUNT(*) FROM workflow_ratings r WHERE r.workflow_id = "
                               "w.id AND r.value = 1), (SELECT COUNT(*) FROM workflow_ratings r "
                               "WHERE r.workflow_id = w.id AND r.value = -1), (SELECT COUNT(*) "
                               "FROM workflow_versions v WHERE v.workflow_id = w.id) "
                               "FROM workflows w WHERE w.id = ?1",
                               kWorkflowColumns)));
    st.Bind(1, *id);
    FS_TRY_ASSIGN(bool row, st.Step());
    if (!row) return std::optional<WorkflowDetail>();
    WorkflowDetail d;
    FS_TRY_ASSIGN(d.summary, ReadSummary(st));
    d.metadata_json = st.Text(11);
    d.documentation = st.Text(12);
    d.content = st.Text(13);
    d.thumbs_up = st.Int(14);
    d.thumbs_down = st.Int(15);
    d.stored_versions = st.Int(16);

    FS_TRY_ASSIGN(Stmt cats, db_.Prepare("SELECT category FROM workflow_categories WHERE "
                                         "workflow_id = ? ORDER BY category"));
    cats.Bind(1, *id);
    while (true) {
      FS_TRY_ASSIGN(bool r, cats.Step());
      if (!r) break;
      d.summary.categories.push_back(cats.Text(0));
    }
    FS_TRY_ASSIGN(Stmt fs, db_.Prepare("SELECT severity, code, location, message FROM "
                                       "workflow_findings WHERE workflow_id = ? ORDER BY "
                                       "CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 "
                                       "ELSE 2 END, rowid"));
    fs.Bind(1, *id);
    while (true) {
      FS_TRY_ASSIGN(bool r, fs.Step());
      if (!r) break;
      Finding f;
      f.severity = ParseSeverity(fs.TextView(0)).value_or(Severity::kWarning);
      f.code = fs.Text(1);
      f.location = fs.Text(2);
      f.message = fs.Text(3);
      d.findings.push_back(std::move(f));
    }
    FS_TRY_ASSIGN(Stmt ph, db_.Prepare("SELECT task, depends_on, rule, template, retry, line "
                                       "FROM phase_entries WHERE workflow_id = ? ORDER BY "
                                       "position"));
    ph.Bind(1, *id);
    while (true) {
      FS_TRY_ASSIGN(bool r, ph.Step());
      if (!r) break;
      PhaseEntry p;
      p.task = ph.Text(0);
      p.depends_on = ph.Text(1);
      p.rule = ph.Text(2);
      p.template_text = ph.Text(3);
      p.retry = ph.Int(4);
      p.line = static_cast<int>(ph.Int(5));
      d.phases.push_back(std::move(p));
    }
    return std::optional<WorkflowDetail>(std::move(d));
  }

  std::string path_;
  StoreOptions options_;
  mutable Db db_;
  int schema_version_ = 0;
};

// The migration runner's connection: the store's own, plus an flock(2) on
// "<database>-migrate.lock" held for the session's life. The kernel drops
// the lock when the process dies, so a crash never leaves it stuck.
class SqliteMigrationSession final : public MigrationSession {
 public:
  SqliteMigrationSession(Db* db, int lock_fd) : db_(db), lock_fd_(lock_fd) {}
  ~SqliteMigrationSession() override {
    Rollback();
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  }

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }

  Status Begin() override {
    FS_TRY(db_->Exec("BEGIN IMMEDIATE"));
    in_transaction_ = true;
    return Status::OK();
  }
  Status Commit() override {
    FS_TRY(db_->Exec("COMMIT"));  // on failure the transaction is still open
    in_transaction_ = false;
    return Status::OK();
  }
  void Rollback() override {
    if (in_transaction_) (void)db_->Exec("ROLLBACK");
    in_transaction_ = false;
  }

  Status ExecScript(std::string_view sql, int* statements_run) override {
    int done = 0;
    if (statements_run != nullptr) *statements_run = 0;
    const char* begin = sql.data();
    const char* rest = begin;
    const char* end = begin + sql.size();
    while (rest < end) {
      size_t offset = SkipBlanksAndComments(sql, static_cast<size_t>(rest - begin));
      sqlite3_stmt* raw = nullptr;
      const char* tail = nullptr;
      int rc = sqlite3_prepare_v2(db_->handle(), rest, static_cast<int>(end - rest), &raw, &tail);
      Stmt st(db_->handle(), raw);
      if (rc != SQLITE_OK) {
        return ScriptStatementError(sql, offset, done + 1,
                                    SqliteError(db_->handle(), rc, "preparing"));
      }
      rest = tail;
      if (!st.valid()) continue;  // blanks or comments only
      while (true) {
        Result<bool> row = st.Step();
        if (!row.ok()) return ScriptStatementError(sql, offset, done + 1, row.status());
        if (!*row) break;
      }
      ++done;
      if (statements_run != nullptr) *statements_run = done;
    }
    return Status::OK();
  }

  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    const std::vector<SqlValue>& params) override {
    sqlite3_stmt* raw = nullptr;
    int rc =
        sqlite3_prepare_v2(db_->handle(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    Stmt st(db_->handle(), raw);
    if (rc != SQLITE_OK) return SqliteError(db_->handle(), rc, "preparing a migration query");
    for (size_t i = 0; i < params.size(); ++i) {
      std::string name = "$" + std::to_string(i + 1);
      int index = sqlite3_bind_parameter_index(raw, name.c_str());
      if (index == 0) continue;
      st.BindOptional(index, params[i]);
    }
    std::vector<SqlRow> rows;
    while (true) {
      FS_TRY_ASSIGN(bool has, st.Step());
      if (!has) break;
      SqlRow row;
      int columns = sqlite3_column_count(raw);
      for (int c = 0; c < columns; ++c) row.push_back(st.OptionalText(c));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::string NowSql() const override { return std::string(SqlNow(SqlDialect::kSqlite)); }
  std::string TimestampText(std::string_view column) const override { return std::string(column); }

 private:
  Db* db_;
  int lock_fd_;
  bool in_transaction_ = false;
};

Result<std::unique_ptr<MigrationSession>> SqliteStore::OpenMigrationSession() {
  // A private in-memory database (a plan against a database that does not
  // exist yet) has no other runner to keep out.
  if (path_ == ":memory:" || path_.empty()) {
    return std::unique_ptr<MigrationSession>(new SqliteMigrationSession(&db_, -1));
  }
  std::string lock_path = path_ + "-migrate.lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return PosixError("opening the migration lock " + lock_path, errno);
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.lock_timeout_ms);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) {
      ::close(fd);
      return PosixError("locking " + lock_path, err);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      char holder[256] = {};
      ssize_t n = ::pread(fd, holder, sizeof(holder) - 1, 0);
      ::close(fd);
      std::string who = n > 0 ? std::string(holder, static_cast<size_t>(n)) : "another process";
      while (!who.empty() && (who.back() == '\n' || who.back() == '\0')) who.pop_back();
      return Status::Busy(fmt::format(
          "database {} is being migrated by {}; waited {} s (raise --lock-timeout, or retry "
          "when it is done)",
          Describe(), who, options_.lock_timeout_ms / 1000.0));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Tell waiters who holds the lock, and since when.
  std::string holder = fmt::format("flowsync pid={} host={} since={}\n", ::getpid(), HostName(),
                                   FormatTimestampMs(SystemNowMs()));
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, holder.data(), holder.size(), 0) != static_cast<ssize_t>(holder.size())) {
    // The holder line is a courtesy to waiters; the lock itself is held.
  }
  return std::unique_ptr<MigrationSession>(new SqliteMigrationSession(&db_, fd));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const StoreOptions& options) {
  if (!options.create_if_missing) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return Status::NotFound("no flowsync database at " + path +
                              " (run `flowsync sync` first, or pass --db)");
    }
  }
  auto store = std::make_unique<SqliteStore>(path, options);
  FS_TRY(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace flowsync::sqlite
