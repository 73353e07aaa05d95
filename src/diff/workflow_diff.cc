#include "diff/workflow_diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "diff/text_diff.h"
#include "promote/secret_scan.h"
#include "source/json_document.h"

namespace flowsync {
namespace {

constexpr int kMaxDepth = 512;
// A node's summary lists at most this many paths, then how many more.
constexpr size_t kMaxPathsPerNode = 20;

using Doc = std::unique_ptr<JsonDocument>;

bool IsIdentifier(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || c == '-';
  });
}

std::string ChildPath(const std::string& parent, std::string_view key) {
  if (IsIdentifier(key)) return parent.empty() ? std::string(key) : parent + "." + std::string(key);
  std::string quoted;
  AppendJsonString(key, &quoted);
  return parent + "[" + quoted + "]";
}

void AppendPretty(const JsonDocument& doc, const JsonValue& v, int indent, std::string* out) {
  const std::string pad(2 * (indent + 1), ' ');
  if (v.is_object()) {
    std::vector<uint32_t> order;
    doc.SortedUniqueMembers(v, &order);
    if (order.empty()) {
      out->append("{}");
      return;
    }
    auto members = doc.Members(v);
    out->append("{\n");
    for (size_t i = 0; i < order.size(); ++i) {
      const JsonValue& m = members[order[i]];
      out->append(pad);
      AppendJsonString(m.key, out);
      out->append(": ");
      AppendPretty(doc, m, indent + 1, out);
      out->append(i + 1 < order.size() ? ",\n" : "\n");
    }
    out->append(2 * indent, ' ');
    out->push_back('}');
  } else if (v.is_array()) {
    auto members = doc.Members(v);
    if (members.empty()) {
      out->append("[]");
      return;
    }
    out->append("[\n");
    for (size_t i = 0; i < members.size(); ++i) {
      out->append(pad);
      AppendPretty(doc, members[i], indent + 1, out);
      out->append(i + 1 < members.size() ? ",\n" : "\n");
    }
    out->append(2 * indent, ' ');
    out->push_back(']');
  } else {
    doc.AppendCanonical(v, out);
  }
}

bool SameValue(const JsonDocument& da, const JsonValue& a, const JsonDocument& db,
               const JsonValue& b) {
  std::string ca, cb;
  da.AppendCanonical(a, &ca);
  db.AppendCanonical(b, &cb);
  return ca == cb;
}

// Appends the paths under `path` where `a` and `b` differ: leaves, or a
// whole value whose kind changed, or an array element added or removed.
void CollectChanges(const JsonDocument& da, const JsonValue* a, const JsonDocument& db,
                    const JsonValue* b, const std::string& path, std::vector<std::string>* out) {
  if (a == nullptr || b == nullptr) {
    out->push_back(path);
    return;
  }
  if (a->is_object() && b->is_object()) {
    std::vector<uint32_t> oa, ob;
    da.SortedUniqueMembers(*a, &oa);
    db.SortedUniqueMembers(*b, &ob);
    auto ma = da.Members(*a);
    auto mb = db.Members(*b);
    size_t i = 0, j = 0;
    while (i < oa.size() || j < ob.size()) {
      const JsonValue* x = i < oa.size() ? &ma[oa[i]] : nullptr;
      const JsonValue* y = j < ob.size() ? &mb[ob[j]] : nullptr;
      if (x && (!y || x->key < y->key)) {
        out->push_back(ChildPath(path, x->key));
        ++i;
      } else if (y && (!x || y->key < x->key)) {
        out->push_back(ChildPath(path, y->key));
        ++j;
      } else {
        CollectChanges(da, x, db, y, ChildPath(path, x->key), out);
        ++i, ++j;
      }
    }
    return;
  }
  if (a->is_array() && b->is_array()) {
    auto ma = da.Members(*a);
    auto mb = db.Members(*b);
    for (size_t i = 0; i < std::max(ma.size(), mb.size()); ++i) {
      CollectChanges(da, i < ma.size() ? &ma[i] : nullptr, db, i < mb.size() ? &mb[i] : nullptr,
                     path + "[" + std::to_string(i) + "]", out);
    }
    return;
  }
  if (!SameValue(da, *a, db, *b)) out->push_back(path);
}

std::string Text(const JsonValue* v) {
  return v != nullptr && v->is_string() ? std::string(v->text) : std::string();
}

struct NodeRef {
  const JsonValue* value;
  std::string id, name, type;
};

