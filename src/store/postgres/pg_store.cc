#include "store/postgres/pg_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "flowsync/phase_cache.h"
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_schema.h"
#include "store/sql_script.h"
#include "util/host.h"
#include "util/time_format.h"

namespace flowsync::postgres {
namespace {

// Timestamps read back in the same form the SQLite backend stores.
std::string Ts(std::string_view column) {
  return fmt::format("to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')", column);
}

const std::string& WorkflowColumns() {
  static const std::string columns = fmt::format(
      "w.id::text, w.name, w.path, w.format::text, w.content_hash, w.source_id, w.active, {}, {}, "
      "{}, w.version",
      Ts("w.deleted_at"), Ts("w.created_at"), Ts("w.updated_at"));
  return columns;
}

Result<WorkflowSummary> ReadSummary(const PgResult& r, int row) {
  WorkflowSummary s;
  s.id = r.Text(row, 0);
  s.name = r.Text(row, 1);
  s.path = r.Text(row, 2);
  std::optional<Format> format = ParseFormat(r.Text(row, 3));
  if (!format) return Status::Corruption("workflow " + s.id + ": unknown format");
  s.format = *format;
  s.content_hash = r.Text(row, 4);
  s.source_id = r.OptionalText(row, 5);
  s.active = r.Bool(row, 6);
  s.deleted_at = r.OptionalText(row, 7);
  s.created_at = r.Text(row, 8);
  s.updated_at = r.Text(row, 9);
  s.version = r.Int(row, 10);
  return s;
}

bool ValidIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Splits flowsync's own `schema=` parameter off a libpq URL.
Result<std::pair<std::string, std::string>> SplitUrl(const std::string& url) {
  std::string schema = "public";
  size_t q = url.find('?');
  if (q == std::string::npos) return std::pair{url, schema};
  std::string base = url.substr(0, q);
  std::string kept;
  std::string query = url.substr(q + 1);
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    std::string pair =
        query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (pair.rfind("schema=", 0) == 0) {
      schema = pair.substr(7);
      if (!ValidIdentifier(schema)) {
        return Status::InvalidArgument("database URL: schema '" + schema +
                                       "' must be a lower-case SQL identifier ([a-z_][a-z0-9_]*)");
      }
    } else if (!pair.empty()) {
      kept += (kept.empty() ? "" : "&") + pair;
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return std::pair{kept.empty() ? base : base + "?" + kept, schema};
}

// The writer lock's key: one per schema, so teams sharing a server in
// different schemas do not wait for each other.
std::pair<int32_t, int32_t> LockKey(const std::string& schema) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : "flowsync:" + schema) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return {static_cast<int32_t>(h >> 32), static_cast<int32_t>(h & 0xffffffffu)};
}

// Moves the rows of `table`'s temporary twin into it with INSERT ... SELECT
// (which row-level security checks) and empties the twin.
Status MoveFromTwin(PgConn& conn, std::string_view table, std::string_view columns,
                    std::string_view context) {
  return conn.ExecScript(fmt::format("INSERT INTO {0} ({1}) SELECT {1} FROM flowsync_tmp_{0}; "
                                     "TRUNCATE flowsync_tmp_{0}",
                                     table, columns),
                         context);
}

// COPY rows into `table`. PostgreSQL refuses COPY FROM into a table whose
// row-level security applies to the session (`rls`: roles other than the
// owner), so such sessions copy into a temporary twin and move the rows with
// INSERT ... SELECT, which the policies check row by row.
Status CopyInto(PgConn& conn, bool rls, std::string_view table, std::string_view columns,
                std::string_view data, std::string_view context) {
  if (!rls) {
    return conn.Copy(fmt::format("COPY {} ({}) FROM STDIN", table, columns), data, context);
  }
  FS_TRY(conn.ExecScript(fmt::format("CREATE TEMP TABLE IF NOT EXISTS flowsync_tmp_{0} "
                                     "(LIKE {0} INCLUDING DEFAULTS)",
                                     table),
                         context));
  FS_TRY(conn.Copy(fmt::format("COPY flowsync_tmp_{} ({}) FROM STDIN", table, columns), data,
                   context));
  return MoveFromTwin(conn, table, columns, context);
}

class PgStore;

class PgSyncTransaction final : public SyncTransaction {
 public:
  PgSyncTransaction(PgStore* store, PgConn* conn, bool read_only, bool rls)
      : store_(store), conn_(conn), read_only_(read_only), store_rls_(rls) {}
  ~PgSyncTransaction() override;

