// The workflow model shared by the source readers, the store and the sync
// engine: what a workflow definition on disk becomes once read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flowsync {

// Source formats, detected per path (see docs/formats.md, "Source files").
enum class Format {
  kBundle,  // a folder with workflow.json [+ meta.json] [+ README.md]
  kN8n,     // a single n8n export .json file (nodes + connections)
  kPhase,   // a flowlord-style .toml file of [[phase]] tables
};

std::string_view FormatName(Format format);  // "bundle", "n8n", "phase"
std::optional<Format> ParseFormat(std::string_view name);

enum class Severity { kError, kWarning, kInfo };
std::string_view SeverityName(Severity severity);  // "error", ...
std::optional<Severity> ParseSeverity(std::string_view name);

// A validation finding stored with a workflow. Findings never block a sync:
// a workflow that n8n would refuse to import is still mirrored, with its
// findings, so that `flowsync show` can explain what is wrong.
struct Finding {
  Severity severity = Severity::kWarning;
  std::string code;      // stable identifier, e.g. "duplicate-node-name"
  std::string location;  // JSON path ("nodes[3].name") or "file:line"
  std::string message;   // human text, never a secret value
  bool operator==(const Finding&) const = default;
};

// One [[phase]] table of a phase file, as written (semantics: phase module).
struct PhaseEntry {
  std::string task;
  std::string depends_on;
  std::string rule;
  std::string template_text;
  int64_t retry = 0;
  int line = 0;  // 1-based line of the table header in the file
  bool operator==(const PhaseEntry&) const = default;
};

// A workflow definition read from disk, ready to be stored.
struct ParsedWorkflow {
  Format format = Format::kN8n;
  std::string name;
  // The `id` found inside the file, if any (n8n exports). Not unique in real
  // data; never used as identity.
  std::optional<std::string> source_id;
  // The main file's text exactly as read (workflow.json for bundles).
  std::string content;
  // Hex XXH3-128 of the canonical form (see ARCHITECTURE.md): equal for files
  // that differ only in whitespace or object key order.
  std::string content_hash;
  // JSON object text: meta.json for bundles (all keys), {} otherwise.
  std::string metadata_json = "{}";
  // README.md of a bundle; empty otherwise.
  std::string documentation;
  bool active = false;                  // the definition's own `active` flag
  std::vector<std::string> categories;  // sorted, unique
  std::vector<Finding> findings;
  std::vector<PhaseEntry> phases;  // phase files only, in file order
};

}  // namespace flowsync
