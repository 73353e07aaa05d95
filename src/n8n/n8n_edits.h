// Edits made in n8n (its editor, its API) to workflows a sync wrote there,
// brought into flowsync's rows as changes made in the database, so that the
// three-way sync keeps them (a sync never undoes them), reports a workflow
// also edited in the files as a conflict, and `pull` writes them into the
// files.
//
// flowsync remembers the versionId it wrote for each workflow
// (flowsync_n8n_workflows.version_id). A workflow whose row in n8n has
// another versionId now was saved in n8n since: its row is read back in the
// file form below and, when its content differs, stored as a new version of
// flowsync's workflow, its base left as it was (so it differs from it).
// One archived in n8n, or deleted there, is marked deleted the same way.
//
// The file form is what `pull` writes (and hashes the same as the stored
// content): the workflow as n8n's export writes it, keys in n8n's order,
// indented by two spaces, without what changes on every save or run
// (versionId, createdAt, updatedAt, versionCounter, triggerCount, shared);
// `id` is the file's own id when the workflow came from one (ids stay what
// they are in the files across environments), else none.
#pragma once

#include <optional>
#include <string>

#include "flowsync/status.h"
#include "store/sql_connection.h"

namespace flowsync::n8n {

// n8n's columns of one workflow (JSON as text; nullopt for NULL).
struct N8nRowText {
  std::optional<std::string> id;  // the file's id, if any
  std::string name;
  bool active = false;
  std::optional<std::string> nodes, connections, settings, static_data, pin_data, meta;
  std::vector<std::string> tags;  // names
};

// The file form of `row`; InvalidArgument when a column is not JSON.
Result<std::string> N8nFileForm(const N8nRowText& row);

// Brings n8n's edits into flowsync's rows of `project` on `conn` (flowsync's
// tables and n8n's in one database), inside the caller's write transaction.
// `now` is RFC 3339. Returns how many workflows changed or were added.
//
// A workflow made in n8n (no flowsync workflow maps to it, not archived) is
// added as made in the database: a row without a base at a readable path,
// "<name>.json" (lower case, letters and digits, the rest as '-'; its n8n id
// when the name leaves nothing, "-<n8n id>" added when the path is taken),
// its file form keeping its n8n id; `pull` writes the file.
Result<int> ImportN8nEdits(SqlConnection& conn, const std::string& project, const std::string& now);

// The readable file name for an n8n workflow named `name` with id `id`.
std::string N8nFileName(std::string_view name, std::string_view id);

}  // namespace flowsync::n8n