std::vector<NodeRef> Nodes(const JsonDocument& doc) {
  std::vector<NodeRef> out;
  const JsonValue* nodes = doc.Find(doc.root(), "nodes");
  if (nodes == nullptr || !nodes->is_array()) return out;
  for (const JsonValue& n : doc.Members(*nodes)) {
    if (!n.is_object()) continue;
    out.push_back(
        {&n, Text(doc.Find(n, "id")), Text(doc.Find(n, "name")), Text(doc.Find(n, "type"))});
  }
  return out;
}

// "Source -> Target", with the output and input named when they are not
// the first main ones.
std::set<std::string> Edges(const JsonDocument& doc) {
  std::set<std::string> out;
  const JsonValue* conns = doc.Find(doc.root(), "connections");
  if (conns == nullptr || !conns->is_object()) return out;
  for (const JsonValue& source : doc.Members(*conns)) {
    if (!source.is_object()) continue;
    for (const JsonValue& type : doc.Members(source)) {
      if (!type.is_array()) continue;
      auto outputs = doc.Members(type);
      for (size_t o = 0; o < outputs.size(); ++o) {
        if (!outputs[o].is_array()) continue;
        for (const JsonValue& target : doc.Members(outputs[o])) {
          if (!target.is_object()) continue;
          std::string to_type = Text(doc.Find(target, "type"));
          const JsonValue* index = doc.Find(target, "index");
          std::string to_index = index && index->is_number() ? std::string(index->text) : "0";
          std::string from = std::string(source.key);
          if (type.key != "main" || o != 0) from += fmt::format("[{} {}]", type.key, o);
          std::string to = Text(doc.Find(target, "node"));
          if ((!to_type.empty() && to_type != "main") || to_index != "0") {
            to += fmt::format("[{} {}]", to_type.empty() ? "main" : to_type, to_index);
          }
          out.insert(from + " -> " + to);
        }
      }
    }
  }
  return out;
}

void SummarizeNodes(const JsonDocument& da, const JsonDocument& db, WorkflowDiff* diff) {
  std::vector<NodeRef> old_nodes = Nodes(da), new_nodes = Nodes(db);
  // Match by id where both have one, else by name.
  std::map<std::string, size_t> old_by_id, old_by_name;
  for (size_t i = 0; i < old_nodes.size(); ++i) {
    if (!old_nodes[i].id.empty()) old_by_id.emplace(old_nodes[i].id, i);
    old_by_name.emplace(old_nodes[i].name, i);
  }
  std::vector<bool> matched(old_nodes.size(), false);
  for (const NodeRef& n : new_nodes) {
    std::optional<size_t> match;
    if (auto it = old_by_id.find(n.id); !n.id.empty() && it != old_by_id.end()) {
      match = it->second;
    } else if (auto nt = old_by_name.find(n.name);
               nt != old_by_name.end() && (old_nodes[nt->second].id.empty() || n.id.empty())) {
      match = nt->second;
    }
    if (match && matched[*match]) match.reset();
    NodeDiff nd;
    nd.name = n.name;
    nd.type = n.type;
    if (!match) {
      nd.state = NodeDiff::State::kAdded;
      diff->nodes.push_back(std::move(nd));
      continue;
    }
    matched[*match] = true;
    const NodeRef& o = old_nodes[*match];
    if (o.name != n.name) nd.old_name = o.name;
    const JsonValue* pa = da.Find(*o.value, "position");
    const JsonValue* pb = db.Find(*n.value, "position");
    nd.moved = (pa == nullptr) != (pb == nullptr) || (pa && !SameValue(da, *pa, db, *pb));
    std::vector<std::string> paths;
    CollectChanges(da, o.value, db, n.value, "", &paths);
    for (std::string& p : paths) {
      if (p == "name" || p == "position" || p.rfind("position[", 0) == 0) continue;
      nd.changed_paths.push_back(std::move(p));
    }
    if (nd.changed_paths.size() > kMaxPathsPerNode) {
      size_t more = nd.changed_paths.size() - kMaxPathsPerNode;
      nd.changed_paths.resize(kMaxPathsPerNode);
      nd.changed_paths.push_back(fmt::format("... and {} more", more));
    }
    if (nd.old_name.empty() && !nd.moved && nd.changed_paths.empty()) continue;
    diff->nodes.push_back(std::move(nd));
  }
  for (size_t i = 0; i < old_nodes.size(); ++i) {
    if (matched[i]) continue;
    NodeDiff nd;
    nd.state = NodeDiff::State::kRemoved;
    nd.name = old_nodes[i].name;
    nd.type = old_nodes[i].type;
    diff->nodes.push_back(std::move(nd));
  }
}

