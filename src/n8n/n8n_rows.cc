#include "n8n/n8n_rows.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "n8n/n8n_ids.h"

namespace flowsync::n8n {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
}

// The name a credential reference gives: "<name>" or {"name": "<name>"}.
std::optional<std::string> CredentialName(const Json& ref) {
  if (ref.is_string()) return ref.get<std::string>();
  if (ref.is_object() && ref.contains("name") && ref["name"].is_string()) {
    return ref["name"].get<std::string>();
  }
  return std::nullopt;
}

// Re-binds one node's credential references; notes the unmatched ones.
void RebindCredentials(Json& node, const Rebinding& rebinding,
                       std::vector<std::string>* unmatched) {
  auto creds = node.find("credentials");
  if (creds == node.end() || !creds->is_object()) return;
  std::string node_name = node.value("name", std::string());
  for (auto& [type, ref] : creds->items()) {
    std::optional<std::string> named = CredentialName(ref);
    if (!named) continue;
    const std::string& name = *named;
    auto found = rebinding.credentials.find({type, name});
    if (found == rebinding.credentials.end() || found->second.empty()) {
      if (unmatched != nullptr) {
        unmatched->push_back(
            fmt::format("node '{}': credential {} '{}' ({} in the target)", node_name, type, name,
                        found == rebinding.credentials.end() ? "no match" : "several matches"));
      }
      continue;
    }
    ref = Json{{"id", found->second}, {"name", name}};
  }
}

// Maps an Execute Workflow node's workflowId through the id map.
void RebindWorkflowId(Json& node, const Rebinding& rebinding) {
  auto params = node.find("parameters");
  if (params == node.end() || !params->is_object()) return;
  auto ref = params->find("workflowId");
  if (ref == params->end()) return;
  auto map = [&](Json& value) {
    if (!value.is_string()) return false;
    auto found = rebinding.workflow_ids.find(value.get<std::string>());
    if (found == rebinding.workflow_ids.end()) return false;
    value = found->second;
    return true;
  };
  if (ref->is_string()) {
    map(*ref);
  } else if (ref->is_object() && ref->contains("value")) {
    if (map((*ref)["value"]) && ref->contains("cachedResultUrl")) {
      (*ref)["cachedResultUrl"] = "/workflow/" + (*ref)["value"].get<std::string>();
    }
  }
}

}  // namespace

