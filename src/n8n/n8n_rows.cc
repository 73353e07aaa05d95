#include "n8n/n8n_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "n8n/n8n_ids.h"
#include "source/json_document.h"

namespace flowsync::n8n {
namespace {

using Json = nlohmann::ordered_json;

// Deeper nesting than a sync accepts (SourceLimits::max_json_depth) is no
// workflow n8n gets.
constexpr int kMaxDepth = 512;

// The name a credential reference gives: "<name>" or {"name": "<name>"}.
std::optional<std::string> CredentialName(const Json& ref) {
  if (ref.is_string()) return ref.get<std::string>();
  if (ref.is_object() && ref.contains("name") && ref["name"].is_string()) {
    return ref["name"].get<std::string>();
  }
  return std::nullopt;
}

// Compact JSON of parsed values, written from the parse tree: strings
// re-escaped from their text, numbers exactly as written, members in
// document order. Re-binding rewrites only what it changes.
class Writer {
 public:
  Writer(const JsonDocument& doc, const Rebinding& rebinding, std::vector<std::string>* unmatched)
      : doc_(doc), rebinding_(rebinding), unmatched_(unmatched) {}

  void Value(const JsonValue& v, std::string* out) const {
    switch (v.kind) {
      case JsonKind::kNull:
        *out += "null";
        return;
      case JsonKind::kBool:
        *out += v.boolean ? "true" : "false";
        return;
      case JsonKind::kNumber:
        *out += v.text;
        return;
      case JsonKind::kString:
        AppendJsonString(v.text, out);
        return;
      case JsonKind::kArray: {
        *out += '[';
        bool first = true;
        for (const JsonValue& m : doc_.Members(v)) {
          if (!first) *out += ',';
          first = false;
          Value(m, out);
        }
        *out += ']';
        return;
      }
      case JsonKind::kObject: {
        *out += '{';
        bool first = true;
        for (const JsonValue& m : doc_.Members(v)) {
          Key(m.key, &first, out);
          Value(m, out);
        }
        *out += '}';
        return;
      }
    }
  }

  // The nodes, their credential and sub-workflow references re-bound.
  void Nodes(const JsonValue& nodes, std::string* out) const {
    *out += '[';
    bool first = true;
    for (const JsonValue& node : doc_.Members(nodes)) {
      if (!first) *out += ',';
      first = false;
      if (!node.is_object()) {
        Value(node, out);
        continue;
      }
      const JsonValue* name = doc_.Find(node, "name");
      const std::string_view node_name = name != nullptr && name->is_string() ? name->text : "";
      *out += '{';
      bool first_member = true;
      for (const JsonValue& m : doc_.Members(node)) {
        Key(m.key, &first_member, out);
        if (m.key == "credentials" && m.is_object()) {
          Credentials(m, node_name, out);
        } else if (m.key == "parameters" && m.is_object()) {
          Parameters(m, out);
        } else {
          Value(m, out);
        }
      }
      *out += '}';
    }
    *out += ']';
  }

 private:
  static void Key(std::string_view key, bool* first, std::string* out) {
    if (!*first) *out += ',';
    *first = false;
    AppendJsonString(key, out);
    *out += ':';
  }

  // Each reference by (type, name) to the target's credential; the
  // unmatched ones stay as written, noted.
  void Credentials(const JsonValue& creds, std::string_view node_name, std::string* out) const {
    *out += '{';
    bool first = true;
    for (const JsonValue& ref : doc_.Members(creds)) {
      Key(ref.key, &first, out);
      std::optional<std::string_view> name;
      if (ref.is_string()) {
        name = ref.text;
      } else if (const JsonValue* n = ref.is_object() ? doc_.Find(ref, "name") : nullptr;
                 n != nullptr && n->is_string()) {
        name = n->text;
      }
      if (!name) {
        Value(ref, out);
        continue;
      }
      auto found = rebinding_.credentials.find({std::string(ref.key), std::string(*name)});
      if (found == rebinding_.credentials.end() || found->second.empty()) {
        if (unmatched_ != nullptr) {
          unmatched_->push_back(fmt::format(
              "node '{}': credential {} '{}' ({} in the target)", node_name, ref.key, *name,
              found == rebinding_.credentials.end() ? "no match" : "several matches"));
        }
        Value(ref, out);
        continue;
      }
      *out += "{\"id\":";
      AppendJsonString(found->second, out);
      *out += ",\"name\":";
      AppendJsonString(*name, out);
      *out += '}';
    }
    *out += '}';
  }

