#include "n8n/n8n_edits.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "flowsync/source.h"
#include "sync/identity.h"

namespace flowsync::n8n {
namespace {

using Json = nlohmann::ordered_json;

Result<Json> ParseColumn(const std::optional<std::string>& text, std::string_view column) {
  if (!text) return Json(nullptr);
  Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::InvalidArgument(fmt::format("n8n's {} is not JSON", column));
  }
  return j;
}

}  // namespace

Result<std::string> N8nFileForm(const N8nRowText& row) {
  Json doc = Json::object();
  if (row.id) doc["id"] = *row.id;
  doc["name"] = row.name;
  FS_TRY_ASSIGN(Json nodes, ParseColumn(row.nodes, "nodes"));
  FS_TRY_ASSIGN(Json connections, ParseColumn(row.connections, "connections"));
  FS_TRY_ASSIGN(Json settings, ParseColumn(row.settings, "settings"));
  FS_TRY_ASSIGN(Json static_data, ParseColumn(row.static_data, "staticData"));
  FS_TRY_ASSIGN(Json pin_data, ParseColumn(row.pin_data, "pinData"));
  FS_TRY_ASSIGN(Json meta, ParseColumn(row.meta, "meta"));
  doc["nodes"] = nodes.is_null() ? Json::array() : std::move(nodes);
  doc["connections"] = connections.is_null() ? Json::object() : std::move(connections);
  doc["active"] = row.active;
  if (!settings.is_null()) doc["settings"] = std::move(settings);
  if (!static_data.is_null()) doc["staticData"] = std::move(static_data);
  if (!pin_data.is_null() && !pin_data.empty()) doc["pinData"] = std::move(pin_data);
  if (!meta.is_null()) doc["meta"] = std::move(meta);
  if (!row.tags.empty()) {
    Json tags = Json::array();
    for (const std::string& t : row.tags) tags.push_back({{"name", t}});
    doc["tags"] = std::move(tags);
  }
  return doc.dump(2, ' ', false, nlohmann::detail::error_handler_t::replace) + "\n";
}

std::string N8nFileName(std::string_view name, std::string_view id) {
  std::string slug;
  for (char c : name) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep || (c >= 'A' && c <= 'Z')) {
      slug += keep ? c : static_cast<char>(c - 'A' + 'a');
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
    if (slug.size() >= 80) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return (slug.empty() ? std::string(id) : slug) + ".json";
}

