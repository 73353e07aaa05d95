#include "store/postgres/pg_sync_transaction.h"

#include <fmt/format.h>

#include "sql/dialect.h"
#include "store/sql_statements.h"
#include "util/time_format.h"

namespace flowsync::postgres {
namespace {

class PgSyncTransaction final : public SyncTransaction {
 public:
  PgSyncTransaction(PgSession* session, bool read_only)
      : store_(session),
        conn_(&session->data()),
        read_only_(read_only),
        store_rls_(session->rls()) {}
  ~PgSyncTransaction() override;

  Result<std::vector<IndexRow>> LoadIndex() override {
    return QueryIndex("", {}, "loading the workflow index");
  }

  Status ForEachIndexRow(const std::function<Status(const IndexRow&)>& each) override {
    constexpr std::string_view kContext = "reading the workflow index";
    FS_TRY(Flush());
    // A cursor, so that neither side holds the whole index: libpq would
    // keep a plain query's every row.
    FS_TRY(conn_
               ->Exec(fmt::format("DECLARE flowsync_index NO SCROLL CURSOR FOR {} WHERE project = "
                                  "current_setting('flowsync.project')",
                                  kIndexSelect),
                      {}, kContext)
               .status());
    IndexRow row;
    while (true) {
      FS_TRY_ASSIGN(PgResult r, conn_->Exec("FETCH 5000 FROM flowsync_index", {}, kContext));
      for (int i = 0; i < r.rows(); ++i) {
        FS_TRY(ReadIndexRow(r, i, row));
        FS_TRY(each(row));
      }
      if (r.rows() == 0) break;
    }
    return conn_->Exec("CLOSE flowsync_index", {}, kContext).status();
  }

  Result<std::vector<IndexRow>> LoadIndexUnder(const std::set<std::string>& keys) override {
    constexpr std::string_view kContext = "loading the workflow index";
    std::vector<std::string> exact, low, high;
    for (const std::string& key : keys) {
      exact.push_back(key);
      // '0' follows '/' and '$' follows '#' in byte order.
      low.push_back(key + "/");
      high.push_back(key + "0");
      low.push_back(key + "#");
      high.push_back(key + "$");
    }
    const std::string exact_array = TextArray(exact), low_array = TextArray(low);
    const std::string high_array = TextArray(high);
    FS_TRY_ASSIGN(bool byte_order, PathsInByteOrder());
    if (!byte_order) {
      // By prefix (^@): a scan of the project's rows, but right whatever
      // the collation.
      FS_TRY_ASSIGN(std::vector<IndexRow> moved,
                    QueryIndex(" AND base_path <> path AND (base_path = ANY($1::text[]) OR "
                               "base_path ^@ ANY($2::text[]))",
                               {exact_array, low_array}, kContext));
      FS_TRY_ASSIGN(std::vector<IndexRow> rows,
                    QueryIndex(" AND (path = ANY($1::text[]) OR path ^@ ANY($2::text[]))",
                               {exact_array, low_array}, kContext));
      rows.insert(rows.end(), std::make_move_iterator(moved.begin()),
                  std::make_move_iterator(moved.end()));
      return rows;
    }
    // The rows at the keys and in the ranges of their prefixes, by the
    // index on (project, path); those renamed in the database whose base
    // path is there, by the partial index workflows_renamed_in_database.
    // Each range is its own index scan (LATERAL ... OFFSET 0): joined as a
    // whole, the planner cannot estimate the ranges, and at a million rows
    // it scanned the table (two seconds for one watched edit).
    auto ranges = [](std::string_view column, std::string_view also) {
      return fmt::format(
          "SELECT w.* FROM unnest($2::text[], $3::text[]) AS r(low, high), LATERAL ({} WHERE "
          "project = current_setting('flowsync.project'){} AND {} > r.low AND {} < r.high "
          "OFFSET 0) AS w",
          kIndexSelect, also, column, column);
    };
    return QueryIndex(
        fmt::format(" AND path = ANY($1::text[]) UNION ALL {} UNION ALL {} WHERE project = "
                    "current_setting('flowsync.project') AND base_path <> path AND base_path = "
                    "ANY($1::text[]) UNION ALL {}",
                    ranges("path", ""), kIndexSelect,
                    ranges("base_path", " AND base_path <> path")),
        {exact_array, low_array, high_array}, kContext);
  }

  Result<std::vector<IndexRow>> LoadIndexWithHash(const std::string& hash) override {
    return QueryIndex(" AND content_hash = $1", {hash}, "looking for rename sources");
  }

