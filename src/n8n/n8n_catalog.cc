#include "n8n/n8n_catalog.h"

#include <fmt/format.h>

#include <map>

#include "flowsync/source.h"
#include "source/json_document.h"
#include "util/time_format.h"

namespace flowsync::n8n {
namespace {

// n8n's timestamp text (SQLite "2026-12-03 12:00:00.000", PostgreSQL
// "2026-12-03 12:00:00.123+00") as RFC 3339 UTC with milliseconds.
std::string Rfc3339(std::string_view t) {
  std::string out(t.substr(0, 19));
  if (out.size() == 19) out[10] = 'T';
  std::string ms = "000";
  if (t.size() > 20 && t[19] == '.') {
    for (size_t i = 0; i < 3 && 20 + i < t.size() && t[20 + i] >= '0' && t[20 + i] <= '9'; ++i) {
      ms[i] = t[20 + i];
    }
  }
  return out + "." + ms + "Z";
}

constexpr char kColumns[] =
    "SELECT id, name, CASE WHEN active THEN 1 ELSE 0 END, CASE WHEN \"isArchived\" THEN 1 ELSE 0 "
    "END, \"createdAt\", \"updatedAt\", \"versionCounter\" FROM workflow_entity";

WorkflowSummary SummaryOf(const SqlRowView& row) {
  WorkflowSummary s;
  s.id = std::string(row[0].value_or(""));
  s.name = std::string(row[1].value_or(""));
  s.path = s.id + ".json";
  s.format = Format::kN8n;
  s.source_id = s.id;
  s.active = SqlInt(row[2]) != 0;
  s.created_at = Rfc3339(row[4].value_or(""));
  s.updated_at = Rfc3339(row[5].value_or(""));
  if (SqlInt(row[3]) != 0) s.deleted_at = s.updated_at;
  s.version = std::max<int64_t>(1, SqlInt(row[6]));
  return s;
}

}  // namespace

Result<std::vector<WorkflowSummary>> N8nCatalog::ListWorkflows(const ListFilter& filter) {
  std::map<std::string, std::vector<std::string>> tags;
  FS_TRY(conn_->QueryEach(
      "SELECT wt.\"workflowId\", t.name FROM workflows_tags wt JOIN tag_entity t ON t.id = "
      "wt.\"tagId\" ORDER BY t.name",
      {}, "reading n8n's tags", [&](const SqlRowView& row) -> Status {
        tags[std::string(row[0].value_or(""))].emplace_back(row[1].value_or(""));
        return Status::OK();
      }));
  std::vector<WorkflowSummary> out;
  FS_TRY(conn_->QueryEach(std::string(kColumns) + " ORDER BY name, id", {},
                          "reading n8n's workflows", [&](const SqlRowView& row) -> Status {
                            WorkflowSummary s = SummaryOf(row);
                            if (auto t = tags.find(s.id); t != tags.end()) s.categories = t->second;
                            bool archived = s.deleted_at.has_value();
                            if (filter.deleted == ListFilter::Deleted::kExclude && archived)
                              return Status::OK();
                            if (filter.deleted == ListFilter::Deleted::kOnly && !archived)
                              return Status::OK();
                            if (filter.name && s.name != *filter.name) return Status::OK();
                            if (filter.updated_since && s.updated_at < *filter.updated_since)
                              return Status::OK();
                            if (filter.category &&
                                std::find(s.categories.begin(), s.categories.end(),
                                          *filter.category) == s.categories.end()) {
                              return Status::OK();
                            }
                            out.push_back(std::move(s));
                            return Status::OK();
                          }));
  return out;
}

Result<std::optional<WorkflowDetail>> N8nCatalog::FindWorkflow(std::string_view query_in) {
  std::string query(query_in);
  if (query.empty()) return std::optional<WorkflowDetail>();
  FS_TRY_ASSIGN(std::vector<SqlRow> exact,
                conn_->Query("SELECT id FROM workflow_entity WHERE id = $1", {query},
                             "finding the n8n workflow"));
  if (!exact.empty()) return Detail(query);
  std::vector<std::string> ids;
  std::string stem =
      query.size() > 5 && query.ends_with(".json") ? query.substr(0, query.size() - 5) : query;
  FS_TRY(conn_->QueryEach("SELECT id, name FROM workflow_entity ORDER BY id", {},
                          "finding the n8n workflow", [&](const SqlRowView& row) -> Status {
                            std::string_view id = row[0].value_or("");
                            std::string_view name = row[1].value_or("");
                            if (id == stem || name == query ||
                                (query.size() >= 4 && id.starts_with(query))) {
                              ids.emplace_back(id);
                            }
                            return Status::OK();
                          }));
  if (ids.size() != 1) {
    if (ids.size() > 1) {
      return Status::InvalidArgument(fmt::format("'{}' names {} n8n workflows ({}): give an id",
                                                 query, ids.size(), fmt::join(ids, ", ")));
    }
    return std::optional<WorkflowDetail>();
  }
  return Detail(ids.front());
}

Result<std::optional<std::string>> N8nCatalog::SyncedId(const std::string& id) {
  if (id_map_ == nullptr) return std::optional<std::string>();
  FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                id_map_->Query("SELECT workflow_id FROM flowsync_n8n_workflows WHERE n8n_id = $1",
                               {id}, "reading flowsync's id of the n8n workflow"));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(SqlText(rows[0][0]));
}

