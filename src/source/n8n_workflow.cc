#include "source/n8n_workflow.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <unordered_map>

namespace flowsync {
namespace {

// A node name or id quoted for a message, shortened when very long.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 80;
  std::string out;
  if (s.size() <= kMax) {
    AppendJsonString(s, &out);
    return out;
  }
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  AppendJsonString(s.substr(0, cut), &out);
  out.insert(out.size() - 1, "...");
  return out;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// `.key` for identifiers, `["key"]` otherwise.
std::string Member(std::string_view key) {
  // Appended piece by piece: GCC 12 warns wrongly (-Wrestrict) about
  // "literal" + std::string once this is inlined into a lambda.
  std::string out;
  if (IsIdentifier(key)) {
    out += '.';
    out += key;
    return out;
  }
  out += '[';
  AppendJsonString(key, &out);
  out += "]";
  return out;
}

std::string Index(size_t i) {
  std::string out = "[";
  out += std::to_string(i);
  out += ']';
  return out;
}

// An integer >= 0 in the JavaScript sense (Number.isInteger: 1.0 and 1e2 are).
bool IsNonNegativeInteger(const JsonValue& v) {
  if (!v.is_number()) return false;
  // The common case, plain digits ("0", "12"), needs no conversion.
  if (std::all_of(v.text.begin(), v.text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return true;
  }
  double d = 0;
  const auto [ptr, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
  if (ec != std::errc() || ptr != v.text.data() + v.text.size()) return false;
  return std::isfinite(d) && d >= 0 && std::floor(d) == d;
}

std::string Got(const JsonValue& v) { return ", got " + std::string(JsonKindName(v.kind)); }

class Checker {
 public:
  explicit Checker(const JsonDocument& doc) : doc_(doc) {}

  std::vector<Finding> Run(const JsonValue& workflow) {
    const JsonValue* nodes = doc_.Find(workflow, "nodes");
    if (nodes != nullptr && !nodes->is_array()) {
      Add("nodes-not-array", "nodes", "'nodes' must be an array" + Got(*nodes));
    } else if (nodes != nullptr) {
      CheckNodes(*nodes);
    }
    const JsonValue* connections = doc_.Find(workflow, "connections");
    if (connections != nullptr && !connections->is_object()) {
      Add("connections-not-object", "connections",
          "'connections' must be an object" + Got(*connections));
    } else if (connections != nullptr) {
      CheckConnections(*connections);
    }
    if (dropped_ > 0) {
      findings_.push_back({Severity::kError, "too-many-findings", "",
                           std::to_string(dropped_) + " more findings not listed"});
    }
    return std::move(findings_);
  }

 private:
  void Add(std::string code, std::string location, std::string message) {
    if (findings_.size() >= kMaxFindingsPerWorkflow) {
      ++dropped_;
      return;
    }
    findings_.push_back(
        {Severity::kError, std::move(code), std::move(location), std::move(message)});
  }

  // A required non-empty string field (name, type). Messages and locations
  // are built only for a finding: most nodes have none.
  void CheckRequiredString(const JsonValue& node, std::string_view field, size_t i) {
    const JsonValue* v = doc_.Find(node, field);
    if (v != nullptr && v->is_string() && !v->text.empty()) return;
    std::string code_suffix = "-";
    code_suffix += field;
    std::string quoted = "'";
    quoted += field;
    quoted += '\'';
    const std::string loc = NodeLoc(i);
    if (v == nullptr) {
      Add("node-missing" + code_suffix, loc, "node has no " + quoted);
    } else if (!v->is_string()) {
      Add("node-bad" + code_suffix, loc + Member(field), quoted + " must be a string" + Got(*v));
    } else {
      Add("node-missing" + code_suffix, loc + Member(field), quoted + " is empty");
    }
  }

  static std::string NodeLoc(size_t i) { return "nodes" + Index(i); }

  void CheckNodes(const JsonValue& nodes) {
    std::unordered_map<std::string_view, size_t> ids;
    ids.reserve(nodes.size);
    names_.reserve(nodes.size);
    size_t i = 0;
    for (const JsonValue& node : doc_.Members(nodes)) {
      const size_t index = i;
      const auto loc = [index] { return NodeLoc(index); };
      if (!node.is_object()) {
        Add("node-not-object", loc(), "node must be an object" + Got(node));
        ++i;
        continue;
      }
      CheckRequiredString(node, "name", i);
      CheckRequiredString(node, "type", i);

      const JsonValue* position = doc_.Find(node, "position");
      if (position == nullptr) {
        Add("node-bad-position", loc(), "node has no 'position'");
      } else {
        bool ok = position->is_array() && position->size == 2;
        if (ok) {
          for (const JsonValue& coordinate : doc_.Members(*position))
            ok = ok && coordinate.is_number();
        }
        if (!ok) {
          Add("node-bad-position", loc() + ".position", "'position' must be an array of 2 numbers");
        }
      }
      if (const JsonValue* v = doc_.Find(node, "parameters"); v != nullptr && !v->is_object()) {
        Add("node-bad-parameters", loc() + ".parameters",
            "'parameters' must be an object" + Got(*v));
      }
      const JsonValue* id = doc_.Find(node, "id");
      if (id != nullptr && !id->is_string()) {
        Add("node-bad-id", loc() + ".id", "'id' must be a string" + Got(*id));
      }
      if (const JsonValue* v = doc_.Find(node, "typeVersion"); v == nullptr) {
        Add("node-bad-type-version", loc(), "node has no 'typeVersion'");
      } else if (!v->is_number()) {
        Add("node-bad-type-version", loc() + ".typeVersion",
            "'typeVersion' must be a number" + Got(*v));
      }
      if (const JsonValue* v = doc_.Find(node, "disabled"); v != nullptr && !v->is_bool()) {
        Add("node-bad-disabled", loc() + ".disabled", "'disabled' must be a boolean" + Got(*v));
      }

      const JsonValue* name = doc_.Find(node, "name");
      if (name != nullptr && name->is_string()) {
        const auto [it, inserted] = names_.emplace(name->text, i);
        if (!inserted) {
          Add("duplicate-node-name", loc() + ".name",
              "node name " + Quote(name->text) + " is already used by nodes" + Index(it->second));
        }
      }
      if (id != nullptr && id->is_string() && !id->text.empty()) {
        const auto [it, inserted] = ids.emplace(id->text, i);
        if (!inserted) {
          Add("duplicate-node-id", loc() + ".id",
              "node id " + Quote(id->text) + " is already used by nodes" + Index(it->second));
        }
      }
      ++i;
    }
  }

  static std::string SourceLoc(const JsonValue& source) {
    std::string loc = "connections[";
    AppendJsonString(source.key, &loc);
    loc += "]";
    return loc;
  }

  void CheckConnections(const JsonValue& connections) {
    const auto sources = doc_.Members(connections);
    std::vector<uint32_t> source_order;
    doc_.SortedUniqueMembers(connections, &source_order);
    std::vector<uint32_t> type_order;
    for (uint32_t s : source_order) {
      const JsonValue& source = sources[s];
      if (!names_.contains(source.key)) {
        Add("connection-unknown-source", SourceLoc(source),
            "connection source " + Quote(source.key) + " is not a node of this workflow");
      }
      if (!source.is_object()) {
        Add("connection-bad-shape", SourceLoc(source),
            "connections of a node must be an object of connection types" + Got(source));
        continue;
      }
      const auto types = doc_.Members(source);
      type_order.clear();
      doc_.SortedUniqueMembers(source, &type_order);
      for (uint32_t t : type_order) {
        const JsonValue& outputs = types[t];
        const auto type_loc = [&] { return SourceLoc(source) + Member(outputs.key); };
        if (!outputs.is_array()) {
          Add("connection-bad-shape", type_loc(), "outputs must be an array" + Got(outputs));
          continue;
        }
        size_t k = 0;
        for (const JsonValue& bucket : doc_.Members(outputs)) {
          CheckBucket(bucket, [&type_loc, k] { return type_loc() + Index(k); });
          ++k;
        }
      }
    }
  }

  // `loc()` gives the bucket's location, built only for a finding.
  template <typename Loc>
  void CheckBucket(const JsonValue& bucket, const Loc& loc) {
    if (bucket.is_null()) return;  // an unused output
    if (!bucket.is_array()) {
      Add("connection-bad-shape", loc(),
          "an output must be an array of connections or null" + Got(bucket));
      return;
    }
    size_t j = 0;
    for (const JsonValue& entry : doc_.Members(bucket)) {
      const size_t at = j++;
      const auto entry_loc = [&loc, at] { return loc() + Index(at); };
      if (!entry.is_object()) {
        Add("connection-bad-entry", entry_loc(), "connection must be an object" + Got(entry));
        continue;
      }
      const JsonValue* node = doc_.Find(entry, "node");
      if (node == nullptr || !node->is_string() || node->text.empty()) {
        Add("connection-bad-entry", entry_loc() + ".node", "'node' must be a non-empty string");
      } else if (!names_.contains(node->text)) {
        Add("connection-unknown-target", entry_loc() + ".node",
            "connection target " + Quote(node->text) + " is not a node of this workflow");
      }
      const JsonValue* type = doc_.Find(entry, "type");
      if (type == nullptr || !type->is_string() || type->text.empty()) {
        Add("connection-bad-entry", entry_loc() + ".type", "'type' must be a non-empty string");
      }
      const JsonValue* index = doc_.Find(entry, "index");
      if (index == nullptr || !IsNonNegativeInteger(*index)) {
        Add("connection-bad-entry", entry_loc() + ".index", "'index' must be an integer >= 0");
      }
    }
  }

  const JsonDocument& doc_;
  std::unordered_map<std::string_view, size_t> names_;  // node name -> first index
  std::vector<Finding> findings_;
  size_t dropped_ = 0;
};

}  // namespace

N8nFacts ReadN8nFacts(const JsonDocument& doc, const JsonValue& workflow) {
  N8nFacts facts;
  if (const JsonValue* v = doc.Find(workflow, "name");
      v != nullptr && v->is_string() && !v->text.empty()) {
    facts.name = std::string(v->text);
  }
  if (const JsonValue* v = doc.Find(workflow, "id");
      v != nullptr && (v->is_string() || v->is_number())) {
    facts.source_id = std::string(v->text);
  }
  if (const JsonValue* v = doc.Find(workflow, "active"); v != nullptr && v->is_bool()) {
    facts.active = v->boolean;
  }
  if (const JsonValue* tags = doc.Find(workflow, "tags"); tags != nullptr && tags->is_array()) {
    for (const JsonValue& tag : doc.Members(*tags)) {
      const JsonValue* name = tag.is_object() ? doc.Find(tag, "name") : &tag;
      if (name != nullptr && name->is_string() && !name->text.empty()) {
        facts.categories.emplace_back(name->text);
      }
    }
    std::sort(facts.categories.begin(), facts.categories.end());
    facts.categories.erase(std::unique(facts.categories.begin(), facts.categories.end()),
                           facts.categories.end());
  }
  return facts;
}

std::vector<Finding> CheckN8nStructure(const JsonDocument& doc, const JsonValue& workflow) {
  return Checker(doc).Run(workflow);
}

}  // namespace flowsync
