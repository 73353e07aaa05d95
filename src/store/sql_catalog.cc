#include "store/sql_catalog.h"

#include <fmt/format.h>

#include <map>

#include "sql/dialect.h"

namespace flowsync {
namespace {

// A read snapshot for the length of one catalog call.
class Snapshot {
 public:
  explicit Snapshot(SqlConnection& conn) : conn_(conn) {}
  ~Snapshot() {
    if (open_) conn_.EndRead();
  }
  // Inside a transaction the caller holds (a pull's), its reads are the
  // snapshot.
  Status Begin() {
    if (conn_.InTransaction()) return Status::OK();
    FS_TRY(conn_.BeginRead());
    open_ = true;
    return Status::OK();
  }

 private:
  SqlConnection& conn_;
  bool open_ = false;
};

Status Shape(const std::vector<SqlRow>& rows, size_t columns, std::string_view what) {
  for (const SqlRow& r : rows) {
    if (r.size() != columns) return Status::Internal(fmt::format("{}: unexpected result", what));
  }
  return Status::OK();
}

}  // namespace

std::string SqlCatalog::Ts(std::string_view column) const {
  return SqlTimestampText(conn_.dialect(), column);
}

std::string SqlCatalog::AsText(std::string_view expr) const {
  return SqlAsText(conn_.dialect(), expr);
}

namespace {

constexpr size_t kSummaryColumns = 11;

Result<WorkflowSummary> ReadSummary(const SqlRow& r) {
  WorkflowSummary s;
  s.id = SqlText(r[0]);
  s.name = SqlText(r[1]);
  s.path = SqlText(r[2]);
  std::optional<Format> format = ParseFormat(SqlText(r[3]));
  if (!format) {
    return Status::Corruption("workflow " + s.id + ": unknown format '" + SqlText(r[3]) + "'");
  }
  s.format = *format;
  s.content_hash = SqlText(r[4]);
  s.source_id = r[5];
  s.active = SqlBool(r[6]);
  s.deleted_at = r[7];
  s.created_at = SqlText(r[8]);
  s.updated_at = SqlText(r[9]);
  s.version = SqlInt(r[10]);
  return s;
}

Result<LogRecord> ReadLogRecord(const SqlRow& r) {
  LogRecord l;
  l.id = SqlInt(r[0]);
  l.run_id = SqlInt(r[1]);
  std::optional<SyncEvent> ev = ParseSyncEvent(SqlText(r[2]));
  if (!ev) return Status::Corruption("sync log row " + std::to_string(l.id) + ": bad event");
  l.event = *ev;
  l.workflow_id = SqlText(r[3]);
  l.path = SqlText(r[4]);
  l.old_path = SqlText(r[5]);
  l.old_hash = SqlText(r[6]);
  l.new_hash = SqlText(r[7]);
  l.message = SqlText(r[8]);
  l.time = SqlText(r[9]);
  return l;
}

}  // namespace

Result<std::vector<WorkflowSummary>> SqlCatalog::ListWorkflows(const ListFilter& filter) {
  Snapshot snapshot(conn_);
  FS_TRY(snapshot.Begin());
  return ListInSnapshot(filter);
}

Result<std::vector<WorkflowSummary>> SqlCatalog::ListInSnapshot(const ListFilter& filter) {
  const SqlDialect d = conn_.dialect();
  std::string sql = fmt::format(
      "SELECT {}, w.name, w.path, {}, w.content_hash, w.source_id, CASE WHEN w.active THEN 1 "
      "ELSE 0 END, {}, {}, {}, w.version FROM workflows w WHERE w.project = {}",
      AsText("w.id"), AsText("w.format"), Ts("w.deleted_at"), Ts("w.created_at"),
      Ts("w.updated_at"), conn_.ProjectSql());
  if (filter.deleted == ListFilter::Deleted::kExclude) sql += " AND w.deleted_at IS NULL";
  if (filter.deleted == ListFilter::Deleted::kOnly) sql += " AND w.deleted_at IS NOT NULL";
  std::vector<SqlValue> params;
  auto param = [&](const std::string& value) {
    params.push_back(value);
    return "$" + std::to_string(params.size());
  };
  if (filter.category) {
    sql += fmt::format(
        " AND EXISTS (SELECT 1 FROM workflow_categories c WHERE c.workflow_id = w.id AND "
        "c.category = {})",
        param(*filter.category));
  }
  if (filter.name) sql += " AND w.name = " + param(*filter.name);
  if (filter.updated_since) sql += " AND w.updated_at >= " + param(*filter.updated_since);
  sql += fmt::format(" ORDER BY w.path{}", SqlByteOrder(d));
  FS_TRY_ASSIGN(std::vector<SqlRow> rows, conn_.Query(sql, params, "listing workflows"));
  FS_TRY(Shape(rows, kSummaryColumns, "listing workflows"));
  std::vector<WorkflowSummary> out;
  out.reserve(rows.size());
  std::map<std::string, size_t> by_id;
  for (const SqlRow& r : rows) {
    FS_TRY_ASSIGN(WorkflowSummary s, ReadSummary(r));
    by_id.emplace(s.id, out.size());
    out.push_back(std::move(s));
  }
  if (out.empty()) return out;
  FS_TRY_ASSIGN(std::vector<SqlRow> cats,
                conn_.Query(fmt::format("SELECT {}, category FROM workflow_categories ORDER BY "
                                        "workflow_id, category{}",
                                        AsText("workflow_id"), SqlByteOrder(d)),
                            {}, "listing categories"));
  FS_TRY(Shape(cats, 2, "listing categories"));
  for (const SqlRow& c : cats) {
    auto it = by_id.find(SqlText(c[0]));
    if (it != by_id.end()) out[it->second].categories.push_back(SqlText(c[1]));
  }
  return out;
}

Result<std::optional<WorkflowDetail>> SqlCatalog::FindWorkflow(std::string_view query_in) {
  std::string query = NormaliseWorkflowQuery(query_in);
  Snapshot snapshot(conn_);
  FS_TRY(snapshot.Begin());
  return FindInSnapshot(query);
}

namespace {

// Whether `s` is a UUID as ids are written (8-4-4-4-12 lower-case hex).
bool IsUuidText(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = s[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<std::optional<std::string>> SqlCatalog::ResolveId(const std::string& query) {
  const std::string id = AsText("id");
  if (conn_.dialect() == SqlDialect::kPostgres && IsUuidText(query)) {
    // By the primary key: "id::text = $1" below cannot use its index.
    FS_TRY_ASSIGN(std::vector<SqlRow> by_id,
                  conn_.Query(fmt::format("SELECT {} FROM workflows WHERE id = $1::uuid AND "
                                          "project = {}",
                                          id, conn_.ProjectSql()),
                              {query}, "finding a workflow"));
    FS_TRY(Shape(by_id, 1, "finding a workflow"));
    if (!by_id.empty()) return std::optional<std::string>(SqlText(by_id[0][0]));
  }
  FS_TRY_ASSIGN(std::vector<SqlRow> exact,
                conn_.Query(fmt::format("SELECT {0} FROM workflows WHERE ({0} = $1 OR path = $1) "
                                        "AND project = {1} ORDER BY ({0} = $1) DESC LIMIT 1",
                                        id, conn_.ProjectSql()),
                            {query}, "finding a workflow"));
  FS_TRY(Shape(exact, 1, "finding a workflow"));
  if (!exact.empty()) return std::optional<std::string>(SqlText(exact[0][0]));
  if (query.size() < kMinIdPrefixLength) return std::optional<std::string>();
  FS_TRY_ASSIGN(std::vector<SqlRow> prefix,
                conn_.Query(fmt::format("SELECT {0}, path FROM workflows WHERE substr({0}, 1, "
                                        "length($1)) = $1 AND project = {1} ORDER BY id LIMIT 5",
                                        id, conn_.ProjectSql()),
                            {query}, "finding a workflow"));
  FS_TRY(Shape(prefix, 2, "finding a workflow"));
  if (prefix.empty()) return std::optional<std::string>();
  if (prefix.size() == 1) return std::optional<std::string>(SqlText(prefix[0][0]));
  std::string list;
  for (const SqlRow& r : prefix) list += "\n  " + SqlText(r[0]) + " (" + SqlText(r[1]) + ")";
  return Status::InvalidArgument("id prefix '" + query + "' is ambiguous; candidates:" + list);
}

Result<std::optional<WorkflowDetail>> SqlCatalog::FindInSnapshot(const std::string& query) {
  const SqlDialect d = conn_.dialect();
  FS_TRY_ASSIGN(std::optional<std::string> id, ResolveId(query));
  if (!id) return std::optional<WorkflowDetail>();
  FS_TRY_ASSIGN(
      std::vector<SqlRow> rows,
      conn_.Query(
          fmt::format(
              "SELECT {}, w.name, w.path, {}, w.content_hash, w.source_id, CASE WHEN w.active "
              "THEN 1 ELSE 0 END, {}, {}, {}, w.version, {}, w.documentation, w.content, "
              "(SELECT COUNT(*) FROM workflow_ratings r WHERE r.workflow_id = w.id AND "
              "r.value = 1), (SELECT COUNT(*) FROM workflow_ratings r WHERE r.workflow_id = "
              "w.id AND r.value = -1), (SELECT COUNT(*) FROM workflow_versions v WHERE "
              "v.workflow_id = w.id) FROM workflows w WHERE w.id = $1",
              AsText("w.id"), AsText("w.format"), Ts("w.deleted_at"), Ts("w.created_at"),
              Ts("w.updated_at"), AsText("w.metadata")),
          {*id}, "reading a workflow"));
  FS_TRY(Shape(rows, kSummaryColumns + 6, "reading a workflow"));
  if (rows.empty()) return std::optional<WorkflowDetail>();
  const SqlRow& r = rows[0];
  WorkflowDetail detail;
  FS_TRY_ASSIGN(detail.summary, ReadSummary(r));
  detail.metadata_json = SqlText(r[11]);
  detail.documentation = SqlText(r[12]);
  detail.content = SqlText(r[13]);
  detail.thumbs_up = SqlInt(r[14]);
  detail.thumbs_down = SqlInt(r[15]);
  detail.stored_versions = SqlInt(r[16]);

  FS_TRY_ASSIGN(std::vector<SqlRow> cats,
                conn_.Query(fmt::format("SELECT category FROM workflow_categories WHERE "
                                        "workflow_id = $1 ORDER BY category{}",
                                        SqlByteOrder(d)),
                            {*id}, "reading categories"));
  FS_TRY(Shape(cats, 1, "reading categories"));
  for (const SqlRow& c : cats) detail.summary.categories.push_back(SqlText(c[0]));

  FS_TRY_ASSIGN(std::vector<SqlRow> findings,
                conn_.Query(fmt::format("SELECT {0}, code, location, message FROM "
                                        "workflow_findings WHERE workflow_id = $1 ORDER BY CASE "
                                        "{0} WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 "
                                        "END, {1}",
                                        AsText("severity"), SqlRowOrder(d)),
                            {*id}, "reading findings"));
  FS_TRY(Shape(findings, 4, "reading findings"));
  for (const SqlRow& f : findings) {
    Finding finding;
    finding.severity = ParseSeverity(SqlText(f[0])).value_or(Severity::kWarning);
    finding.code = SqlText(f[1]);
    finding.location = SqlText(f[2]);
    finding.message = SqlText(f[3]);
    detail.findings.push_back(std::move(finding));
  }

  FS_TRY_ASSIGN(std::vector<SqlRow> phases,
                conn_.Query("SELECT task, depends_on, rule, template, retry, line FROM "
                            "phase_entries WHERE workflow_id = $1 ORDER BY position",
                            {*id}, "reading phase entries"));
  FS_TRY(Shape(phases, 6, "reading phase entries"));
  for (const SqlRow& p : phases) {
    PhaseEntry entry;
    entry.task = SqlText(p[0]);
    entry.depends_on = SqlText(p[1]);
    entry.rule = SqlText(p[2]);
    entry.template_text = SqlText(p[3]);
    entry.retry = SqlInt(p[4]);
    entry.line = static_cast<int>(SqlInt(p[5]));
    detail.phases.push_back(std::move(entry));
  }
  return std::optional<WorkflowDetail>(std::move(detail));
}

Result<std::vector<WorkflowVersion>> SqlCatalog::ListVersions(const std::string& id) {
  Snapshot snapshot(conn_);
  FS_TRY(snapshot.Begin());
  return ReadVersions(id, std::nullopt);
}

Result<std::optional<WorkflowVersion>> SqlCatalog::ReadVersion(const std::string& id,
                                                               int64_t version) {
  Snapshot snapshot(conn_);
  FS_TRY(snapshot.Begin());
  FS_TRY_ASSIGN(std::vector<WorkflowVersion> found, ReadVersions(id, version));
  if (found.empty()) return std::optional<WorkflowVersion>();
  return std::optional<WorkflowVersion>(std::move(found.front()));
}

Result<std::map<std::string, WorkflowVersion>> SqlCatalog::ReadCurrent(
    const std::vector<std::string>& ids) {
  Snapshot snapshot(conn_);
  FS_TRY(snapshot.Begin());
  std::map<std::string, WorkflowVersion> out;
  constexpr size_t kBatch = 500;  // parameters per statement
  for (size_t at = 0; at < ids.size(); at += kBatch) {
    const size_t n = std::min(kBatch, ids.size() - at);
    std::string in;
    std::vector<SqlValue> params;
    for (size_t i = 0; i < n; ++i) {
      in += fmt::format("{}${}", i == 0 ? "" : ", ", i + 1);
      params.emplace_back(ids[at + i]);
    }
    FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                  conn_.Query(fmt::format("SELECT {}, version, path, name, content_hash, content, "
                                          "{}, documentation FROM workflows WHERE project = {} "
                                          "AND id IN ({})",
                                          AsText("id"), AsText("metadata"), conn_.ProjectSql(), in),
                              params, "reading workflows"));
    FS_TRY(Shape(rows, 8, "reading workflows"));
    for (const SqlRow& r : rows) {
      WorkflowVersion v;
      v.version = SqlInt(r[1]);
      v.path = SqlText(r[2]);
      v.name = SqlText(r[3]);
      v.content_hash = SqlText(r[4]);
      v.current = true;
      v.content = SqlText(r[5]);
      v.metadata_json = SqlText(r[6]);
      v.documentation = SqlText(r[7]);
      out.emplace(SqlText(r[0]), std::move(v));
    }
  }
  return out;
}

// The history rows and the current row of workflow `id` (only `version`
// when given, with content), oldest first. A version's start is the end of
// the one before it; the first starts when the workflow was created.
Result<std::vector<WorkflowVersion>> SqlCatalog::ReadVersions(const std::string& id,
                                                              std::optional<int64_t> version) {
  const bool with_content = version.has_value();
  const std::string content =
      with_content ? "content, " + AsText("metadata") + ", documentation" : "'', '', ''";
  const std::string only = with_content ? " AND version = $2" : "";
  const std::string sql = fmt::format(
      "SELECT version, path, name, content_hash, {ts_from}, {ts_to}, is_current, {content} FROM ("
      "SELECT v.version, v.path, v.name, v.content_hash, v.valid_from, v.replaced_at, 0 AS "
      "is_current, v.content, v.metadata, v.documentation FROM workflow_versions v WHERE "
      "v.workflow_id = $1 AND v.project = {project} "
      "UNION ALL SELECT w.version, w.path, w.name, w.content_hash, COALESCE((SELECT "
      "MAX(v.replaced_at) FROM workflow_versions v WHERE v.workflow_id = w.id), w.created_at), "
      "NULL, 1, w.content, w.metadata, w.documentation FROM workflows w WHERE w.id = $1 AND "
      "w.project = {project}) AS h WHERE 1 = 1{only} ORDER BY version",
      fmt::arg("ts_from", Ts("valid_from")), fmt::arg("ts_to", Ts("replaced_at")),
      fmt::arg("content", content), fmt::arg("project", conn_.ProjectSql()),
      fmt::arg("only", only));
  std::vector<SqlValue> params{id};
  if (version) params.emplace_back(std::to_string(*version));
  FS_TRY_ASSIGN(std::vector<SqlRow> rows, conn_.Query(sql, params, "reading workflow versions"));
  FS_TRY(Shape(rows, 10, "reading workflow versions"));
  std::vector<WorkflowVersion> out;
  out.reserve(rows.size());
  for (const SqlRow& r : rows) {
    WorkflowVersion v;
    v.version = SqlInt(r[0]);
    v.path = SqlText(r[1]);
    v.name = SqlText(r[2]);
    v.content_hash = SqlText(r[3]);
    v.valid_from = SqlText(r[4]);
    if (r[5]) v.replaced_at = *r[5];
    v.current = SqlInt(r[6]) != 0;
    v.content = SqlText(r[7]);
    v.metadata_json = SqlText(r[8]);
    v.documentation = SqlText(r[9]);
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<StoredPhaseSource>> SqlCatalog::ListPhaseSources() {
  const SqlDialect d = conn_.dialect();
  Snapshot snapshot(conn_);
  FS_TRY(snapshot.Begin());
  std::vector<StoredPhaseSource> out;
  const std::string live = fmt::format(
      "w.project = {} AND w.format = 'phase' AND w.deleted_at IS NULL", conn_.ProjectSql());
  FS_TRY(conn_.QueryEach(
      fmt::format("SELECT w.path, w.content_hash, {}, w.source_sig FROM workflows w WHERE {} "
                  "ORDER BY w.path{}",
                  Ts("w.updated_at"), live, SqlByteOrder(d)),
      {}, "reading phase workflows", [&](const SqlRowView& r) -> Status {
        if (r.size() != 4) return Status::Internal("reading phase workflows: unexpected result");
        StoredPhaseSource& source = out.emplace_back();
        source.path = r[0].value_or("");
        source.content_hash = r[1].value_or("");
        source.updated_at = r[2].value_or("");
        source.source_sig = r[3].value_or("");
        return Status::OK();
      }));
  // Entries in the same order: a merge by path, no lookup table.
  size_t at = 0;
  FS_TRY(conn_.QueryEach(
      fmt::format("SELECT w.path, e.task, e.depends_on, e.rule, e.template, e.retry, e.line FROM "
                  "workflows w JOIN phase_entries e ON e.workflow_id = w.id WHERE {} ORDER BY "
                  "w.path{}, e.position",
                  live, SqlByteOrder(d)),
      {}, "reading phase entries", [&](const SqlRowView& r) -> Status {
        if (r.size() != 7) return Status::Internal("reading phase entries: unexpected result");
        const std::string_view path = r[0].value_or("");
        while (at < out.size() && out[at].path != path) ++at;
        if (at == out.size()) return Status::Internal("reading phase entries: out of order");
        PhaseEntry& entry = out[at].entries.emplace_back();
        entry.task = r[1].value_or("");
        entry.depends_on = r[2].value_or("");
        entry.rule = r[3].value_or("");
        entry.template_text = r[4].value_or("");
        entry.retry = SqlInt(r[5]);
        entry.line = static_cast<int>(SqlInt(r[6]));
        return Status::OK();
      }));
  return out;
}

Result<std::vector<LogRecord>> SqlCatalog::ReadLogRows(const std::string& where,
                                                       const std::vector<SqlValue>& params,
                                                       std::string_view order, int64_t limit) {
  std::string sql = fmt::format(
      "SELECT id, run_id, {}, COALESCE({}, ''), path, COALESCE(old_path, ''), "
      "COALESCE(old_hash, ''), COALESCE(new_hash, ''), COALESCE(message, ''), {} FROM "
      "workflow_sync_log WHERE project = {}{} ORDER BY id {}",
      AsText("event"), AsText("workflow_id"), Ts("created_at"), conn_.ProjectSql(), where, order);
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  FS_TRY_ASSIGN(std::vector<SqlRow> rows, conn_.Query(sql, params, "reading the sync log"));
  FS_TRY(Shape(rows, 10, "reading the sync log"));
  std::vector<LogRecord> out;
  out.reserve(rows.size());
  for (const SqlRow& r : rows) {
    FS_TRY_ASSIGN(LogRecord l, ReadLogRecord(r));
    out.push_back(std::move(l));
  }
  return out;
}

Result<std::vector<LogRecord>> SqlCatalog::ReadLog(int64_t limit,
                                                   std::optional<std::string> workflow_id) {
  if (!workflow_id) return ReadLogRows("", {}, "DESC", limit);
  return ReadLogRows(" AND " + AsText("workflow_id") + " = $1", {*workflow_id}, "DESC", limit);
}

Result<std::optional<RunRecord>> SqlCatalog::LastRun() {
  FS_TRY_ASSIGN(std::vector<RunRecord> runs, ListRuns(1, std::nullopt));
  if (runs.empty()) return std::optional<RunRecord>();
  return std::optional<RunRecord>(std::move(runs.front()));
}

Result<std::vector<RunRecord>> SqlCatalog::ListRuns(int64_t limit,
                                                    std::optional<int64_t> before_id) {
  FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                conn_.Query(fmt::format("SELECT id, {}, root, {}, COALESCE({}, ''), added, "
                                        "updated, renamed, deleted, restored, unchanged, errors "
                                        "FROM sync_runs WHERE project = {} AND id < CAST($1 AS "
                                        "BIGINT) ORDER BY id DESC LIMIT CAST($2 AS BIGINT)",
                                        AsText("mode"), Ts("started_at"), Ts("finished_at"),
                                        conn_.ProjectSql()),
                            {std::to_string(before_id.value_or(INT64_MAX)), std::to_string(limit)},
                            "reading the runs"));
  FS_TRY(Shape(rows, 12, "reading the runs"));
  std::vector<RunRecord> runs;
  for (const SqlRow& r : rows) {
    RunRecord run;
    run.id = SqlInt(r[0]);
    run.mode = SqlText(r[1]);
    run.root = SqlText(r[2]);
    run.started_at = SqlText(r[3]);
    run.finished_at = SqlText(r[4]);
    run.counts = {SqlInt(r[5]), SqlInt(r[6]),  SqlInt(r[7]), SqlInt(r[8]),
                  SqlInt(r[9]), SqlInt(r[10]), SqlInt(r[11])};
    runs.push_back(std::move(run));
  }
  return runs;
}

Result<int64_t> SqlCatalog::ChangeCursor() {
  FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                conn_.Query(fmt::format("SELECT COALESCE(MAX(id), 0) FROM workflow_sync_log "
                                        "WHERE project = {}",
                                        conn_.ProjectSql()),
                            {}, "reading the change cursor"));
  FS_TRY(Shape(rows, 1, "reading the change cursor"));
  return rows.empty() ? int64_t{0} : SqlInt(rows[0][0]);
}

Result<ChangeBatch> SqlCatalog::ChangesSince(int64_t cursor, int64_t limit) {
  ChangeBatch batch;
  batch.cursor = cursor;
  // One more than asked says whether there is more.
  FS_TRY_ASSIGN(batch.changes,
                ReadLogRows(fmt::format(" AND id > $1 AND {} <> 'error'", AsText("event")),
                            {std::to_string(cursor)}, "ASC", limit > 0 ? limit + 1 : 0));
  if (limit > 0 && static_cast<int64_t>(batch.changes.size()) > limit) {
    batch.changes.resize(static_cast<size_t>(limit));
    batch.more = true;
  }
  if (!batch.changes.empty()) batch.cursor = batch.changes.back().id;
  return batch;
}

}  // namespace flowsync
