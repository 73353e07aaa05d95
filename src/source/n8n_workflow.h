// What flowsync reads out of an n8n workflow object (n8n exports and bundle
// workflow.json files): its descriptive facts and the findings of n8n's own
// structure check (the rules n8n applies on create, update and import).
//
// Thread-safety: pure functions over an immutable JsonDocument.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "flowsync/workflow.h"
#include "source/json_document.h"

namespace flowsync {

// Findings past this many are summed up in one "too-many-findings" finding.
inline constexpr size_t kMaxFindingsPerWorkflow = 100;

struct N8nFacts {
  std::optional<std::string> name;  // top-level `name` when a non-empty string
  // Top-level `id`: a string as is, a number as written; absent otherwise.
  std::optional<std::string> source_id;
  bool active = false;  // top-level `active` when a boolean
  // Names of `tags` (objects with a string `name`, or plain strings), sorted,
  // unique, empty names dropped.
  std::vector<std::string> categories;
};

// REQUIRES: workflow.is_object().
N8nFacts ReadN8nFacts(const JsonDocument& doc, const JsonValue& workflow);

// Checks n8n's structure rules on a workflow object. Every violation is a
// kError finding (n8n would refuse the import) with a stable code:
//   nodes-not-array, connections-not-object,
//   node-not-object, node-missing-name, node-bad-name, node-missing-type,
//   node-bad-type, node-bad-position, node-bad-parameters, node-bad-id,
//   node-bad-type-version, node-bad-disabled, duplicate-node-name,
//   duplicate-node-id, connection-unknown-source, connection-bad-shape,
//   connection-bad-entry, connection-unknown-target, too-many-findings.
// Locations are JSON paths such as `nodes[3].position` or
// `connections["Set"].main[0][1].node`. Messages may quote node names but
// never parameter values (they can hold secrets).
// REQUIRES: workflow.is_object().
std::vector<Finding> CheckN8nStructure(const JsonDocument& doc, const JsonValue& workflow);

}  // namespace flowsync
