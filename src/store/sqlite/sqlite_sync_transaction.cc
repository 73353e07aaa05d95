#include "store/sqlite/sqlite_sync_transaction.h"

#include "source/json_document.h"
#include "store/sql_statements.h"

namespace flowsync::sqlite {
namespace {

class SqliteSyncTransaction final : public SyncTransaction {
 public:
  SqliteSyncTransaction(Db* db, bool read_only) : db_(db), read_only_(read_only) {}
  ~SqliteSyncTransaction() override {
    if (!done_) (void)db_->Exec("ROLLBACK");
  }

  Result<std::vector<IndexRow>> LoadIndex() override {
    FS_TRY_ASSIGN(Stmt st, db_->Prepare(std::string(kIndexColumns) + "WHERE project = :project"));
    std::vector<IndexRow> rows;
    FS_TRY(ReadIndex(st, rows));
    return rows;
  }

  Status ForEachIndexRow(const std::function<Status(const IndexRow&)>& each) override {
    FS_TRY_ASSIGN(Stmt st, db_->Prepare(std::string(kIndexColumns) + "WHERE project = :project"));
    IndexRow row;
    while (true) {
      FS_TRY_ASSIGN(bool has_row, st.Step());
      if (!has_row) return Status::OK();
      FS_TRY(ReadIndexRow(st, row));
      FS_TRY(each(row));
    }
  }

  Result<std::vector<IndexRow>> LoadIndexUnder(const std::set<std::string>& keys) override {
    // Three ranges of the (project, path) index per key: '0' follows '/'
    // and '$' follows '#' in byte order. Then the same ranges of base paths
    // among the rows renamed in the database (their files are there: the
    // partial index workflows_renamed_in_database).
    const std::string select = std::string(kIndexColumns) + "WHERE project = :project AND ";
    FS_TRY_ASSIGN(Stmt st, db_->Prepare(select + "path = ?2 UNION ALL " + select +
                                        "path > ?3 AND path < ?4 UNION ALL " + select +
                                        "path > ?5 AND path < ?6"));
    FS_TRY_ASSIGN(
        Stmt renamed,
        db_->Prepare(select + "base_path <> path AND (base_path = ?2 OR (base_path > ?3 AND "
                              "base_path < ?4) OR (base_path > ?5 AND base_path < ?6))"));
    std::vector<IndexRow> rows;
    for (const std::string& key : keys) {
      // Bound, not copied: they outlive both reads.
      const std::string dir_lo = key + "/", dir_hi = key + "0", el_lo = key + "#",
                        el_hi = key + "$";
      for (Stmt* q : {&st, &renamed}) {
        q->Bind(2, key).Bind(3, dir_lo).Bind(4, dir_hi).Bind(5, el_lo).Bind(6, el_hi);
        FS_TRY(ReadIndex(*q, rows));
        q->Reset();
      }
    }
    return rows;
  }

  Result<std::vector<IndexRow>> LoadIndexWithHash(const std::string& hash) override {
    FS_TRY_ASSIGN(Stmt st, db_->Prepare(std::string(kIndexColumns) +
                                        "WHERE project = :project AND content_hash = ?2"));
    st.Bind(2, hash);
    std::vector<IndexRow> rows;
    FS_TRY(ReadIndex(st, rows));
    return rows;
  }

  Result<bool> IdTaken(const std::string& id) override {
    FS_TRY_ASSIGN(Stmt st,
                  db_->Prepare("SELECT 1 FROM workflows WHERE project = :project AND id = ?2"));
    st.Bind(2, id);
    return st.Step();
  }

  Result<int64_t> CountLive() override {
    FS_TRY_ASSIGN(Stmt st, db_->Prepare("SELECT count(*) FROM workflows WHERE project = :project "
                                        "AND deleted_at IS NULL"));
    FS_TRY_ASSIGN(bool has_row, st.Step());
    return has_row ? st.Int(0) : 0;
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
                                    "version, source_sig, created_at, updated_at, project, "
                                    "base_hash, base_path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                                    "?8, ?9, ?10, 1, ?11, ?12, ?13, :project, ?7, ?2)"));
    st->Bind(1, id).Bind(2, path).Bind(3, wf.name).Bind(4, FormatName(wf.format));
    st->BindOptional(5, wf.source_id);
    st->Bind(6, wf.content).Bind(7, wf.content_hash).Bind(8, wf.metadata_json);
    st->Bind(9, wf.documentation).Bind(10, int64_t{wf.active ? 1 : 0}).Bind(11, sig);
    st->Bind(12, now).Bind(13, now);
    FS_TRY(st->Run());
    touched_.Touch(id, wf.source_id);
    return WriteDerived(id, wf, /*replace=*/false);
  }