  Result<std::vector<IndexRow>> LoadIndex() override {
    FS_TRY(Flush());
    FS_TRY_ASSIGN(PgResult r, conn_->Exec("SELECT id::text, path, format::text, content_hash, "
                                          "source_sig, deleted_at IS NOT NULL FROM workflows WHERE "
                                          "project = current_setting('flowsync.project')",
                                          {}, "loading the workflow index"));
    std::vector<IndexRow> rows;
    rows.reserve(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      IndexRow row;
      row.id = r.Text(i, 0);
      row.path = r.Text(i, 1);
      std::optional<Format> format = ParseFormat(r.Text(i, 2));
      if (!format) return Status::Corruption("workflow " + row.id + ": unknown format");
      row.format = *format;
      row.content_hash = r.Text(i, 3);
      row.source_sig = r.Text(i, 4);
      row.deleted = r.Bool(i, 5);
      rows.push_back(std::move(row));
    }
    return rows;
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
    workflows_.EndRow();
    BufferDerived(id, wf);
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
            "ELSE updated_at END WHERE id = $1::uuid",
            {id, wf.name, FormatName(wf.format), wf.source_id ? PgParam(*wf.source_id) : PgParam(),
             wf.content, wf.content_hash, wf.metadata_json, wf.documentation,
             wf.active ? "true" : "false", sig, definition ? PgParam(*definition) : PgParam(),
             content_changed ? "1" : "0", now},
            "updating a workflow"));
    FS_TRY(ExpectOneRow(r, id));
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

  Status MarkDeleted(const std::string& id, std::string_view now) override {
    return UpdateOne(
        "UPDATE workflows SET deleted_at = $2::timestamptz, source_sig = '' WHERE "
        "id = $1::uuid AND deleted_at IS NULL",
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
    return conn_->ExecScript(R"sql(
      DELETE FROM workflow_findings WHERE code = 'duplicate-source-id' AND workflow_id IN
        (SELECT id FROM workflows WHERE project = current_setting('flowsync.project'));
      INSERT INTO workflow_findings (workflow_id, severity, code, location, message)
      SELECT w.id, 'warning', 'duplicate-source-id', 'id',
             'source id "' || w.source_id || '" is also used by ' || (d.n - 1) ||
             ' other workflow(s), e.g. ' ||
             (SELECT o.path FROM workflows o
               WHERE o.project = w.project AND o.source_id = w.source_id AND o.id <> w.id
                 AND o.deleted_at IS NULL
               ORDER BY o.path COLLATE "C" LIMIT 1) ||
             '; flowsync ids stay distinct'
        FROM workflows w
        JOIN (SELECT source_id, COUNT(*) AS n FROM workflows
               WHERE project = current_setting('flowsync.project') AND deleted_at IS NULL
                 AND source_id IS NOT NULL
               GROUP BY source_id HAVING COUNT(*) > 1) d ON d.source_id = w.source_id
       WHERE w.project = current_setting('flowsync.project') AND w.deleted_at IS NULL)sql",
                             "recomputing duplicate source id findings");
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
      "created_at, updated_at, metadata, documentation, content, definition"};
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
    return ExpectOneRow(r, id);
  }

  static Status ExpectOneRow(const PgResult& r, const std::string& id) {
    if (std::string_view(PQcmdTuples(r.get())) != "1") {
      return Status::Internal("workflow " + id + " was not in the expected state");
    }
    return Status::OK();
  }

  PgStore* store_;
  PgConn* conn_;
  bool read_only_;
  bool done_ = false;
  bool store_rls_;  // row-level security applies to this session
  bool workflows_copy_open_ = false;
  CopyRows workflows_, categories_, findings_, phases_, log_;
};

class PgStore final : public Store {
 public:
  PgStore(DatabaseUrl url, StoreOptions options) : url_(std::move(url)), options_(options) {}

  Status Open() {
    FS_TRY_ASSIGN(auto split, SplitUrl(url_.url));
    conninfo_ = split.first;
    schema_ = split.second;
    lock_key_ = LockKey(schema_);
    FS_TRY(Connect(data_));
    return UpgradeSchema();
  }