  Result<bool> IdTaken(const std::string& id) override {
    FS_TRY(Flush());
    FS_TRY_ASSIGN(PgResult r, conn_->Exec("SELECT 1 FROM workflows WHERE project = "
                                          "current_setting('flowsync.project') AND id = $1::uuid",
                                          {id}, "checking a new workflow id"));
    return r.rows() > 0;
  }

  Result<int64_t> CountLive() override {
    FS_TRY(Flush());
    FS_TRY_ASSIGN(PgResult r, conn_->Exec("SELECT count(*) FROM workflows WHERE project = "
                                          "current_setting('flowsync.project') AND deleted_at IS "
                                          "NULL",
                                          {}, "counting the workflows"));
    return r.Int(0, 0);
  }

  Result<int64_t> BeginRun(std::string_view mode, std::string_view root,
                           std::string_view now) override {
    FS_TRY(CheckWritable());
    FS_TRY_ASSIGN(PgResult r, conn_->Exec("INSERT INTO sync_runs (mode, root, started_at) VALUES "
                                          "($1::sync_mode, $2, $3::timestamptz) RETURNING id",
                                          {mode, root, now}, "starting the run"));
    return r.Int(0, 0);
  }

  Status AddWorkflow(const std::string& id, const std::string& path, const ParsedWorkflow& wf,
                     const std::string& sig, std::string_view now) override {
    FS_TRY(CheckWritable());
    workflows_.Field(id).Field(path).Field(FormatName(wf.format)).Field(wf.content_hash);
    workflows_.Field(sig).Null().Field(wf.name).Optional(wf.source_id);
    workflows_.Field(wf.active ? "t" : "f").Field(int64_t{1}).Field(now).Field(now);
    workflows_.Field(wf.metadata_json).Field(wf.documentation).Field(wf.content);
    AddDefinition(wf, workflows_);
    workflows_.Field(wf.content_hash).Field(path);  // the base: files and database agree
    workflows_.EndRow();
    BufferDerived(id, wf);
    touched_.Touch(id, wf.source_id);
    // Stream workflow rows as they come, so the server ingests them while
    // the readers parse more; child rows wait for the COPY to end.
    if (!workflows_copy_open_) {
      FS_TRY(conn_->CopyBegin(CopyStatement(kWorkflows), "writing workflows"));
      workflows_copy_open_ = true;
    }
    if (workflows_.data().size() >= (256u << 10)) {
      FS_TRY(conn_->CopyPut(workflows_.data(), "writing workflows"));
      workflows_.Clear();
    }
    return MaybeFlush();
  }

  Status UpdateWorkflow(const std::string& id, const ParsedWorkflow& wf, const std::string& sig,
                        bool content_changed, int64_t run_id, std::string_view now) override {
    FS_TRY(CheckWritable());
    FS_TRY(Flush());
    std::string run = std::to_string(run_id);
    if (content_changed) {
      FS_TRY(conn_
                 ->Exec("INSERT INTO workflow_versions (workflow_id, project, version, path, "
                        "name, content, content_hash, metadata, documentation, valid_from, "
                        "replaced_at, run_id) SELECT id, project, version, path, name, content, "
                        "content_hash, metadata, documentation, updated_at, $2::timestamptz, "
                        "$3::bigint FROM workflows WHERE id = $1::uuid",
                        {id, now, run}, "keeping the previous version")
                 .status());
    }
    std::optional<std::string> definition = Definition(wf);
    FS_TRY_ASSIGN(
        PgResult r,
        conn_->Exec(
            "UPDATE workflows SET name = $2, format = $3::workflow_format, "
            "source_id = $4, content = $5, content_hash = $6, metadata = "
            "$7::jsonb, documentation = $8, active = $9::boolean, source_sig = "
            "$10, definition = $11::jsonb, version = version + $12::integer, "
            "updated_at = CASE WHEN $12::integer = 1 THEN $13::timestamptz "
            "ELSE updated_at END, base_hash = $6, base_path = workflows.path FROM (SELECT "
            "source_id AS old_source_id FROM workflows "
            "WHERE id = $1::uuid) old WHERE id = $1::uuid RETURNING old.old_source_id",
            {id, wf.name, FormatName(wf.format), wf.source_id ? PgParam(*wf.source_id) : PgParam(),
             wf.content, wf.content_hash, wf.metadata_json, wf.documentation,
             wf.active ? "true" : "false", sig, definition ? PgParam(*definition) : PgParam(),
             content_changed ? "1" : "0", now},
            "updating a workflow"));
    FS_TRY(ExpectOneRow(r, id));
    touched_.Touch(id, r.OptionalText(0, 0));  // the source id it held until now
    touched_.Touch(id, wf.source_id);
    for (const char* table : {"workflow_categories", "workflow_findings", "phase_entries"}) {
      FS_TRY(conn_
                 ->Exec(fmt::format("DELETE FROM {} WHERE workflow_id = $1::uuid", table), {id},
                        "replacing derived rows")
                 .status());
    }
    BufferDerived(id, wf);
    return MaybeFlush();
  }