  Status UpdateWorkflow(const std::string& id, const ParsedWorkflow& wf, const std::string& sig,
                        bool content_changed, int64_t run_id, std::string_view now) override {
    FS_TRY(CheckWritable());
    if (!touched_.everything()) {  // the source id it held until now
      FS_TRY_ASSIGN(Stmt old, db_->Prepare("SELECT source_id FROM workflows WHERE id = ?1"));
      old.Bind(1, id);
      FS_TRY_ASSIGN(bool has_row, old.Step());
      if (has_row) touched_.Touch(id, old.OptionalText(0));
    }
    touched_.Touch(id, wf.source_id);
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
                         "updated_at = CASE WHEN ?11 = 1 THEN ?12 ELSE updated_at END, "
                         "base_hash = ?6, base_path = path WHERE id = ?1"));
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
    touched_.Touch(id, std::nullopt);  // its source id is looked up at the refresh
    return ExpectOneRow(id);
  }

  Status RecordSourceSig(const std::string& id, const std::string& sig) override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(Stmt * st,
                  Cached(kRecordSig, "UPDATE workflows SET source_sig = ?2 WHERE id = ?1"));
    st->Bind(1, id).Bind(2, sig);
    FS_TRY(st->Run());
    return ExpectOneRow(id);
  }

  Status RecordBase(const std::string& id, const std::string& base_hash,
                    const std::string& base_path) override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(Stmt * st, Cached(kRecordBase,
                                    "UPDATE workflows SET base_hash = ?2, base_path = ?3, "
                                    "source_sig = '' WHERE id = ?1"));
    st->Bind(1, id).Bind(2, base_hash).Bind(3, base_path);
    FS_TRY(st->Run());
    return ExpectOneRow(id);
  }

  Status MarkDeleted(const std::string& id, std::string_view now) override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(Stmt * st, Cached(kDelete,
                                    "UPDATE workflows SET deleted_at = ?2, source_sig = '', "
                                    "base_hash = '', base_path = '' "
                                    "WHERE id = ?1 AND deleted_at IS NULL"));
    st->Bind(1, id).Bind(2, now);
    FS_TRY(st->Run());
    touched_.Touch(id, std::nullopt);  // its source id is looked up at the refresh
    return ExpectOneRow(id);
  }

  Status Restore(const std::string& id, std::string_view now) override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(Stmt * st, Cached(kRestore,
                                    "UPDATE workflows SET deleted_at = NULL, updated_at = ?2 "
                                    "WHERE id = ?1 AND deleted_at IS NOT NULL"));
    st->Bind(1, id).Bind(2, now);
    FS_TRY(st->Run());
    touched_.Touch(id, std::nullopt);  // its source id is looked up at the refresh
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
    if (touched_.everything()) {
      for (const std::string& statement : SourceIdFindingsSql(SqlDialect::kSqlite, ":project")) {
        FS_TRY_ASSIGN(Stmt st, db_->Prepare(statement));
        FS_TRY(st.Run());
      }
      touched_.Clear();
      return Status::OK();
    }
    const std::string ids = JsonArray(touched_.ids()), sources = JsonArray(touched_.sources());
    for (const std::string& statement : SourceIdFindingsSqlFor(
             SqlDialect::kSqlite, ":project",
             "(SELECT value FROM json_each(:sources) UNION SELECT source_id FROM workflows WHERE "
             "id IN (SELECT value FROM json_each(:ids)) AND source_id IS NOT NULL)",
             "(SELECT value FROM json_each(:ids))")) {
      FS_TRY_ASSIGN(Stmt st, db_->Prepare(statement));
      if (int i = sqlite3_bind_parameter_index(st.handle(), ":ids"); i > 0) st.Bind(i, ids);
      if (int i = sqlite3_bind_parameter_index(st.handle(), ":sources"); i > 0) {
        st.Bind(i, sources);
      }
      FS_TRY(st.Run());
    }
    touched_.Clear();
    return Status::OK();
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
  static std::string JsonArray(const std::set<std::string>& items) {
    std::string out = "[";
    for (const std::string& item : items) {
      if (out.size() > 1) out += ',';
      AppendJsonString(item, &out);
    }
    return out + "]";
  }

  static constexpr std::string_view kIndexColumns =
      "SELECT id, path, format, content_hash, source_sig, deleted_at IS NOT NULL, base_hash, "
      "base_path FROM workflows ";

  // The row `st` stands on (kIndexColumns), into `row`.
  static Status ReadIndexRow(Stmt& st, IndexRow& row) {
    row.id = st.TextView(0);
    row.path = st.TextView(1);
    std::optional<Format> format = ParseFormat(st.TextView(2));
    if (!format) return Status::Corruption("workflow " + row.id + ": unknown format");
    row.format = *format;
    row.content_hash = st.TextView(3);
    row.source_sig = st.TextView(4);
    row.deleted = st.Int(5) != 0;
    row.base_hash = st.TextView(6);
    row.base_path = st.TextView(7);
    return Status::OK();
  }

  // Appends the rows `st` yields to `rows`.
  static Status ReadIndex(Stmt& st, std::vector<IndexRow>& rows) {
    while (true) {
      FS_TRY_ASSIGN(bool has_row, st.Step());
      if (!has_row) break;
      IndexRow row;
      FS_TRY(ReadIndexRow(st, row));
      rows.push_back(std::move(row));
    }
    return Status::OK();
  }

  enum CachedStmt {
    kInsertWorkflow,
    kKeepVersion,
    kUpdateWorkflow,
    kMove,
    kRecordSig,
    kRecordBase,
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
  TouchedSourceIds touched_;
  bool done_ = false;
  Stmt cache_[kCachedCount];
};

}  // namespace

std::unique_ptr<SyncTransaction> NewSqliteSyncTransaction(Db* db, bool read_only) {
  return std::make_unique<SqliteSyncTransaction>(db, read_only);
}

}  // namespace flowsync::sqlite