  int SchemaVersion() const override { return schema_version_; }

  std::string Describe() const override {
    return fmt::format("postgresql://{} (schema {}{})", data_.where(), schema_,
                       options_.project == kDefaultProject ? "" : ", project " + options_.project);
  }
  const std::string& project() const override { return options_.project; }

  Status GrantProject(const std::string& project, const std::string& role, bool revoke) override {
    if (!IsValidProjectName(project))
      return Status::InvalidArgument("bad project '" + project + "'");
    if (revoke) {
      return data_
          .Exec("DELETE FROM project_grants WHERE project = $1 AND role_name = $2", {project, role},
                "revoking a project")
          .status();
    }
    std::string quoted_role = "\"";
    for (char c : role) quoted_role += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted_role += "\"";
    std::string schema = "\"" + schema_ + "\"";
    FS_TRY(data_.ExecScript("BEGIN", "granting a project"));
    Status s = data_
                   .Exec(
                       "INSERT INTO project_grants (project, role_name) VALUES ($1, $2) ON "
                       "CONFLICT DO NOTHING",
                       {project, role}, "granting a project")
                   .status();
    if (s.ok()) {
      // Table privileges are what any member needs; the rows it may touch
      // are decided by the policies.
      s = data_.ExecScript(
          fmt::format("GRANT USAGE ON SCHEMA {0} TO {1}; "
                      "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {0} TO {1}; "
                      "REVOKE INSERT, UPDATE, DELETE ON {0}.project_grants, {0}.flowsync_meta "
                      "FROM {1}; "
                      "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {0} TO {1}",
                      schema, quoted_role),
          "granting table privileges");
    }
    if (!s.ok()) {
      (void)data_.ExecScript("ROLLBACK");
      return s;
    }
    return data_.ExecScript("COMMIT", "granting a project");
  }

