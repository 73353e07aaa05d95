// ReadSource: reads one candidate (n8n export, bundle folder or phase file)
// through the FileSystem seam; ParseSource turns the bytes into a
// ParsedWorkflow.
#include "flowsync/source.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "source/json_document.h"
#include "source/n8n_workflow.h"
#include "source/phase_file.h"
#include "source/workflow_path.h"
#include "util/hash.h"
#include "util/posix_error.h"
#include "util/utf8.h"

namespace flowsync {
namespace {

using ReadResult = Result<std::optional<ParsedWorkflow>>;

bool StartsWithPosition(const std::string& message) {
  return !message.empty() && message[0] >= '0' && message[0] <= '9';
}

// Prefixes a message with the file it is about: "a.json:3:7: ..." when the
// message starts with a position, "a.json: ..." otherwise.
Status InFile(const Status& status, const std::string& display) {
  const std::string& message = status.message();
  return Status(status.code(), display + (StartsWithPosition(message) ? ":" : ": ") + message);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Stem(const std::string& path) {
  std::string base = BaseName(path);
  const size_t dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base;
}

// Reads a file; errors name `display` (the path relative to the sync root)
// instead of the path on disk.
Result<std::string> ReadText(const FileSystem& fs, const std::string& path,
                             const std::string& display, const SourceLimits& limits) {
  auto text = fs.ReadFile(path, limits.max_file_size);
  if (text.ok()) return text;
  return WithContext(text.status(), path, display);
}

Result<std::unique_ptr<JsonDocument>> ParseJson(std::string_view text, const std::string& display,
                                                const SourceLimits& limits) {
  auto doc = JsonDocument::Parse(text, limits.max_json_depth);
  if (!doc.ok()) return InFile(doc.status(), display);
  return doc;
}

Status TypeError(const JsonDocument& doc, const JsonValue& value, const std::string& display,
                 std::string_view what) {
  return Status::Corruption(display + ":" + doc.Position(value.offset) + ": " + std::string(what) +
                            ", got " + std::string(JsonKindName(value.kind)));
}

// PostgreSQL's text and jsonb cannot hold NUL (U+0000). A NUL inside the
// workflow JSON is kept: the content is stored as written, where it is the
// six characters \u0000 (PostgreSQL's jsonb copy, `definition`, is then
// NULL). One in a value stored in a column of its own refuses the file, on
// every backend alike (docs/formats.md).
Status NulError(const std::string& display, const std::string& position, std::string_view what) {
  return Status::Corruption(display + ":" + position + ": " + std::string(what) +
                            " holds a NUL character (\\u0000), which PostgreSQL cannot store");
}

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

struct NulFound {
  const JsonValue* value = nullptr;  // the string, or the member whose key it is
  bool in_key = false;
};

// The first string or object key at or below `value` that holds a NUL
// (value null if none). The recursion is bounded by the parse's depth limit.
NulFound FindNul(const JsonDocument& doc, const JsonValue& value) {
  if (value.is_string()) return {HasNul(value.text) ? &value : nullptr, false};
  for (const JsonValue& member : doc.Members(value)) {
    if (HasNul(member.key)) return {&member, true};
    if (NulFound found = FindNul(doc, member); found.value != nullptr) return found;
  }
  return {};
}

// A NUL in what a sync stores of ReadN8nFacts(workflow): 'id', and 'name'
// and the tag names where they are used (a bundle's meta.json has the last
// word on its name and categories).
Status CheckN8nFacts(const JsonDocument& doc, const JsonValue& workflow, const std::string& display,
                     bool name_used, bool tags_used) {
  for (std::string_view field : {"name", "id"}) {
    if (field == "name" && !name_used) continue;
    const JsonValue* v = doc.Find(workflow, field);
    if (v != nullptr && v->is_string() && HasNul(v->text)) {
      return NulError(display, doc.Position(v->offset), "'" + std::string(field) + "'");
    }
  }
  const JsonValue* tags = tags_used ? doc.Find(workflow, "tags") : nullptr;
  if (tags != nullptr && tags->is_array()) {
    for (const JsonValue& tag : doc.Members(*tags)) {
      const JsonValue* name = tag.is_object() ? doc.Find(tag, "name") : &tag;
      if (name != nullptr && name->is_string() && HasNul(name->text)) {
        return NulError(display, doc.Position(name->offset), "a tag name");
      }
    }
  }
  return Status::OK();
}

// What makes an n8n file's value look like a workflow.
bool HasNodesOrConnections(const JsonDocument& doc, const JsonValue& value) {
  return value.is_object() &&
         (doc.Find(value, "nodes") != nullptr || doc.Find(value, "connections") != nullptr);
}

// Why valid JSON is no n8n workflow, for the list of ignored files.
std::string NotAWorkflow(const JsonDocument& doc, const JsonValue& root) {
  std::string why = "not an n8n workflow (";
  if (root.is_array()) {
    why += root.size == 0 ? "an empty array"
                          : "an array, and none of its elements has \"nodes\" or \"connections\"";
  } else if (!root.is_object()) {
    why += "a JSON " + std::string(JsonKindName(root.kind)) + ", not an object";
  } else {
    why += "no top-level \"nodes\" or \"connections\"";
    // Keys encoded twice by some export tools: "\"nodes\"": "[".
    if (doc.Find(root, "\"nodes\"") != nullptr || doc.Find(root, "\"connections\"") != nullptr) {
      why += "; its keys have quotes inside them, as \"\\\"nodes\\\"\"";
    }
  }
  return why + ")";
}

SourceWorkflows Ignored(std::string why) {
  SourceWorkflows none;
  none.ignored = std::move(why);
  return none;
}

// An n8n workflow object of `doc` as a ParsedWorkflow; `key` names it.
Result<ParsedWorkflow> N8nWorkflow(const JsonDocument& doc, const JsonValue& value,
                                   const std::string& key, std::string_view canonical,
                                   std::string content) {
  FS_TRY(CheckN8nFacts(doc, value, key, /*name_used=*/true, /*tags_used=*/true));
  ParsedWorkflow workflow;
  workflow.format = Format::kN8n;
  N8nFacts facts = ReadN8nFacts(doc, value);
  workflow.name = facts.name ? std::move(*facts.name) : Stem(key);
  workflow.source_id = std::move(facts.source_id);
  workflow.active = facts.active;
  workflow.categories = std::move(facts.categories);
  workflow.findings = CheckN8nStructure(doc, value);
  workflow.content_hash = HashHex(canonical);
  workflow.content = std::move(content);
  return workflow;
}

// The elements of an array export, each keyed "<file>#<id>".
SourceWorkflows ParseN8nArray(const JsonDocument& doc, const std::string& file) {
  const std::span<const JsonValue> elements = doc.Members(doc.root());
  // Usable ids, and the elements holding each.
  std::vector<std::optional<std::string_view>> ids(elements.size());
  std::unordered_map<std::string_view, std::vector<size_t>> holders;
  for (size_t i = 0; i < elements.size(); ++i) {
    const JsonValue* id = doc.Find(elements[i], "id");
    if (id == nullptr || !(id->is_string() || id->is_number()) || !IsElementId(id->text)) continue;
    ids[i] = id->text;
    holders[id->text].push_back(i);
  }
  // Positions are for errors only, all found in one pass at the first.
  std::vector<std::string> positions;
  const auto position = [&](size_t i) -> const std::string& {
    if (positions.empty()) positions = doc.Positions(elements);
    return positions[i];
  };
  const auto at = [&](size_t i) { return fmt::format("{}[{}] at {}", file, i, position(i)); };
  SourceWorkflows out;
  out.array_export = true;
  for (size_t i = 0; i < elements.size(); ++i) {
    const JsonValue& element = elements[i];
    const auto refuse = [&](std::string key, std::string_view why) {
      std::string message = key + ":" + position(i) + ": " + std::string(why);
      out.workflows.push_back({std::move(key), Status::Corruption(std::move(message))});
    };
    const std::string unnamed = fmt::format("{}[{}]", file, i);
    if (!element.is_object()) {
      refuse(unnamed, "a workflow of an array export must be an object, got " +
                          std::string(JsonKindName(element.kind)));
      continue;
    }
    if (!ids[i]) {
      refuse(unnamed, fmt::format("{} 1 to {} letters, digits, '-' or '_': the workflow is "
                                  "stored as {}#ID",
                                  doc.Find(element, "id") == nullptr
                                      ? "a workflow of an array export needs an 'id' of"
                                      : "the 'id' of a workflow of an array export must be",
                                  kMaxElementIdSize, file));
      continue;
    }
    std::string key = ElementKey(file, *ids[i]);
    const std::vector<size_t>& same = holders[*ids[i]];
    if (same.size() > 1) {
      if (same.front() != i) continue;  // refused once, at the first of them
      std::vector<std::string> where;
      for (size_t j : same) where.push_back(at(j));
      std::string message = fmt::format(
          "{}: {} workflows of {} have this id ({}); none of them is read until each "
          "has its own",
          key, same.size(), file, fmt::join(where, ", "));
      out.workflows.push_back({std::move(key), Status::Corruption(std::move(message))});
      continue;
    }
    const bool has_nodes = doc.Find(element, "nodes") != nullptr;
    const bool has_connections = doc.Find(element, "connections") != nullptr;
    if (!has_nodes || !has_connections) {
      refuse(std::move(key), !has_nodes && !has_connections ? "missing 'nodes' and 'connections'"
                             : !has_nodes                   ? "missing 'nodes'"
                                                            : "missing 'connections'");
      continue;
    }
    std::string canonical;
    doc.AppendCanonical(element, &canonical);
    Result<ParsedWorkflow> workflow =
        N8nWorkflow(doc, element, key, canonical, std::string(doc.RootElementText(i)));
    out.workflows.push_back({std::move(key), std::move(workflow)});
  }
  return out;
}

Result<SourceWorkflows> ParseN8n(std::string text, const std::string& key,
                                 const SourceLimits& limits) {
  const std::string& display = key;
  FS_TRY_ASSIGN(auto doc, ParseJson(text, display, limits));
  const JsonValue& root = doc->root();
  if (root.is_array()) {
    const auto elements = doc->Members(root);
    if (std::none_of(elements.begin(), elements.end(), [&](const JsonValue& element) {
          return HasNodesOrConnections(*doc, element);
        })) {
      return Ignored(NotAWorkflow(*doc, root));
    }
    return ParseN8nArray(*doc, key);
  }
  if (!HasNodesOrConnections(*doc, root)) return Ignored(NotAWorkflow(*doc, root));
  if (doc->Find(root, "nodes") == nullptr) return Status::Corruption(display + ": missing 'nodes'");
  if (doc->Find(root, "connections") == nullptr) {
    return Status::Corruption(display + ": missing 'connections'");
  }
  FS_TRY_ASSIGN(ParsedWorkflow workflow,
                N8nWorkflow(*doc, root, key, doc->Canonical(), std::move(text)));
  SourceWorkflows one;
  one.workflows.push_back({key, std::move(workflow)});
  return one;
}

// A source of one workflow (a bundle, a phase file): nothing when `parsed`
// is nullopt, with the reason `ignored`.
Result<SourceWorkflows> OneOrNone(const std::string& key, ReadResult parsed,
                                  std::string_view ignored) {
  if (!parsed.ok()) return parsed.status();
  if (!parsed->has_value()) return Ignored(std::string(ignored));
  SourceWorkflows one;
  one.workflows.push_back({key, std::move(**parsed)});
  return one;
}

constexpr std::string_view kNotAPhaseFile = "not a phase file (no [[phase]] tables)";

// An optional bundle member: std::nullopt when the file does not exist.
Result<std::optional<std::string>> ReadOptional(const FileSystem& fs, const std::string& path,
                                                const std::string& display,
                                                const SourceLimits& limits) {
  auto text = ReadText(fs, path, display, limits);
  if (text.ok()) return std::optional<std::string>(std::move(text).value());
  if (text.status().code() == StatusCode::kNotFound) return std::optional<std::string>();
  return text.status();
}

ReadResult ParseBundle(SourceContent content, const SourceLimits& limits) {
  const std::string wf_display = content.key + "/workflow.json";
  const std::string meta_display = content.key + "/meta.json";
  const std::string readme_display = content.key + "/README.md";

  std::string& wf_text = content.text;
  FS_TRY_ASSIGN(auto wf_doc, ParseJson(wf_text, wf_display, limits));
  const JsonValue& wf = wf_doc->root();
  if (!wf.is_object()) return TypeError(*wf_doc, wf, wf_display, "workflow must be a JSON object");
  const JsonValue* nodes = wf_doc->Find(wf, "nodes");
  if (nodes == nullptr) return Status::Corruption(wf_display + ": missing 'nodes'");
  if (!nodes->is_array()) return TypeError(*wf_doc, *nodes, wf_display, "'nodes' must be an array");
  const JsonValue* connections = wf_doc->Find(wf, "connections");
  if (connections == nullptr) return Status::Corruption(wf_display + ": missing 'connections'");
  if (!connections->is_object()) {
    return TypeError(*wf_doc, *connections, wf_display, "'connections' must be an object");
  }

  ParsedWorkflow workflow;
  workflow.format = Format::kBundle;
  std::optional<std::string> meta_name;

  const std::optional<std::string>& meta_text = content.meta_json;
  if (meta_text) {
    FS_TRY_ASSIGN(auto meta_doc, ParseJson(*meta_text, meta_display, limits));
    const JsonValue& meta = meta_doc->root();
    if (!meta.is_object()) {
      return TypeError(*meta_doc, meta, meta_display, "meta.json must be a JSON object");
    }
    if (const JsonValue* v = meta_doc->Find(meta, "name"); v != nullptr) {
      if (!v->is_string()) return TypeError(*meta_doc, *v, meta_display, "'name' must be a string");
      if (!v->text.empty()) meta_name = std::string(v->text);
    }
    if (const JsonValue* v = meta_doc->Find(meta, "categories"); v != nullptr) {
      if (!v->is_array()) {
        return TypeError(*meta_doc, *v, meta_display, "'categories' must be an array of strings");
      }
      for (const JsonValue& category : meta_doc->Members(*v)) {
        if (!category.is_string()) {
          return TypeError(*meta_doc, category, meta_display,
                           "'categories' must be an array of strings");
        }
        if (!category.text.empty()) workflow.categories.emplace_back(category.text);
      }
      std::sort(workflow.categories.begin(), workflow.categories.end());
      workflow.categories.erase(std::unique(workflow.categories.begin(), workflow.categories.end()),
                                workflow.categories.end());
    }
    if (NulFound nul = FindNul(*meta_doc, meta); nul.value != nullptr) {
      return NulError(meta_display, meta_doc->Position(nul.value->offset),
                      nul.in_key ? "the key of this value" : "a string");
    }
    workflow.metadata_json = meta_doc->Canonical();
  }

  std::optional<std::string>& readme = content.readme;
  if (readme) {
    if (const size_t bad = FindInvalidUtf8(*readme); bad != std::string::npos) {
      return Status::Corruption(readme_display + ":" + TextPosition(*readme, bad) +
                                ": invalid UTF-8");
    }
    if (const size_t nul = readme->find('\0'); nul != std::string::npos) {
      return NulError(readme_display, TextPosition(*readme, nul), "the text");
    }
    workflow.documentation = std::move(*readme);
  }

  FS_TRY(CheckN8nFacts(*wf_doc, wf, wf_display, /*name_used=*/!meta_name, /*tags_used=*/false));
  N8nFacts facts = ReadN8nFacts(*wf_doc, wf);
  if (meta_name) {
    workflow.name = std::move(*meta_name);
  } else if (facts.name) {
    workflow.name = std::move(*facts.name);
  } else {
    workflow.name = BaseName(content.key);
  }
  workflow.source_id = std::move(facts.source_id);
  workflow.active = facts.active;
  workflow.findings = CheckN8nStructure(*wf_doc, wf);

  // A change to meta.json or README.md is a content change too.
  Hasher hasher;
  hasher.Update(wf_doc->Canonical());
  hasher.Update("\n");
  hasher.Update(workflow.metadata_json);
  hasher.Update("\n");
  hasher.Update(workflow.documentation);
  workflow.content_hash = hasher.Hex();
  workflow.content = std::move(wf_text);
  return std::optional<ParsedWorkflow>(std::move(workflow));
}

// The error of a bundle one of whose members cannot be read: that of the
// files before it in the parse (workflow.json, then meta.json) if they have
// one, else the read error; as when each file was read just before it was
// parsed.
ReadResult MemberReadError(SourceContent before, Status read_error, const SourceLimits& limits) {
  auto parsed = ParseBundle(std::move(before), limits);
  if (!parsed.ok()) return parsed.status();
  return read_error;
}

ReadResult ReadBundle(const FileSystem& fs, const SourceCandidate& candidate,
                      const SourceLimits& limits) {
  SourceContent content{Format::kBundle, candidate.key, "", std::nullopt, std::nullopt};
  FS_TRY_ASSIGN(content.text, ReadText(fs, JoinPath(candidate.path, "workflow.json"),
                                       candidate.key + "/workflow.json", limits));
  auto meta =
      ReadOptional(fs, JoinPath(candidate.path, "meta.json"), candidate.key + "/meta.json", limits);
  if (!meta.ok()) return MemberReadError(std::move(content), meta.status(), limits);
  auto readme =
      ReadOptional(fs, JoinPath(candidate.path, "README.md"), candidate.key + "/README.md", limits);
  content.meta_json = std::move(meta).value();
  if (!readme.ok()) return MemberReadError(std::move(content), readme.status(), limits);
  content.readme = std::move(readme).value();
  return ParseBundle(std::move(content), limits);
}

// ParseSource's answer from ParseSourceWorkflows's.
Result<std::optional<ParsedWorkflow>> OneDefinition(const std::string& key,
                                                    Result<SourceWorkflows> read) {
  if (!read.ok()) return read.status();
  if (read->array_export) {
    return Status::InvalidArgument(fmt::format(
        "{}: holds {} n8n workflows (an array export), not one", key, read->workflows.size()));
  }
  if (read->workflows.empty()) return std::optional<ParsedWorkflow>();
  Result<ParsedWorkflow>& one = read->workflows.front().workflow;
  if (!one.ok()) return one.status();
  return std::optional<ParsedWorkflow>(std::move(one).value());
}

}  // namespace

Result<SourceWorkflows> ParseSourceWorkflows(SourceContent content, const SourceLimits& limits) {
  switch (content.format) {
    case Format::kN8n:
      return ParseN8n(std::move(content.text), content.key, limits);
    case Format::kBundle: {
      const std::string key = content.key;
      return OneOrNone(key, ParseBundle(std::move(content), limits), "");
    }
    case Format::kPhase:
      return OneOrNone(content.key, ReadPhaseFile(content.text, content.key, Stem(content.key)),
                       kNotAPhaseFile);
  }
  return Status::Internal("unknown source format");
}

Result<SourceWorkflows> ReadSourceWorkflows(const FileSystem& fs, const SourceCandidate& candidate,
                                            const SourceLimits& limits) {
  if (candidate.format == Format::kBundle) {
    return OneOrNone(candidate.key, ReadBundle(fs, candidate, limits), "");
  }
  SourceContent content{candidate.format, candidate.key, "", std::nullopt, std::nullopt};
  FS_TRY_ASSIGN(content.text, ReadText(fs, candidate.path, candidate.key, limits));
  return ParseSourceWorkflows(std::move(content), limits);
}

Result<std::optional<ParsedWorkflow>> ParseSource(SourceContent content,
                                                  const SourceLimits& limits) {
  const std::string key = content.key;
  return OneDefinition(key, ParseSourceWorkflows(std::move(content), limits));
}

Result<std::optional<ParsedWorkflow>> ReadSource(const FileSystem& fs,
                                                 const SourceCandidate& candidate,
                                                 const SourceLimits& limits) {
  return OneDefinition(candidate.key, ReadSourceWorkflows(fs, candidate, limits));
}

}  // namespace flowsync