  Status MoveWorkflow(const std::string& id, const std::string& new_path, const std::string& sig,
                      std::string_view now) override {
    return UpdateOne(
        "UPDATE workflows SET path = $2, source_sig = $3, updated_at = "
        "$4::timestamptz WHERE id = $1::uuid",
        {id, new_path, sig, now}, id, "renaming a workflow");
  }

  Status RecordSourceSig(const std::string& id, const std::string& sig) override {
    return UpdateOne("UPDATE workflows SET source_sig = $2 WHERE id = $1::uuid", {id, sig}, id,
                     "recording a file's signature");
  }

  Status RecordBase(const std::string& id, const std::string& base_hash,
                    const std::string& base_path) override {
    return UpdateOne(
        "UPDATE workflows SET base_hash = $2, base_path = $3, source_sig = '' WHERE id = $1::uuid",
        {id, base_hash, base_path}, id, "recording the base");
  }

  // One statement for all of them.
  Status RecordBases(const std::vector<BaseRecord>& records) override {
    FS_TRY(CheckWritable());
    FS_TRY(Flush());
    std::vector<std::string> ids, hashes, paths;
    for (const BaseRecord& r : records) {
      ids.push_back(r.id);
      hashes.push_back(r.base_hash);
      paths.push_back(r.base_path);
    }
    return conn_
        ->Exec(
            "UPDATE workflows w SET base_hash = v.h, base_path = v.p, source_sig = '' FROM "
            "unnest($1::uuid[], $2::text[], $3::text[]) AS v(id, h, p) WHERE w.id = v.id",
            {TextArray(ids), TextArray(hashes), TextArray(paths)}, "recording the bases")
        .status();
  }

  Status MarkDeleted(const std::string& id, std::string_view now) override {
    return UpdateOne(
        "UPDATE workflows SET deleted_at = $2::timestamptz, source_sig = '', base_hash = '', "
        "base_path = '' WHERE id = $1::uuid AND deleted_at IS NULL",
        {id, now}, id, "deleting a workflow");
  }

  Status Restore(const std::string& id, std::string_view now) override {
    return UpdateOne(
        "UPDATE workflows SET deleted_at = NULL, updated_at = $2::timestamptz WHERE "
        "id = $1::uuid AND deleted_at IS NOT NULL",
        {id, now}, id, "restoring a workflow");
  }

  Status AppendLog(const LogRecord& r) override {
    FS_TRY(CheckWritable());
    auto opt = [&](const std::string& s) -> CopyRows& {
      return s.empty() ? log_.Null() : log_.Field(s);
    };
    log_.Field(r.run_id).Field(SyncEventName(r.event));
    opt(r.workflow_id);
    log_.Field(r.path);
    opt(r.old_path);
    opt(r.old_hash);
    opt(r.new_hash);
    opt(r.message);
    log_.Field(r.time).EndRow();
    return MaybeFlush();
  }

  Status RefreshSourceIdFindings() override {
    FS_TRY(CheckWritable());
    FS_TRY(Flush());
    constexpr std::string_view kContext = "recomputing duplicate source id findings";
    if (touched_.everything()) {
      std::string script;
      for (const std::string& statement :
           SourceIdFindingsSql(SqlDialect::kPostgres, "current_setting('flowsync.project')")) {
        script += statement + ";\n";
      }
      touched_.Clear();
      return conn_->ExecScript(script, kContext);
    }
    const std::string sources = TextArray({touched_.sources().begin(), touched_.sources().end()});
    const std::string ids = TextArray({touched_.ids().begin(), touched_.ids().end()});
    for (const std::string& statement : SourceIdFindingsSqlFor(
             SqlDialect::kPostgres, "current_setting('flowsync.project')",
             "(SELECT unnest($1::text[]) UNION SELECT source_id FROM workflows WHERE id = "
             "ANY($2::uuid[]) AND source_id IS NOT NULL)",
             "(SELECT unnest($2::uuid[]))")) {
      FS_TRY(conn_->Exec(statement, {sources, ids}, kContext).status());
    }
    touched_.Clear();
    return Status::OK();
  }