  Result<std::unique_ptr<SyncTransaction>> BeginSync(bool read_only) override {
    if (read_only) {
      FS_TRY(data_.ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                              "starting a read-only transaction"));
      return std::unique_ptr<SyncTransaction>(new PgSyncTransaction(this, &data_, true, rls_));
    }
    FS_TRY(AcquireWriterLock());
    Status s = data_.ExecScript("BEGIN", "starting the sync transaction");
    if (s.ok() && rls_) {
      // The workflows COPY streams, so its twin must exist before it starts
      // (CopyInto makes the others on demand).
      s = data_.ExecScript(
          "CREATE TEMP TABLE IF NOT EXISTS flowsync_tmp_workflows "
          "(LIKE workflows INCLUDING DEFAULTS)",
          "preparing the row-level security write path");
    }
    if (!s.ok()) {
      (void)data_.ExecScript("ROLLBACK");
      ReleaseWriterLock();
      return s;
    }
    return std::unique_ptr<SyncTransaction>(new PgSyncTransaction(this, &data_, false, rls_));
  }

  Result<std::vector<WorkflowSummary>> ListWorkflows(const ListFilter& filter) override {
    std::string sql = fmt::format(
        "SELECT {} FROM workflows w WHERE w.project = current_setting('flowsync.project')",
        WorkflowColumns());
    if (filter.deleted == ListFilter::Deleted::kExclude) sql += " AND w.deleted_at IS NULL";
    if (filter.deleted == ListFilter::Deleted::kOnly) sql += " AND w.deleted_at IS NOT NULL";
    std::vector<PgParam> params;
    if (filter.category) {
      sql +=
          " AND EXISTS (SELECT 1 FROM workflow_categories c WHERE c.workflow_id = w.id AND "
          "c.category = $1)";
      params.push_back(*filter.category);
    }
    sql += " ORDER BY w.path COLLATE \"C\"";
    FS_TRY(data_.ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    auto result = ListInTransaction(sql, params);
    (void)data_.ExecScript("COMMIT");
    return result;
  }

  Result<std::optional<WorkflowDetail>> FindWorkflow(std::string_view query_in) override {
    std::string query = NormaliseWorkflowQuery(query_in);
    FS_TRY(data_.ExecScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    auto result = FindInTransaction(query);
    (void)data_.ExecScript("COMMIT");
    return result;
  }

  Result<std::vector<LogRecord>> ReadLog(int64_t limit,
                                         std::optional<std::string> workflow_id) override {
    std::string sql = fmt::format(
        "SELECT id, run_id, event::text, COALESCE(workflow_id::text, ''), path, "
        "COALESCE(old_path, ''), COALESCE(old_hash, ''), COALESCE(new_hash, ''), "
        "COALESCE(message, ''), {} FROM workflow_sync_log WHERE project = "
        "current_setting('flowsync.project')",
        Ts("created_at"));
    std::vector<PgParam> params;
    if (workflow_id) {
      sql += " AND workflow_id::text = $1";
      params.push_back(*workflow_id);
    }
    sql += " ORDER BY id DESC";
    if (limit > 0) sql += " LIMIT " + std::to_string(limit);
    FS_TRY_ASSIGN(PgResult r, data_.Exec(sql, params, "reading the sync log"));
    std::vector<LogRecord> out;
    for (int i = 0; i < r.rows(); ++i) {
      LogRecord l;
      l.id = r.Int(i, 0);
      l.run_id = r.Int(i, 1);
      std::optional<SyncEvent> ev = ParseSyncEvent(r.Text(i, 2));
      if (!ev) return Status::Corruption("sync log row " + std::to_string(l.id) + ": bad event");
      l.event = *ev;
      l.workflow_id = r.Text(i, 3);
      l.path = r.Text(i, 4);
      l.old_path = r.Text(i, 5);
      l.old_hash = r.Text(i, 6);
      l.new_hash = r.Text(i, 7);
      l.message = r.Text(i, 8);
      l.time = r.Text(i, 9);
      out.push_back(std::move(l));
    }
    return out;
  }

  Result<std::optional<RunRecord>> LastRun() override {
    FS_TRY_ASSIGN(PgResult r,
                  data_.Exec(fmt::format("SELECT id, mode::text, root, {}, COALESCE({}, ''), "
                                         "added, updated, renamed, deleted, restored, unchanged, "
                                         "errors FROM sync_runs WHERE project = "
                                         "current_setting('flowsync.project') ORDER BY id DESC "
                                         "LIMIT 1",
                                         Ts("started_at"), Ts("finished_at")),
                             {}, "reading the last run"));
    if (r.rows() == 0) return std::optional<RunRecord>();
    RunRecord run;
    run.id = r.Int(0, 0);
    run.mode = r.Text(0, 1);
    run.root = r.Text(0, 2);
    run.started_at = r.Text(0, 3);
    run.finished_at = r.Text(0, 4);
    run.counts = {r.Int(0, 5), r.Int(0, 6),  r.Int(0, 7), r.Int(0, 8),
                  r.Int(0, 9), r.Int(0, 10), r.Int(0, 11)};
    return std::optional<RunRecord>(std::move(run));
  }

  Status Rate(const std::string& workflow_id, const std::string& user, int value,
              std::string_view now) override {
    if (value != 1 && value != -1) return Status::InvalidArgument("a rating is +1 or -1");
    return data_
        .Exec(
            "INSERT INTO workflow_ratings (workflow_id, user_name, value, rated_at) VALUES "
            "($1::uuid, $2, $3::smallint, $4::timestamptz) ON CONFLICT (workflow_id, user_name) "
            "DO UPDATE SET value = excluded.value, rated_at = excluded.rated_at",
            {workflow_id, user, std::to_string(value), now}, "rating a workflow")
        .status();
  }

  Result<std::unique_ptr<MigrationSession>> OpenMigrationSession() override;

  Result<std::unique_ptr<PhaseStore>> OpenPhaseStore() override;

  // Called by transactions and the phase store.
  PgConn& data() { return data_; }
  bool rls() const { return rls_; }
  Status LockForWrite() { return AcquireWriterLock(); }

  Status LockStillHeld() {
    auto r = lock_.Exec("SELECT 1", {}, "checking the writer lock");
    if (!r.ok()) {
      return Status::IOError("lost the writer lock connection to PostgreSQL " + lock_.where() +
                             "; the run was rolled back");
    }
    return Status::OK();
  }

  void ReleaseWriterLock() {
    if (lock_.connected()) {
      (void)lock_.Exec("SELECT pg_advisory_unlock($1::int, $2::int)",
                       {std::to_string(lock_key_.first), std::to_string(lock_key_.second)});
      (void)lock_.Exec("SET application_name = 'flowsync'");
    }
  }

 private:
  Status Connect(PgConn& conn) {
    // application_name identifies our sessions in pg_stat_activity unless the
    // URL names its own.
    std::string conninfo = conninfo_;
    if (conninfo.find("application_name=") == std::string::npos) {
      conninfo += (conninfo.find('?') == std::string::npos ? "?" : "&");
      conninfo += "application_name=flowsync";
    }
    FS_TRY(conn.Connect(conninfo));
    FS_TRY(conn.ExecScript(fmt::format("SET search_path TO \"{}\"; SET TIME ZONE 'UTC'", schema_),
                           "setting the schema"));
    return conn
        .Exec("SELECT set_config('flowsync.project', $1, false)", {options_.project},
              "choosing the project")
        .status();
  }

  Status AcquireWriterLock() {
    if (!lock_.connected()) FS_TRY(Connect(lock_));
    // PgParam views these strings: they must outlive the loop.
    const std::string key1 = std::to_string(lock_key_.first);
    const std::string key2 = std::to_string(lock_key_.second);
    const std::vector<PgParam> key = {key1, key2};
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.lock_timeout_ms);
    while (true) {
      FS_TRY_ASSIGN(PgResult r, lock_.Exec("SELECT pg_try_advisory_lock($1::int, $2::int)", key,
                                           "taking the writer lock"));
      if (r.Bool(0, 0)) break;
      if (std::chrono::steady_clock::now() >= deadline) return Status::Busy(HolderMessage());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // Tell waiters who holds the lock, and since when.
    std::string holder = fmt::format("flowsync pid={} host={} since={}", ::getpid(),
                                     HostName().substr(0, 20), FormatTimestampMs(SystemNowMs()));
    (void)lock_.Exec("SELECT set_config('application_name', $1, false)", {holder});
    return Status::OK();
  }

  std::string HolderMessage() {
    std::string who = "another flowsync process";
    auto r = lock_.Exec(
        "SELECT a.application_name, a.pid, COALESCE(a.client_hostname, host(a.client_addr), "
        "'local socket') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE "
        "l.locktype = 'advisory' AND l.granted AND l.classid::int = $1::int AND "
        "l.objid::int = $2::int AND l.objsubid = 2",
        {std::to_string(lock_key_.first), std::to_string(lock_key_.second)});
    if (r.ok() && r->rows() > 0) {
      who = fmt::format("{} (server backend pid {}, client {})", r->Text(0, 0), r->Text(0, 1),
                        r->Text(0, 2));
    }
    return fmt::format(
        "database {} is locked by another writer: {}; waited {} s (raise --lock-timeout, or "
        "retry when it is done)",
        Describe(), who, options_.lock_timeout_ms / 1000.0);
  }

  Status UpgradeSchema() {
    FS_TRY_ASSIGN(int version, ReadSchemaVersion());
    if (version > kSchemaVersion) return TooNew(version);
    if (version == kSchemaVersion) {
      schema_version_ = version;
      return DetectRowSecurity();
    }
    if (!options_.create_if_missing && version == 0) {
      return Status::NotFound("database " + Describe() +
                              " holds no flowsync data yet (run `flowsync sync` first)");
    }
    FS_TRY(AcquireWriterLock());
    Status s = UpgradeLocked();
    ReleaseWriterLock();
    FS_TRY(s);
    return DetectRowSecurity();
  }

  Status DetectRowSecurity() {
    FS_TRY_ASSIGN(PgResult r, data_.Exec("SELECT row_security_active('workflows')", {},
                                         "checking row-level security"));
    rls_ = r.Bool(0, 0);
    return Status::OK();
  }

  Status UpgradeLocked() {
    FS_TRY(data_.ExecScript(fmt::format("CREATE SCHEMA IF NOT EXISTS \"{}\"", schema_),
                            "creating the schema"));
    FS_TRY(data_.ExecScript("BEGIN", "upgrading the schema"));
    auto reread = ReadSchemaVersion();
    if (!reread.ok()) {
      (void)data_.ExecScript("ROLLBACK");
      return reread.status();
    }
    int version = *reread;
    if (version > kSchemaVersion) {
      (void)data_.ExecScript("ROLLBACK");
      return TooNew(version);
    }
    for (int v = version; v < kSchemaVersion; ++v) {
      Status s =
          data_.ExecScript(SchemaStep(v), fmt::format("upgrading schema {} to {}", v, v + 1));
      if (s.ok()) {
        s = data_
                .Exec("UPDATE flowsync_meta SET value = $1 WHERE key = 'schema_version'",
                      {std::to_string(v + 1)})
                .status();
      }
      if (!s.ok()) {
        (void)data_.ExecScript("ROLLBACK");
        return s;
      }
    }
    FS_TRY(data_.ExecScript("COMMIT", "upgrading the schema"));
    schema_version_ = kSchemaVersion;
    return Status::OK();
  }

  Result<int> ReadSchemaVersion() {
    FS_TRY_ASSIGN(PgResult exists,
                  data_.Exec("SELECT to_regclass(format('%I.flowsync_meta', $1::text)) IS NOT "
                             "NULL, EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1)",
                             {schema_}, "reading the schema version"));
    if (!exists.Bool(0, 0)) {
      if (exists.Bool(0, 1)) {
        // Tables but no flowsync_meta: not ours, or another tool's tables in
        // a shared schema. Refuse only when they collide with ours.
        FS_TRY_ASSIGN(PgResult clash,
                      data_.Exec("SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND "
                                 "tablename IN ('workflows', 'sync_runs', 'workflow_sync_log')",
                                 {schema_}));
        if (clash.Int(0, 0) > 0) {
          return Status::Unsupported("database " + Describe() +
                                     " holds a 'workflows' table that is not flowsync's (no "
                                     "flowsync_meta); refusing to touch it (choose another "
                                     "?schema=)");
        }
      }
      return 0;
    }
    FS_TRY_ASSIGN(PgResult r, data_.Exec("SELECT value FROM flowsync_meta WHERE key = "
                                         "'schema_version'"));
    if (r.rows() == 0) return Status::Corruption("database " + Describe() + ": no schema_version");
    std::string text = r.Text(0, 0);
    try {
      size_t used = 0;
      int v = std::stoi(text, &used);
      if (used == text.size() && v >= 0) return v;
    } catch (const std::exception&) {
    }
    return Status::Corruption("database " + Describe() + ": bad schema_version '" + text + "'");
  }

  Status TooNew(int version) const {
    return Status::Unsupported(fmt::format(
        "database {} has schema version {}, newer than this flowsync supports ({}); upgrade "
        "flowsync to use it (the database was not changed)",
        Describe(), version, kSchemaVersion));
  }

  Result<std::vector<WorkflowSummary>> ListInTransaction(const std::string& sql,
                                                         const std::vector<PgParam>& params) {
    FS_TRY_ASSIGN(PgResult r, data_.Exec(sql, params, "listing workflows"));
    std::vector<WorkflowSummary> out;
    std::map<std::string, size_t> by_id;
    for (int i = 0; i < r.rows(); ++i) {
      FS_TRY_ASSIGN(WorkflowSummary s, ReadSummary(r, i));
      by_id.emplace(s.id, out.size());
      out.push_back(std::move(s));
    }
    FS_TRY_ASSIGN(PgResult cats, data_.Exec("SELECT workflow_id::text, category FROM "
                                            "workflow_categories ORDER BY workflow_id, category "
                                            "COLLATE \"C\"",
                                            {}, "listing categories"));
    for (int i = 0; i < cats.rows(); ++i) {
      auto it = by_id.find(cats.Text(i, 0));
      if (it != by_id.end()) out[it->second].categories.push_back(cats.Text(i, 1));
    }
    return out;
  }

  Result<std::optional<std::string>> ResolveId(const std::string& query) {
    FS_TRY_ASSIGN(PgResult exact, data_.Exec("SELECT id::text FROM workflows WHERE (id::text = $1 "
                                             "OR path = $1) AND project = current_setting("
                                             "'flowsync.project') ORDER BY (id::text = $1) DESC "
                                             "LIMIT 1",
                                             {query}, "finding a workflow"));
    if (exact.rows() > 0) return std::optional<std::string>(exact.Text(0, 0));
    if (query.size() < 4) return std::optional<std::string>();
    FS_TRY_ASSIGN(PgResult prefix,
                  data_.Exec("SELECT id::text, path FROM workflows WHERE left(id::text, "
                             "length($1)) = $1 AND project = current_setting('flowsync.project') "
                             "ORDER BY id LIMIT 5",
                             {query}, "finding a workflow"));
    if (prefix.rows() == 0) return std::optional<std::string>();
    if (prefix.rows() == 1) return std::optional<std::string>(prefix.Text(0, 0));
    std::string list;
    for (int i = 0; i < prefix.rows(); ++i) {
      list += "\n  " + prefix.Text(i, 0) + " (" + prefix.Text(i, 1) + ")";
    }
    return Status::InvalidArgument("id prefix '" + query + "' is ambiguous; candidates:" + list);
  }

  Result<std::optional<WorkflowDetail>> FindInTransaction(const std::string& query) {
    FS_TRY_ASSIGN(std::optional<std::string> id, ResolveId(query));
    if (!id) return std::optional<WorkflowDetail>();
    FS_TRY_ASSIGN(
        PgResult r,
        data_.Exec(fmt::format("SELECT {}, w.metadata::text, w.documentation, w.content, "
                               "(SELECT COUNT(*) FROM workflow_ratings r WHERE r.workflow_id = "
                               "w.id AND r.value = 1), (SELECT COUNT(*) FROM workflow_ratings r "
                               "WHERE r.workflow_id = w.id AND r.value = -1), (SELECT COUNT(*) "
                               "FROM workflow_versions v WHERE v.workflow_id = w.id) FROM "
                               "workflows w WHERE w.id = $1::uuid",
                               WorkflowColumns()),
                   {*id}, "reading a workflow"));
    if (r.rows() == 0) return std::optional<WorkflowDetail>();
    WorkflowDetail d;
    FS_TRY_ASSIGN(d.summary, ReadSummary(r, 0));
    d.metadata_json = r.Text(0, 11);
    d.documentation = r.Text(0, 12);
    d.content = r.Text(0, 13);
    d.thumbs_up = r.Int(0, 14);
    d.thumbs_down = r.Int(0, 15);
    d.stored_versions = r.Int(0, 16);
    FS_TRY_ASSIGN(PgResult cats, data_.Exec("SELECT category FROM workflow_categories WHERE "
                                            "workflow_id = $1::uuid ORDER BY category COLLATE "
                                            "\"C\"",
                                            {*id}));
    for (int i = 0; i < cats.rows(); ++i) d.summary.categories.push_back(cats.Text(i, 0));
    FS_TRY_ASSIGN(PgResult fs, data_.Exec("SELECT severity::text, code, location, message FROM "
                                          "workflow_findings WHERE workflow_id = $1::uuid ORDER "
                                          "BY severity, ctid",
                                          {*id}));
    for (int i = 0; i < fs.rows(); ++i) {
      Finding f;
      f.severity = ParseSeverity(fs.Text(i, 0)).value_or(Severity::kWarning);
      f.code = fs.Text(i, 1);
      f.location = fs.Text(i, 2);
      f.message = fs.Text(i, 3);
      d.findings.push_back(std::move(f));
    }
    FS_TRY_ASSIGN(PgResult ph, data_.Exec("SELECT task, depends_on, rule, template, retry, line "
                                          "FROM phase_entries WHERE workflow_id = $1::uuid "
                                          "ORDER BY position",
                                          {*id}));
    for (int i = 0; i < ph.rows(); ++i) {
      PhaseEntry p;
      p.task = ph.Text(i, 0);
      p.depends_on = ph.Text(i, 1);
      p.rule = ph.Text(i, 2);
      p.template_text = ph.Text(i, 3);
      p.retry = ph.Int(i, 4);
      p.line = static_cast<int>(ph.Int(i, 5));
      d.phases.push_back(std::move(p));
    }
    return std::optional<WorkflowDetail>(std::move(d));
  }

  DatabaseUrl url_;
  StoreOptions options_;
  std::string conninfo_;
  std::string schema_;
  std::pair<int32_t, int32_t> lock_key_;
  PgConn data_;
  PgConn lock_;
  int schema_version_ = 0;
  bool rls_ = false;  // row-level security applies to our role
};

// The phase cache's tables, on the store's data connection; writes take
// the store's writer lock, as syncs do.
class PgPhaseStore final : public PhaseStore {
 public:
  explicit PgPhaseStore(PgStore* store) : store_(store) {}

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
    FS_TRY(store_->LockForWrite());
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

  PgStore* store_;
};

Result<std::unique_ptr<PhaseStore>> PgStore::OpenPhaseStore() {
  return std::unique_ptr<PhaseStore>(new PgPhaseStore(this));
}

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

// The migration runner's connection: the store's data connection, holding
// the writer lock (a session advisory lock on the dedicated lock
// connection, taken with a try-lock loop, never a blocking wait) for the
// session's life.
class PgMigrationSession final : public MigrationSession {
 public:
  explicit PgMigrationSession(PgStore* store) : store_(store) {}
  ~PgMigrationSession() override {
    Rollback();
    store_->ReleaseWriterLock();
  }

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }

  Status Begin() override {
    FS_TRY(store_->data().ExecScript("BEGIN", "starting a migration transaction"));
    in_transaction_ = true;
    return Status::OK();
  }
  Status Commit() override {
    // A lost lock connection means another runner may have started: give
    // up rather than commit unguarded.
    Status held = store_->LockStillHeld();
    if (!held.ok()) {
      Rollback();
      return held;
    }
    in_transaction_ = false;
    return store_->data().ExecScript("COMMIT", "committing a migration");
  }
  void Rollback() override {
    if (in_transaction_) (void)store_->data().ExecScript("ROLLBACK");
    in_transaction_ = false;
  }

  Status ExecScript(std::string_view sql, int* statements_run) override {
    if (statements_run != nullptr) *statements_run = 0;
    std::vector<ScriptStatement> statements = SplitSqlScript(sql);
    if (in_transaction_ && statements.size() > 1) {
      // One round trip for the whole file, behind a savepoint. Only inside
      // a transaction: outside one, a multi-statement query would be
      // wrapped in an implicit transaction.
      std::string batch = "SAVEPOINT flowsync_script;\n";
      batch.append(sql);
      if (store_->data().ExecScript(batch, "migration").ok()) {
        if (statements_run != nullptr) *statements_run = static_cast<int>(statements.size());
        return Status::OK();
      }
      // Run it again statement by statement to say which one failed.
      FS_TRY(store_->data().ExecScript("ROLLBACK TO SAVEPOINT flowsync_script", "migration"));
    }
    int done = 0;
    for (const ScriptStatement& st : statements) {
      Status s = store_->data().ExecScript(sql.substr(st.offset, st.length), "migration");
      if (!s.ok()) return ScriptStatementError(sql, st.offset, done + 1, s);
      ++done;
      if (statements_run != nullptr) *statements_run = done;
    }
    return Status::OK();
  }

  Result<std::vector<SqlRow>> Query(std::string_view sql,
                                    const std::vector<SqlValue>& params) override {
    std::vector<PgParam> pg;
    pg.reserve(params.size());
    for (const SqlValue& p : params) pg.push_back(p ? PgParam(*p) : PgParam());
    FS_TRY_ASSIGN(PgResult r, store_->data().Exec(sql, pg, "migration history"));
    std::vector<SqlRow> rows;
    int columns = r.get() != nullptr ? PQnfields(r.get()) : 0;
    for (int i = 0; i < r.rows(); ++i) {
      SqlRow row;
      for (int c = 0; c < columns; ++c) row.push_back(r.OptionalText(i, c));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::string NowSql() const override { return std::string(SqlNow(SqlDialect::kPostgres)); }
  std::string TimestampText(std::string_view column) const override { return Ts(column); }

 private:
  PgStore* store_;
  bool in_transaction_ = false;
};

Result<std::unique_ptr<MigrationSession>> PgStore::OpenMigrationSession() {
  FS_TRY(LockForWrite());
  return std::unique_ptr<MigrationSession>(new PgMigrationSession(this));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const DatabaseUrl& url,
                                                 const StoreOptions& options) {
  auto store = std::make_unique<PgStore>(url, options);
  FS_TRY(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace flowsync::postgres
