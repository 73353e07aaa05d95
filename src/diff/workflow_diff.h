// What changed between two contents of a workflow, for people: a summary
// per node (added, removed, changed parameters by JSON path, renamed,
// moved), the connections added and removed, the other fields that changed,
// and a unified diff of the canonical form (keys sorted, 2-space
// indentation) in which every secret the promotion scanner would find is
// masked. Phase files (TOML) get the unified diff of their text only.
//
// The summary names paths, never values, so it cannot leak a secret; the
// unified diff masks them on both sides (a changed secret shows as no
// change in the text and as a changed path in the summary).
//
// Thread-safety: free functions over their arguments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "flowsync/status.h"
#include "flowsync/workflow.h"

namespace flowsync {

// One side of a diff: a stored version, or a file as read.
struct DiffSide {
  std::string label;  // "a/flows/x.json", "version 3", ...
  std::string content;
  std::string metadata_json = "{}";  // bundles: meta.json
  std::string documentation;         // bundles: README.md
};

struct NodeDiff {
  enum class State { kAdded, kRemoved, kChanged };
  State state = State::kChanged;
  std::string name;      // the node's name (the new one when renamed)
  std::string old_name;  // when renamed: the old name; else empty
  std::string type;
  bool moved = false;  // its position on the canvas changed
  // JSON paths inside the node whose value changed, was added or removed
  // ("parameters.url", "credentials.slackApi.name"), name and position aside.
  std::vector<std::string> changed_paths;
};

struct WorkflowDiff {
  bool equal = true;                     // no difference at all
  std::vector<NodeDiff> nodes;           // changed nodes, in the new order, removed ones last
  std::vector<std::string> edges_added;  // "Webhook -> Slack", "IF[main 1] -> Log"
  std::vector<std::string> edges_removed;
  // Other fields that differ ("name", "settings.timezone", "meta.json:owner",
  // "README.md").
  std::vector<std::string> changed_paths;
  std::string unified;  // "" when equal
};

std::string_view NodeStateName(NodeDiff::State state);

// Compares two contents of a workflow of format `format`. Contents that are
// not JSON (a broken file) are compared as text.
WorkflowDiff DiffWorkflows(Format format, const DiffSide& from, const DiffSide& to);

// The canonical form of a JSON text for reading: keys sorted by bytes (the
// last of duplicate keys), numbers as written, 2-space indentation, a final
// newline. Errors: Corruption "line:column: reason".
Result<std::string> PrettyCanonicalJson(std::string_view text);

}  // namespace flowsync