namespace {

// n8n's row as its file form, or an error when a column is not JSON.
Result<std::string> FileFormOf(SqlConnection& conn, const SqlRow& r, size_t first,
                               std::optional<std::string> file_id) {
  N8nRowText text;
  text.id = std::move(file_id);
  text.name = SqlText(r[first + 1]);
  text.active = SqlInt(r[first + 2]) != 0;
  text.nodes = r[first + 3];
  text.connections = r[first + 4];
  text.settings = r[first + 5];
  text.static_data = r[first + 6];
  text.pin_data = r[first + 7];
  text.meta = r[first + 8];
  FS_TRY_ASSIGN(std::vector<SqlRow> tags,
                conn.Query("SELECT t.name FROM workflows_tags wt JOIN tag_entity t ON t.id = "
                           "wt.\"tagId\" WHERE wt.\"workflowId\" = $1 ORDER BY t.name",
                           {SqlText(r[first])}, "reading the n8n workflow's tags"));
  for (const SqlRow& t : tags) text.tags.push_back(SqlText(t[0]));
  return N8nFileForm(text);
}

// n8n's columns FileFormOf reads, from `e`.
constexpr char kEntityColumns[] =
    "e.id, e.name, CASE WHEN e.active THEN 1 ELSE 0 END, e.nodes, e.connections, e.settings, "
    "e.\"staticData\", e.\"pinData\", e.meta, e.\"versionId\"";

// Adds the workflows made in n8n.
Result<int> AddMadeInN8n(SqlConnection& conn, const std::string& project, const std::string& now) {
  const bool pg = conn.dialect() == SqlDialect::kPostgres;
  FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                conn.Query(fmt::format("SELECT {} FROM workflow_entity e WHERE NOT EXISTS "
                                       "(SELECT 1 FROM flowsync_n8n_workflows m WHERE m.n8n_id = "
                                       "e.id) AND NOT e.\"isArchived\" ORDER BY e.id",
                                       kEntityColumns),
                           {}, "looking for workflows made in n8n"));
  int added = 0;
  for (const SqlRow& r : rows) {
    const std::string n8n_id = SqlText(r[0]);
    Result<std::string> form = FileFormOf(conn, r, 0, n8n_id);
    if (!form.ok()) continue;  // not JSON: n8n could not run it either
    std::string path = N8nFileName(SqlText(r[1]), n8n_id);
    FS_TRY_ASSIGN(std::vector<SqlRow> taken,
                  conn.Query("SELECT count(*) FROM workflows WHERE path = $1 AND project = $2",
                             {path, project}, "choosing a path"));
    if (SqlInt(taken[0][0]) > 0) path = path.substr(0, path.size() - 5) + "-" + n8n_id + ".json";
    SourceContent content;
    content.format = Format::kN8n;
    content.key = path;
    content.text = *form;
    Result<std::optional<ParsedWorkflow>> parsed = ParseSource(std::move(content), SourceLimits{});
    if (!parsed.ok() || !*parsed) continue;
    const ParsedWorkflow& wf = **parsed;
    std::set<std::string> ids;
    std::string id;
    while (true) {
      id = NewWorkflowId(project, path, ids);
      FS_TRY_ASSIGN(std::vector<SqlRow> held,
                    conn.Query(pg ? "SELECT count(*) FROM workflows WHERE id = $1::uuid"
                                  : "SELECT count(*) FROM workflows WHERE id = $1",
                               {id}, "choosing an id"));
      if (SqlInt(held[0][0]) == 0) break;
      ids.insert(id);
    }
    FS_TRY(
        conn.Query(pg ? "INSERT INTO workflows (id, project, path, format, content_hash, name, "
                        "source_id, created_at, updated_at, content, definition) VALUES "
                        "($1::uuid, $2, $3, 'n8n', $4, $5, $6, $7::timestamptz, $7::timestamptz, "
                        "$8, $9::jsonb)"
                      : "INSERT INTO workflows (id, project, path, format, content_hash, name, "
                        "source_id, created_at, updated_at, content) VALUES ($1, $2, $3, 'n8n', "
                        "$4, $5, $6, $7, $7, $8)",
                   pg ? std::vector<SqlValue>{id, project, path, wf.content_hash, wf.name, n8n_id,
                                              now, wf.content, wf.content}
                      : std::vector<SqlValue>{id, project, path, wf.content_hash, wf.name, n8n_id,
                                              now, wf.content},
                   "adding a workflow made in n8n")
            .status());
    FS_TRY(conn.Query("INSERT INTO flowsync_n8n_workflows (workflow_id, n8n_id, source_id, "
                      "version_id) VALUES ($1, $2, $3, $4)",
                      {id, n8n_id, n8n_id, r[9]}, "mapping a workflow made in n8n")
               .status());
    ++added;
  }
  return added;
}

}  // namespace