  Status FinishRun(int64_t run_id, const RunCounts& c, std::string_view now) override {
    FS_TRY(CheckWritable());
    FS_TRY(Flush());
    auto s = [](int64_t v) { return std::to_string(v); };
    return conn_
        ->Exec(
            "UPDATE sync_runs SET finished_at = $2::timestamptz, added = $3, updated = $4, "
            "renamed = $5, deleted = $6, restored = $7, unchanged = $8, errors = $9 WHERE "
            "id = $1",
            {s(run_id), now, s(c.added), s(c.updated), s(c.renamed), s(c.deleted), s(c.restored),
             s(c.unchanged), s(c.errors)},
            "finishing the run")
        .status();
  }

  Status Commit() override;

 private:
  static constexpr std::string_view kIndexSelect =
      "SELECT id::text, path, format::text, content_hash, source_sig, deleted_at IS NOT NULL, "
      "base_hash, base_path FROM workflows";

  // Whether the database compares text in byte order (the C or POSIX
  // collation of libc), so that ranges of paths hold what their prefixes do.
  Result<bool> PathsInByteOrder() {
    if (!byte_order_) {
      FS_TRY_ASSIGN(PgResult r,
                    conn_->Exec("SELECT datcollate IN ('C', 'POSIX') AND coalesce(to_jsonb(d) ->> "
                                "'datlocprovider', 'c') = 'c' FROM pg_database d WHERE datname = "
                                "current_database()",
                                {}, "reading the database's collation"));
      byte_order_ = r.rows() == 1 && r.Bool(0, 0);
    }
    return *byte_order_;
  }