Result<std::optional<WorkflowDetail>> N8nCatalog::Detail(const std::string& id) {
  FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                conn_->Query("SELECT id, name, CASE WHEN active THEN 1 ELSE 0 END, CASE WHEN "
                             "\"isArchived\" THEN 1 ELSE 0 END, \"createdAt\", \"updatedAt\", "
                             "\"versionCounter\", nodes, connections, settings, \"staticData\", "
                             "\"pinData\", meta, \"versionId\" FROM workflow_entity WHERE id = $1",
                             {id}, "reading the n8n workflow"));
  if (rows.empty()) return std::optional<WorkflowDetail>();
  const SqlRow& r = rows[0];
  SqlRowView view;
  for (const SqlValue& v : r) {
    view.push_back(v ? std::optional<std::string_view>(*v) : std::nullopt);
  }
  WorkflowDetail d;
  d.summary = SummaryOf(view);
  FS_TRY_ASSIGN(std::vector<SqlRow> tag_rows,
                conn_->Query("SELECT t.id, t.name FROM workflows_tags wt JOIN tag_entity t ON t.id "
                             "= wt.\"tagId\" WHERE wt.\"workflowId\" = $1 ORDER BY t.name",
                             {id}, "reading the n8n workflow's tags"));
  // The workflow as n8n's export:workflow writes it.
  std::string c = "{\"id\":";
  AppendJsonString(d.summary.id, &c);
  c += ",\"name\":";
  AppendJsonString(d.summary.name, &c);
  c += d.summary.active ? ",\"active\":true" : ",\"active\":false";
  auto json = [&](std::string_view key, const SqlValue& v, std::string_view fallback) {
    c += ",\"";
    c += key;
    c += "\":";
    c += v ? std::string_view(*v) : fallback;
  };
  json("nodes", r[7], "[]");
  json("connections", r[8], "{}");
  json("settings", r[9], "{}");
  json("staticData", r[10], "null");
  json("pinData", r[11], "{}");
  json("meta", r[12], "null");
  c += ",\"tags\":[";
  for (size_t i = 0; i < tag_rows.size(); ++i) {
    c += i == 0 ? "{\"id\":" : ",{\"id\":";
    AppendJsonString(SqlText(tag_rows[i][0]), &c);
    c += ",\"name\":";
    AppendJsonString(SqlText(tag_rows[i][1]), &c);
    c += "}";
    d.summary.categories.push_back(SqlText(tag_rows[i][1]));
  }
  c += "],\"versionId\":";
  AppendJsonString(SqlText(r[13]), &c);
  c += ",\"createdAt\":";
  AppendJsonString(d.summary.created_at, &c);
  c += ",\"updatedAt\":";
  AppendJsonString(d.summary.updated_at, &c);
  c += "}";
  SourceContent content;
  content.key = d.summary.path;
  content.format = Format::kN8n;
  content.text = c;
  Result<std::optional<ParsedWorkflow>> parsed = ParseSource(std::move(content), SourceLimits{});
  if (parsed.ok() && *parsed) {
    d.summary.content_hash = (*parsed)->content_hash;
    d.findings = (*parsed)->findings;
    d.content = std::move((*parsed)->content);
    d.metadata_json = "{}";
  } else {
    d.content = std::move(c);
  }
  return std::optional<WorkflowDetail>(std::move(d));
}

}  // namespace flowsync::n8n