Result<N8nWorkflow> WorkflowFromContent(std::string_view content, const std::string& id,
                                        const Rebinding& rebinding,
                                        std::vector<std::string>* unmatched) {
  Json doc = Json::parse(content, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Status::InvalidArgument("not an n8n workflow object");
  N8nWorkflow wf;
  wf.id = id;
  if (auto name = doc.find("name"); name != doc.end() && name->is_string()) {
    wf.name = name->get<std::string>();
  }
  if (auto nodes = doc.find("nodes"); nodes != doc.end() && nodes->is_array()) {
    for (Json& node : *nodes) {
      if (!node.is_object()) continue;
      RebindCredentials(node, rebinding, unmatched);
      RebindWorkflowId(node, rebinding);
    }
    wf.nodes = Dump(*nodes);
  }
  if (auto c = doc.find("connections"); c != doc.end() && c->is_object()) wf.connections = Dump(*c);
  if (auto s = doc.find("settings"); s != doc.end() && s->is_object()) wf.settings = Dump(*s);
  if (auto s = doc.find("staticData"); s != doc.end() && !s->is_null()) wf.static_data = Dump(*s);
  if (auto p = doc.find("pinData"); p != doc.end() && !p->is_null()) wf.pin_data = Dump(*p);
  if (auto m = doc.find("meta"); m != doc.end() && m->is_object()) wf.meta = Dump(*m);
  if (auto tags = doc.find("tags"); tags != doc.end() && tags->is_array()) {
    for (const Json& t : *tags) {
      std::string name;
      if (t.is_string()) {
        name = t.get<std::string>();
      } else if (t.is_object() && t.contains("name") && t["name"].is_string()) {
        name = t["name"].get<std::string>();
      }
      if (name.empty()) continue;
      if (std::find(wf.tags.begin(), wf.tags.end(), name) == wf.tags.end()) {
        wf.tags.push_back(std::move(name));
      }
    }
  }
  return wf;
}

Result<std::vector<std::pair<std::string, std::string>>> CredentialReferences(
    std::string_view content) {
  Json doc = Json::parse(content, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Status::InvalidArgument("not an n8n workflow object");
  std::vector<std::pair<std::string, std::string>> out;
  auto nodes = doc.find("nodes");
  if (nodes == doc.end() || !nodes->is_array()) return out;
  for (const Json& node : *nodes) {
    if (!node.is_object()) continue;
    auto creds = node.find("credentials");
    if (creds == node.end() || !creds->is_object()) continue;
    for (const auto& [type, ref] : creds->items()) {
      std::optional<std::string> name = CredentialName(ref);
      if (!name) continue;
      std::pair<std::string, std::string> key{type, *name};
      if (std::find(out.begin(), out.end(), key) == out.end()) out.push_back(std::move(key));
    }
  }
  return out;
}

std::string N8nTime(std::string_view rfc3339) {
  std::string out(rfc3339);
  if (out.size() > 10 && out[10] == 'T') out[10] = ' ';
  if (!out.empty() && out.back() == 'Z') out.pop_back();
  return out;
}

Status N8nRowWriter::Prepare(const std::optional<std::string>& project) {
  if (project) {
    FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                  conn_->Query("SELECT id FROM project WHERE name = $1 OR id = $1 ORDER BY id",
                               {*project}, "finding the n8n project"));
    if (rows.empty()) {
      return Status::NotFound(fmt::format("n8n has no project named '{}'", *project));
    }
    if (rows.size() > 1) {
      return Status::InvalidArgument(
          fmt::format("n8n has {} projects named '{}': name it by id", rows.size(), *project));
    }
    project_id_ = SqlText(rows[0][0]);
  } else {
    FS_TRY_ASSIGN(
        std::vector<SqlRow> rows,
        conn_->Query("SELECT p.id FROM project p JOIN project_relation r ON r.\"projectId\" = p.id "
                     "JOIN \"user\" u ON u.id = r.\"userId\" WHERE u.\"roleSlug\" = "
                     "'global:owner' AND r.role = 'project:personalOwner' AND p.type = "
                     "'personal' ORDER BY p.id LIMIT 1",
                     {}, "finding the n8n owner's project"));
    if (rows.empty()) {
      return Status::Unsupported(
          "n8n has no owner yet: start n8n once (any n8n command creates the owner and its "
          "project), or name a project with --n8n-project");
    }
    project_id_ = SqlText(rows[0][0]);
  }
  // Only id, name and type: never a credential's data.
  FS_TRY(conn_->QueryEach("SELECT id, name, type FROM credentials_entity ORDER BY id", {},
                          "reading n8n's credential names", [&](const SqlRowView& row) -> Status {
                            std::pair<std::string, std::string> key{
                                std::string(row[2].value_or("")), std::string(row[1].value_or(""))};
                            auto [it, fresh] = rebinding_.credentials.emplace(
                                key, std::string(row[0].value_or("")));
                            if (!fresh) it->second.clear();  // ambiguous
                            return Status::OK();
                          }));
  return conn_->QueryEach("SELECT id, name FROM tag_entity", {}, "reading n8n's tags",
                          [&](const SqlRowView& row) -> Status {
                            tag_ids_.emplace(std::string(row[1].value_or("")),
                                             std::string(row[0].value_or("")));
                            return Status::OK();
                          });
}

Status N8nRowWriter::Write(const N8nWorkflow& wf, const std::string& version_id,
                           const std::string& now) {
  FS_TRY_ASSIGN(std::vector<SqlRow> existing,
                conn_->Query("SELECT id FROM workflow_entity WHERE id = $1", {wf.id},
                             "looking up the n8n workflow"));
  if (existing.empty()) {
    FS_TRY(conn_
               ->Query("INSERT INTO workflow_entity (id, name, active, nodes, connections, "
                       "settings, \"staticData\", \"pinData\", meta, \"versionId\", "
                       "\"triggerCount\", \"createdAt\", \"updatedAt\") VALUES ($1, $2, false, $3, "
                       "$4, $5, $6, $7, $8, $9, 0, $10, $10)",
                       {wf.id, wf.name, wf.nodes, wf.connections, wf.settings, wf.static_data,
                        wf.pin_data, wf.meta, version_id, now},
                       "adding the n8n workflow")
               .status());
  } else {
    FS_TRY(conn_
               ->Query("UPDATE workflow_entity SET name = $2, nodes = $3, connections = $4, "
                       "settings = $5, \"pinData\" = $6, meta = $7, \"versionId\" = $8, "
                       "\"updatedAt\" = $9 WHERE id = $1",
                       {wf.id, wf.name, wf.nodes, wf.connections, wf.settings, wf.pin_data, wf.meta,
                        version_id, now},
                       "updating the n8n workflow")
               .status());
  }
  FS_TRY(conn_
             ->Query("INSERT INTO workflow_history (\"versionId\", \"workflowId\", authors, "
                     "nodes, connections, \"createdAt\", \"updatedAt\") VALUES ($1, $2, "
                     "'flowsync', $3, $4, $5, $5)",
                     {version_id, wf.id, wf.nodes, wf.connections, now},
                     "adding the n8n history row")
             .status());
  FS_TRY_ASSIGN(std::vector<SqlRow> owners,
                conn_->Query("SELECT count(*) FROM shared_workflow WHERE \"workflowId\" = $1 AND "
                             "role = 'workflow:owner'",
                             {wf.id}, "looking up the n8n owner"));
  if (owners.empty() || SqlInt(owners[0][0]) == 0) {
    FS_TRY(conn_
               ->Query("INSERT INTO shared_workflow (\"workflowId\", \"projectId\", role, "
                       "\"createdAt\", \"updatedAt\") VALUES ($1, $2, 'workflow:owner', $3, $3)",
                       {wf.id, project_id_, now}, "adding the n8n owner row")
               .status());
  }
  return WriteTags(wf, now);
}

Status N8nRowWriter::WriteTags(const N8nWorkflow& wf, const std::string& now) {
  FS_TRY(conn_
             ->Query("DELETE FROM workflows_tags WHERE \"workflowId\" = $1", {wf.id},
                     "replacing the n8n tags")
             .status());
  for (const std::string& name : wf.tags) {
    auto found = tag_ids_.find(name);
    if (found == tag_ids_.end()) {
      std::string id = N8nTagId(name);
      FS_TRY(conn_
                 ->Query("INSERT INTO tag_entity (id, name, \"createdAt\", \"updatedAt\") VALUES "
                         "($1, $2, $3, $3)",
                         {id, name, now}, "adding the n8n tag")
                 .status());
      found = tag_ids_.emplace(name, id).first;
    }
    FS_TRY(conn_
               ->Query("INSERT INTO workflows_tags (\"workflowId\", \"tagId\") VALUES ($1, $2)",
                       {wf.id, found->second}, "tagging the n8n workflow")
               .status());
  }
  return Status::OK();
}

Status N8nRowWriter::SetArchived(const std::string& id, bool archived, const std::string& now) {
  return conn_
      ->Query("UPDATE workflow_entity SET \"isArchived\" = $2, \"updatedAt\" = $3 WHERE id = $1",
              {id, archived ? "1" : "0", now}, "archiving the n8n workflow")
      .status();
}

}  // namespace flowsync::n8n