  // A PostgreSQL array literal of `items`.
  static std::string TextArray(const std::vector<std::string>& items) {
    std::string out = "{";
    for (const std::string& item : items) {
      if (out.size() > 1) out += ',';
      out += '"';
      for (char c : item) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
    return out + "}";
  }

  // The index rows of the project that match `where` (" AND ..." or "").
  Result<std::vector<IndexRow>> QueryIndex(std::string_view where,
                                           const std::vector<PgParam>& params,
                                           std::string_view context) {
    FS_TRY(Flush());
    FS_TRY_ASSIGN(
        PgResult r,
        conn_->Exec(fmt::format("{} WHERE project = current_setting('flowsync.project'){}",
                                kIndexSelect, where),
                    params, context));
    std::vector<IndexRow> rows(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) FS_TRY(ReadIndexRow(r, i, rows[static_cast<size_t>(i)]));
    return rows;
  }

  // Row `i` of `r` (kIndexSelect), into `row`.
  static Status ReadIndexRow(const PgResult& r, int i, IndexRow& row) {
    row.id = r.Text(i, 0);
    row.path = r.Text(i, 1);
    std::optional<Format> format = ParseFormat(r.Text(i, 2));
    if (!format) return Status::Corruption("workflow " + row.id + ": unknown format");
    row.format = *format;
    row.content_hash = r.Text(i, 3);
    row.source_sig = r.Text(i, 4);
    row.deleted = r.Bool(i, 5);
    row.base_hash = r.Text(i, 6);
    row.base_path = r.Text(i, 7);
    return Status::OK();
  }

  Status CheckWritable() const {
    if (read_only_) return Status::Internal("write in a read-only sync transaction");
    if (done_) return Status::Internal("write after the transaction finished");
    return Status::OK();
  }

  static std::optional<std::string> Definition(const ParsedWorkflow& wf) {
    if (!HasJsonbDefinition(wf)) return std::nullopt;
    return wf.content;
  }

  static void AddDefinition(const ParsedWorkflow& wf, CopyRows& rows) {
    std::optional<std::string> d = Definition(wf);
    if (d) {
      rows.Field(*d);
    } else {
      rows.Null();
    }
  }

  void BufferDerived(const std::string& id, const ParsedWorkflow& wf) {
    for (const std::string& c : wf.categories) {
      categories_.Field(id).Field(c).EndRow();
    }
    for (const Finding& f : wf.findings) {
      findings_.Field(id).Field(SeverityName(f.severity)).Field(f.code).Field(f.location);
      findings_.Field(f.message).EndRow();
    }
    int64_t pos = 0;
    for (const PhaseEntry& p : wf.phases) {
      phases_.Field(id).Field(pos++).Field(p.task).Field(p.depends_on).Field(p.rule);
      phases_.Field(p.template_text).Field(p.retry).Field(int64_t{p.line}).EndRow();
    }
  }

  Status MaybeFlush() {
    size_t pending = categories_.data().size() + findings_.data().size() + phases_.data().size() +
                     log_.data().size();
    return pending > (8u << 20) ? Flush() : Status::OK();
  }

  struct Target {
    const char* table;
    const char* columns;
  };
  static constexpr Target kWorkflows = {
      "workflows",
      "id, path, format, content_hash, source_sig, deleted_at, name, source_id, active, version, "
      "created_at, updated_at, metadata, documentation, content, definition, base_hash, base_path"};
  static constexpr Target kCategories = {"workflow_categories", "workflow_id, category"};
  static constexpr Target kFindings = {"workflow_findings",
                                       "workflow_id, severity, code, location, message"};
  static constexpr Target kPhases = {
      "phase_entries", "workflow_id, position, task, depends_on, rule, template, retry, line"};
  static constexpr Target kLog = {"workflow_sync_log",
                                  "run_id, event, workflow_id, path, old_path, old_hash, "
                                  "new_hash, message, created_at"};

  // PostgreSQL refuses COPY FROM into a table whose row-level security
  // applies to the session (roles other than the owner): such sessions COPY
  // into a temporary twin and move the rows with INSERT ... SELECT, which
  // the policies check row by row.
  std::string CopyStatement(const Target& t) const {
    return fmt::format("COPY {}{} ({}) FROM STDIN", store_rls_ ? "flowsync_tmp_" : "", t.table,
                       t.columns);
  }

  // Writes buffered rows with COPY, parents before children.
  Status Flush() {
    if (workflows_copy_open_) {
      workflows_copy_open_ = false;
      Status s = conn_->CopyPut(workflows_.data(), "writing workflows");
      workflows_.Clear();
      Status end = conn_->CopyEnd("writing workflows");
      FS_TRY(s);
      FS_TRY(end);
      if (store_rls_)
        FS_TRY(MoveFromTwin(*conn_, kWorkflows.table, kWorkflows.columns, "writing rows"));
    }
    struct Buffered {
      CopyRows* rows;
      const Target* target;
    };
    for (Buffered b : {Buffered{&categories_, &kCategories}, Buffered{&findings_, &kFindings},
                       Buffered{&phases_, &kPhases}, Buffered{&log_, &kLog}}) {
      if (b.rows->empty()) continue;
      Status s = CopyInto(*conn_, store_rls_, b.target->table, b.target->columns, b.rows->data(),
                          "writing rows");
      b.rows->Clear();
      FS_TRY(s);
    }
    return Status::OK();
  }

  Status UpdateOne(std::string_view sql, const std::vector<PgParam>& params, const std::string& id,
                   std::string_view context) {
    FS_TRY(CheckWritable());
    FS_TRY(Flush());
    FS_TRY_ASSIGN(PgResult r, conn_->Exec(sql, params, context));
    touched_.Touch(id, std::nullopt);  // its source id is looked up at the refresh
    return ExpectOneRow(r, id);
  }

  static Status ExpectOneRow(const PgResult& r, const std::string& id) {
    if (std::string_view(PQcmdTuples(r.get())) != "1") {
      return Status::Internal("workflow " + id + " was not in the expected state");
    }
    return Status::OK();
  }

  std::optional<bool> byte_order_;  // PathsInByteOrder(), once asked
  TouchedSourceIds touched_;
  PgSession* store_;
  PgConn* conn_;
  bool read_only_;
  bool done_ = false;
  bool store_rls_;  // row-level security applies to this session
  bool workflows_copy_open_ = false;
  CopyRows workflows_, categories_, findings_, phases_, log_;
};

PgSyncTransaction::~PgSyncTransaction() {
  if (!done_) {
    if (workflows_copy_open_) (void)conn_->CopyEnd();
    (void)conn_->ExecScript("ROLLBACK");
    if (!read_only_) store_->ReleaseWriterLock();
  }
}

Status PgSyncTransaction::Commit() {
  if (done_) return Status::Internal("transaction already finished");
  if (read_only_) {
    done_ = true;
    return conn_->ExecScript("COMMIT");
  }
  FS_TRY(Flush());
  // Commit only while the lock is still ours: if its connection died, another
  // writer may already be running.
  FS_TRY(store_->LockStillHeld());
  Status s = conn_->ExecScript("COMMIT", "committing the sync");
  done_ = true;
  store_->ReleaseWriterLock();
  return s;
}

}  // namespace

std::unique_ptr<SyncTransaction> NewPgSyncTransaction(PgSession* session, bool read_only) {
  return std::make_unique<PgSyncTransaction>(session, read_only);
}

}  // namespace flowsync::postgres
