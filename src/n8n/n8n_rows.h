// The one place that knows n8n's rows: what a workflow file becomes in
// n8n's tables, and the statements that write it as n8n itself would.
//
// A workflow reaches n8n as (n8n.md §3, §9 of the reference):
//   workflow_entity   id, name, nodes, connections, settings, pinData, meta,
//                     a new versionId (UUIDv4) per content change, createdAt
//                     and updatedAt; `active` false for a new row and kept
//                     for an existing one (so is activeVersionId, which
//                     stays valid: history rows are never removed);
//                     staticData (runtime state) from the file for a new row
//                     and kept for an existing one; versionCounter is n8n's
//                     own trigger's;
//   workflow_history  one row per new versionId, authors "flowsync";
//   shared_workflow   the owner row (workflow:owner) when the workflow has
//                     none: the instance owner's personal project, or the
//                     project named;
//   tag_entity, workflows_tags  the file's tags, by name (a missing tag is
//                     created with a derived id).
// Deleting archives (isArchived, n8n >= 1.94 and 2.x alike), restoring
// unarchives. Executions, statistics, webhooks and activation are never
// touched.
//
// Node references are re-bound on the way in: credentials by (type, name)
// to the target's credentials_entity rows (only id, name and type are ever
// read; never `data`), Execute Workflow nodes' workflowId (a string or
// {__rl, value, mode}) through the id map.
//
// Thread-safety: as the connection's.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flowsync/status.h"
#include "n8n/n8n_schema.h"
#include "store/sql_connection.h"

namespace flowsync::n8n {

// A workflow as n8n's columns hold it (JSON as text).
struct N8nWorkflow {
  std::string id;
  std::string name;
  std::string nodes = "[]";
  std::string connections = "{}";
  std::string settings = "{}";
  std::optional<std::string> static_data;
  std::optional<std::string> pin_data;
  std::optional<std::string> meta;
  std::vector<std::string> tags;  // names, in file order, unique
};

// What node references are re-bound to in the target.
struct Rebinding {
  // (credential type, name) -> id; "" when several credentials match.
  std::map<std::pair<std::string, std::string>, std::string> credentials;
  // A workflow id as files name it -> its n8n id in the target.
  std::map<std::string, std::string, std::less<>> workflow_ids;
};

// The workflow of a file's `content` (an n8n workflow object) under n8n id
// `id`, its references re-bound. Each credential reference with no single
// match in the target adds a note to `unmatched`: "node 'Send': credential
// slackApi 'Team Slack' (no match in the target)" (then the reference stays
// as written, as n8n's own import leaves it). InvalidArgument when the
// content is no workflow object.
Result<N8nWorkflow> WorkflowFromContent(std::string_view content, const std::string& id,
                                        const Rebinding& rebinding,
                                        std::vector<std::string>* unmatched);

// Every credential reference of the content's nodes as (type, name), in
// order of first use, each once: the `{"<type>": {"id", "name"}}` form and
// the legacy `{"<type>": "<name>"}`; one without a string name is left out.
// InvalidArgument when the content is no workflow object.
Result<std::vector<std::pair<std::string, std::string>>> CredentialReferences(
    std::string_view content);

// An n8n timestamp column's text from RFC 3339 UTC ("2026-12-03T12:00:00.000Z"
// -> "2026-12-03 12:00:00.000"), which both databases read as UTC.
std::string N8nTime(std::string_view rfc3339);

// Writes workflows into one n8n database, inside the caller's transaction.
class N8nRowWriter {
 public:
  N8nRowWriter(SqlConnection* conn, N8nSchema schema) : conn_(conn), schema_(std::move(schema)) {}

  // Finds the owner project: the project named `project` (by name or id),
  // else the instance owner's personal project; loads credentials and tags.
  // FailedPrecondition-like Unsupported when the instance has no owner yet.
  Status Prepare(const std::optional<std::string>& project);
  const Rebinding& rebinding() const { return rebinding_; }
  Rebinding& mutable_rebinding() { return rebinding_; }
  const std::string& project_id() const { return project_id_; }

  // Inserts or updates `wf` with a new version (`version_id`), its history
  // row, its owner row when it has none, and its tags. `now`: N8nTime.
  Status Write(const N8nWorkflow& wf, const std::string& version_id, const std::string& now);
  // Write() of many workflows in a few statements per batch (rows of
  // several workflows in one statement): what a sync of a whole tree uses.
  struct Item {
    N8nWorkflow wf;
    std::string version_id;
  };
  Status WriteMany(const std::vector<Item>& items, const std::string& now);
  // Sets isArchived of workflow `id` (no row: nothing).
  Status SetArchived(const std::string& id, bool archived, const std::string& now);

 private:
  Status WriteTags(const N8nWorkflow& wf, const std::string& now);

  SqlConnection* conn_;
  N8nSchema schema_;
  std::string project_id_;
  Rebinding rebinding_;
  std::map<std::string, std::string, std::less<>> tag_ids_;  // name -> id
};

}  // namespace flowsync::n8n