Result<int> ImportN8nEdits(SqlConnection& conn, const std::string& project,
                           const std::string& now) {
  const bool pg = conn.dialect() == SqlDialect::kPostgres;
  const std::string id_match = pg ? "w.id::text = m.workflow_id" : "w.id = m.workflow_id";
  FS_TRY_ASSIGN(
      std::vector<SqlRow> rows,
      conn.Query(
          fmt::format(
              "SELECT m.workflow_id, m.source_id, e.id, e.\"versionId\", CASE WHEN "
              "e.\"isArchived\" THEN 1 ELSE 0 END, e.name, CASE WHEN e.active THEN 1 ELSE 0 "
              "END, e.nodes, e.connections, e.settings, e.\"staticData\", e.\"pinData\", "
              "e.meta, w.content_hash, w.format, w.path, w.metadata, w.documentation "
              "FROM flowsync_n8n_workflows m JOIN workflows w ON {} LEFT JOIN "
              "workflow_entity e ON e.id = m.n8n_id WHERE m.version_id IS NOT NULL AND "
              "w.deleted_at IS NULL AND (e.id IS NULL OR e.\"isArchived\" OR e.\"versionId\" "
              "IS NULL OR e.\"versionId\" <> m.version_id)",
              id_match),
          {}, "looking for edits made in n8n"));
  const std::string uuid = pg ? "::uuid" : "";
  const std::string ts = pg ? "::timestamptz" : "";
  int changed = 0;
  for (const SqlRow& r : rows) {
    const std::string id = SqlText(r[0]);
    const bool gone = !r[2] || SqlInt(r[4]) != 0;
    if (gone) {
      FS_TRY(conn.Query(fmt::format("UPDATE workflows SET deleted_at = $2{}, source_sig = '' "
                                    "WHERE id = $1{} AND deleted_at IS NULL",
                                    ts, uuid),
                        {id, now}, "noting a workflow deleted in n8n")
                 .status());
      ++changed;
      continue;
    }
    N8nRowText text;
    text.id = r[1];
    text.name = SqlText(r[5]);
    text.active = SqlInt(r[6]) != 0;
    text.nodes = r[7];
    text.connections = r[8];
    text.settings = r[9];
    text.static_data = r[10];
    text.pin_data = r[11];
    text.meta = r[12];
    FS_TRY_ASSIGN(std::vector<SqlRow> tags,
                  conn.Query("SELECT t.name FROM workflows_tags wt JOIN tag_entity t ON t.id = "
                             "wt.\"tagId\" WHERE wt.\"workflowId\" = $1 ORDER BY t.name",
                             {SqlText(r[2])}, "reading the n8n workflow's tags"));
    for (const SqlRow& t : tags) text.tags.push_back(SqlText(t[0]));
    Result<std::string> form = N8nFileForm(text);
    const std::string version_id = SqlText(r[3]);
    auto remember = [&]() {
      return conn
          .Query("UPDATE flowsync_n8n_workflows SET version_id = $2 WHERE workflow_id = $1",
                 {id, version_id}, "remembering n8n's version")
          .status();
    };
    if (!form.ok()) {  // not ours to read: left as it is, and not looked at again
      FS_TRY(remember());
      continue;
    }
    SourceContent content;
    const std::string format = SqlText(r[14]);
    content.format = format == "bundle" ? Format::kBundle : Format::kN8n;
    content.key = SqlText(r[15]);
    content.text = *form;
    if (content.format == Format::kBundle) {
      content.meta_json = SqlText(r[16]);
      content.readme = SqlText(r[17]);
    }
    Result<std::optional<ParsedWorkflow>> parsed = ParseSource(std::move(content), SourceLimits{});
    if (!parsed.ok() || !*parsed || (*parsed)->content_hash == SqlText(r[13])) {
      FS_TRY(remember());  // saved in n8n without a change flowsync sees
      continue;
    }
    const ParsedWorkflow& wf = **parsed;
    FS_TRY(conn.Query(fmt::format("INSERT INTO workflow_versions (workflow_id, project, version, "
                                  "path, name, content, content_hash, metadata, documentation, "
                                  "valid_from, replaced_at) SELECT id, project, version, path, "
                                  "name, content, content_hash, metadata, documentation, "
                                  "updated_at, $2{} FROM workflows WHERE id = $1{}",
                                  ts, uuid),
                      {id, now}, "keeping the version before the n8n edit")
               .status());
    FS_TRY(conn.Query(fmt::format("UPDATE workflows SET content = $2, content_hash = $3, name = "
                                  "$4, version = version + 1, updated_at = $5{}, source_sig = ''{} "
                                  "WHERE id = $1{}",
                                  ts, pg ? ", definition = $6::jsonb" : "", uuid),
                      // jsonb cannot hold a NUL (\u0000): then no definition, as a sync does.
                      pg ? std::vector<SqlValue>{id, wf.content, wf.content_hash, wf.name, now,
                                                 wf.content.find("\\u0000") == std::string::npos
                                                     ? SqlValue(wf.content)
                                                     : SqlValue()}
                         : std::vector<SqlValue>{id, wf.content, wf.content_hash, wf.name, now},
                      "storing the n8n edit")
               .status());
    FS_TRY(remember());
    ++changed;
  }
  FS_TRY_ASSIGN(int added, AddMadeInN8n(conn, project, now));
  return changed + added;
}

}  // namespace flowsync::n8n