// The text shown in the unified diff: secrets masked, then the canonical
// readable form; the masked text as it is when it is no JSON.
std::string Shown(Format format, const std::string& content) {
  if (format == Format::kPhase) {
    return RedactTextSecrets(content, ScanTextForSecrets(content, "phase"), "phase");
  }
  std::string masked = content;
  if (auto findings = ScanWorkflowForSecrets(content); findings.ok() && !findings->empty()) {
    if (auto redacted = RedactSecrets(content, *findings); redacted.ok()) masked = *redacted;
  }
  auto pretty = PrettyCanonicalJson(masked);
  return pretty.ok() ? *pretty : masked;
}

std::string ShownMeta(const std::string& meta) {
  std::string masked = meta;
  if (auto findings = ScanJsonForSecrets(meta); findings.ok() && !findings->empty()) {
    if (auto redacted = RedactJsonSecrets(meta, *findings); redacted.ok()) masked = *redacted;
  }
  auto pretty = PrettyCanonicalJson(masked);
  return pretty.ok() ? *pretty : masked;
}

std::string ShownReadme(const std::string& text) {
  return RedactTextSecrets(text, ScanTextForSecrets(text));
}

}  // namespace

std::string_view NodeStateName(NodeDiff::State state) {
  switch (state) {
    case NodeDiff::State::kAdded:
      return "added";
    case NodeDiff::State::kRemoved:
      return "removed";
    case NodeDiff::State::kChanged:
      return "changed";
  }
  return "changed";
}

Result<std::string> PrettyCanonicalJson(std::string_view text) {
  FS_TRY_ASSIGN(Doc doc, JsonDocument::Parse(text, kMaxDepth));
  std::string out;
  out.reserve(text.size() + text.size() / 2);
  AppendPretty(*doc, doc->root(), 0, &out);
  out.push_back('\n');
  return out;
}

WorkflowDiff DiffWorkflows(Format format, const DiffSide& from, const DiffSide& to) {
  WorkflowDiff diff;
  if (from.content == to.content && from.metadata_json == to.metadata_json &&
      from.documentation == to.documentation) {
    return diff;
  }
  if (format != Format::kPhase) {
    auto da = JsonDocument::Parse(from.content, kMaxDepth);
    auto db = JsonDocument::Parse(to.content, kMaxDepth);
    if (da.ok() && db.ok() && (*da)->root().is_object() && (*db)->root().is_object()) {
      const JsonDocument& a = **da;
      const JsonDocument& b = **db;
      SummarizeNodes(a, b, &diff);
      std::set<std::string> ea = Edges(a), eb = Edges(b);
      std::set_difference(eb.begin(), eb.end(), ea.begin(), ea.end(),
                          std::back_inserter(diff.edges_added));
      std::set_difference(ea.begin(), ea.end(), eb.begin(), eb.end(),
                          std::back_inserter(diff.edges_removed));
      std::vector<std::string> paths;
      CollectChanges(a, &a.root(), b, &b.root(), "", &paths);
      for (std::string& p : paths) {
        if (p.rfind("nodes", 0) == 0 || p.rfind("connections", 0) == 0) continue;
        diff.changed_paths.push_back(std::move(p));
      }
    } else if (from.content != to.content) {
      diff.changed_paths.push_back("content");
    }
  }
  if (from.metadata_json != to.metadata_json) {
    auto ma = JsonDocument::Parse(from.metadata_json, kMaxDepth);
    auto mb = JsonDocument::Parse(to.metadata_json, kMaxDepth);
    std::vector<std::string> paths;
    if (ma.ok() && mb.ok()) {
      CollectChanges(**ma, &(*ma)->root(), **mb, &(*mb)->root(), "", &paths);
    } else {
      paths.push_back("");
    }
    for (const std::string& p : paths) {
      diff.changed_paths.push_back(p.empty() ? "meta.json" : "meta.json:" + p);
    }
  }
  if (from.documentation != to.documentation) diff.changed_paths.push_back("README.md");

  diff.unified =
      UnifiedDiff(Shown(format, from.content), Shown(format, to.content), from.label, to.label);
  if (from.metadata_json != to.metadata_json) {
    diff.unified += UnifiedDiff(ShownMeta(from.metadata_json), ShownMeta(to.metadata_json),
                                from.label + " meta.json", to.label + " meta.json");
  }
  if (from.documentation != to.documentation) {
    diff.unified += UnifiedDiff(ShownReadme(from.documentation), ShownReadme(to.documentation),
                                from.label + " README.md", to.label + " README.md");
  }
  diff.equal = diff.nodes.empty() && diff.edges_added.empty() && diff.edges_removed.empty() &&
               diff.changed_paths.empty() && diff.unified.empty();
  return diff;
}

}  // namespace flowsync