  // An Execute Workflow node's workflowId (a string or {__rl, value, mode})
  // mapped through the id map.
  void Parameters(const JsonValue& params, std::string* out) const {
    *out += '{';
    bool first = true;
    for (const JsonValue& m : doc_.Members(params)) {
      Key(m.key, &first, out);
      if (m.key != "workflowId") {
        Value(m, out);
        continue;
      }
      if (m.is_string()) {
        auto found = rebinding_.workflow_ids.find(m.text);
        AppendJsonString(found != rebinding_.workflow_ids.end() ? found->second : m.text, out);
        continue;
      }
      const JsonValue* value = m.is_object() ? doc_.Find(m, "value") : nullptr;
      auto found = value != nullptr && value->is_string()
                       ? rebinding_.workflow_ids.find(value->text)
                       : rebinding_.workflow_ids.end();
      if (found == rebinding_.workflow_ids.end()) {
        Value(m, out);
        continue;
      }
      *out += '{';
      bool first_member = true;
      for (const JsonValue& f : doc_.Members(m)) {
        Key(f.key, &first_member, out);
        if (&f == value) {
          AppendJsonString(found->second, out);
        } else if (f.key == "cachedResultUrl") {
          AppendJsonString("/workflow/" + found->second, out);
        } else {
          Value(f, out);
        }
      }
      *out += '}';
    }
    *out += '}';
  }

  const JsonDocument& doc_;
  const Rebinding& rebinding_;
  std::vector<std::string>* unmatched_;
};

}  // namespace

Result<N8nWorkflow> WorkflowFromContent(std::string_view content, const std::string& id,
                                        const Rebinding& rebinding,
                                        std::vector<std::string>* unmatched) {
  auto parsed = JsonDocument::Parse(content, kMaxDepth);
  if (!parsed.ok() || !(*parsed)->root().is_object()) {
    return Status::InvalidArgument("not an n8n workflow object");
  }
  const JsonDocument& doc = **parsed;
  const JsonValue& root = doc.root();
  const Writer writer(doc, rebinding, unmatched);
  auto text = [&](const JsonValue* v) {
    std::string out;
    writer.Value(*v, &out);
    return out;
  };
  N8nWorkflow wf;
  wf.id = id;
  if (const JsonValue* name = doc.Find(root, "name"); name != nullptr && name->is_string()) {
    wf.name = std::string(name->text);
  }
  if (const JsonValue* nodes = doc.Find(root, "nodes"); nodes != nullptr && nodes->is_array()) {
    wf.nodes.clear();
    writer.Nodes(*nodes, &wf.nodes);
  }
  if (const JsonValue* c = doc.Find(root, "connections"); c != nullptr && c->is_object()) {
    wf.connections = text(c);
  }
  if (const JsonValue* v = doc.Find(root, "settings"); v != nullptr && v->is_object()) {
    wf.settings = text(v);
  }
  if (const JsonValue* v = doc.Find(root, "staticData"); v != nullptr && !v->is_null()) {
    wf.static_data = text(v);
  }
  if (const JsonValue* v = doc.Find(root, "pinData"); v != nullptr && !v->is_null()) {
    wf.pin_data = text(v);
  }
  if (const JsonValue* v = doc.Find(root, "meta"); v != nullptr && v->is_object()) {
    wf.meta = text(v);
  }
  if (const JsonValue* tags = doc.Find(root, "tags"); tags != nullptr && tags->is_array()) {
    for (const JsonValue& t : doc.Members(*tags)) {
      std::string name;
      if (t.is_string()) {
        name = std::string(t.text);
      } else if (const JsonValue* n = t.is_object() ? doc.Find(t, "name") : nullptr;
                 n != nullptr && n->is_string()) {
        name = std::string(n->text);
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

namespace {

// "($1, $2, $3), ($4, $5, $6)": `rows` rows of `columns` parameters from
// $first on.
std::string ValueRows(size_t rows, size_t columns, size_t first = 1) {
  std::string out;
  size_t n = first;
  for (size_t r = 0; r < rows; ++r) {
    out += r == 0 ? "(" : ", (";
    for (size_t c = 0; c < columns; ++c) {
      if (c > 0) out += ", ";
      out += "$" + std::to_string(n++);
    }
    out += ")";
  }
  return out;
}

// "$1, $2, ..., $n".
std::string List(size_t n) {
  std::string out;
  for (size_t i = 1; i <= n; ++i) out += (i == 1 ? "$" : ", $") + std::to_string(i);
  return out;
}

// Workflows per statement: the widest row (13 columns) stays far below
// both backends' limit on parameters.
constexpr size_t kBatch = 200;

}  // namespace

Status N8nRowWriter::WriteMany(const std::vector<Item>& items, const std::string& now) {
  for (size_t start = 0; start < items.size(); start += kBatch) {
    const size_t end = std::min(items.size(), start + kBatch);
    const size_t n = end - start;
    std::vector<SqlValue> ids;
    for (size_t i = start; i < end; ++i) ids.emplace_back(items[i].wf.id);

    std::set<std::string> existing;
    FS_TRY(conn_->QueryEach("SELECT id FROM workflow_entity WHERE id IN (" + List(n) + ")", ids,
                            "looking up the n8n workflows", [&](const SqlRowView& row) -> Status {
                              existing.emplace(row[0].value_or(""));
                              return Status::OK();
                            }));
    std::vector<SqlValue> added;
    size_t added_rows = 0;
    for (size_t i = start; i < end; ++i) {
      const N8nWorkflow& wf = items[i].wf;
      if (existing.count(wf.id) != 0) {
        FS_TRY(conn_
                   ->Query("UPDATE workflow_entity SET name = $2, nodes = $3, connections = $4, "
                           "settings = $5, \"pinData\" = $6, meta = $7, \"versionId\" = $8, "
                           "\"updatedAt\" = $9 WHERE id = $1",
                           {wf.id, wf.name, wf.nodes, wf.connections, wf.settings, wf.pin_data,
                            wf.meta, items[i].version_id, now},
                           "updating the n8n workflow")
                   .status());
        continue;
      }
      for (SqlValue v : {SqlValue(wf.id), SqlValue(wf.name), SqlValue(wf.nodes),
                         SqlValue(wf.connections), SqlValue(wf.settings), wf.static_data,
                         wf.pin_data, wf.meta, SqlValue(items[i].version_id), SqlValue(now)}) {
        added.push_back(std::move(v));
      }
      ++added_rows;
    }
    if (added_rows > 0) {
      // ValueRows numbers 10 parameters a row; active, triggerCount and the
      // second timestamp are written around them.
      std::string rows;
      for (size_t r = 0; r < added_rows; ++r) {
        const size_t b = r * 10;
        rows += fmt::format("{}(${}, ${}, false, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 0, ${}, ${})",
                            r == 0 ? "" : ", ", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7,
                            b + 8, b + 9, b + 10, b + 10);
      }
      FS_TRY(conn_
                 ->Query("INSERT INTO workflow_entity (id, name, active, nodes, connections, "
                         "settings, \"staticData\", \"pinData\", meta, \"versionId\", "
                         "\"triggerCount\", \"createdAt\", \"updatedAt\") VALUES " +
                             rows,
                         added, "adding the n8n workflows")
                 .status());
    }

    std::vector<SqlValue> history;
    for (size_t i = start; i < end; ++i) {
      const N8nWorkflow& wf = items[i].wf;
      for (SqlValue v : {SqlValue(items[i].version_id), SqlValue(wf.id), SqlValue(wf.nodes),
                         SqlValue(wf.connections), SqlValue(now)}) {
        history.push_back(std::move(v));
      }
    }
    std::string history_rows;
    for (size_t r = 0; r < n; ++r) {
      const size_t b = r * 5;
      history_rows += fmt::format("{}(${}, ${}, 'flowsync', ${}, ${}, ${}, ${})",
                                  r == 0 ? "" : ", ", b + 1, b + 2, b + 3, b + 4, b + 5, b + 5);
    }
    FS_TRY(conn_
               ->Query("INSERT INTO workflow_history (\"versionId\", \"workflowId\", authors, "
                       "nodes, connections, \"createdAt\", \"updatedAt\") VALUES " +
                           history_rows,
                       history, "adding the n8n history rows")
               .status());

    std::set<std::string> owned;
    FS_TRY(conn_->QueryEach(
        "SELECT \"workflowId\" FROM shared_workflow WHERE role = 'workflow:owner' AND "
        "\"workflowId\" IN (" +
            List(n) + ")",
        ids, "looking up the n8n owners", [&](const SqlRowView& row) -> Status {
          owned.emplace(row[0].value_or(""));
          return Status::OK();
        }));
    std::vector<SqlValue> owners;
    for (size_t i = start; i < end; ++i) {
      if (owned.count(items[i].wf.id) == 0) {
        owners.emplace_back(items[i].wf.id);
        owners.emplace_back(project_id_);
        owners.emplace_back(now);
      }
    }
    if (!owners.empty()) {
      std::string owner_rows;
      for (size_t r = 0; r < owners.size() / 3; ++r) {
        const size_t b = r * 3;
        owner_rows += fmt::format("{}(${}, ${}, 'workflow:owner', ${}, ${})", r == 0 ? "" : ", ",
                                  b + 1, b + 2, b + 3, b + 3);
      }
      FS_TRY(conn_
                 ->Query("INSERT INTO shared_workflow (\"workflowId\", \"projectId\", role, "
                         "\"createdAt\", \"updatedAt\") VALUES " +
                             owner_rows,
                         owners, "adding the n8n owner rows")
                 .status());
    }

    FS_TRY(conn_
               ->Query("DELETE FROM workflows_tags WHERE \"workflowId\" IN (" + List(n) + ")", ids,
                       "replacing the n8n tags")
               .status());
    std::vector<SqlValue> links;
    for (size_t i = start; i < end; ++i) {
      for (const std::string& name : items[i].wf.tags) {
        auto found = tag_ids_.find(name);
        if (found == tag_ids_.end()) {
          std::string id = N8nTagId(name);
          FS_TRY(conn_
                     ->Query("INSERT INTO tag_entity (id, name, \"createdAt\", \"updatedAt\") "
                             "VALUES ($1, $2, $3, $3)",
                             {id, name, now}, "adding the n8n tag")
                     .status());
          found = tag_ids_.emplace(name, id).first;
        }
        links.emplace_back(items[i].wf.id);
        links.emplace_back(found->second);
      }
    }
    if (!links.empty()) {
      FS_TRY(conn_
                 ->Query("INSERT INTO workflows_tags (\"workflowId\", \"tagId\") VALUES " +
                             ValueRows(links.size() / 2, 2),
                         links, "tagging the n8n workflows")
                 .status());
    }
  }
  return Status::OK();
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
