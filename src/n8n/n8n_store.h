// A Store over an n8n database: syncs write n8n's own rows.
//
// flowsync keeps its bookkeeping (workflows, versions, audit log, runs) in
// its own tables beside n8n's, in the same database (SQLite: the same file;
// PostgreSQL: the same database and schema; no name is shared with n8n's),
// and the map from flowsync's stable ids to n8n ids in
// flowsync_n8n_workflows, a table this module creates and versions itself
// (flowsync_n8n_meta). So a sync writes flowsync's rows and n8n's in ONE
// transaction: a run killed at any instant leaves both as before or both as
// after.
//
// What the store adds to its flowsync store:
//   catalog()    n8n's workflows (N8nCatalog): list, show and migration
//                create read n8n;
//   BeginSync()  a writing transaction decorates flowsync's: every workflow
//                the planner adds or changes, archives or restores is also
//                written as n8n would (n8n_rows.h), when the run finishes,
//                with its n8n id (the file's `id` when n8n can take it and
//                no other workflow holds it, else derived: n8n_ids.h) and
//                its references re-bound. Phase files are not n8n workflows
//                and stay flowsync's.
//
// Opening checks n8n's schema first (n8n_schema.h) and refuses what flowsync
// does not know, before anything is written.
//
// Thread-safety: as any Store.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flowsync/store.h"
#include "n8n/n8n_catalog.h"
#include "n8n/n8n_database.h"
#include "store/sql_connection.h"

namespace flowsync::n8n {

struct N8nSyncOptions {
  // The project new workflows belong to (name or id); the instance owner's
  // personal project when unset.
  std::optional<std::string> project;
  // Refuse the sync (Conflict, nothing written) when a credential reference
  // has no single match in the target.
  bool strict = false;
};

// What the last sync did in n8n, for the report.
struct N8nSyncNotes {
  int64_t written = 0;   // workflows inserted or updated in n8n
  int64_t archived = 0;  // archived or unarchived
  struct Workflow {
    std::string path;
    std::string n8n_id;
    std::vector<std::string> notes;  // unmatched credentials, why not written
  };
  std::vector<Workflow> workflows;  // those with notes, in path order
};

class N8nStore : public SqlStore {
 public:
  virtual const N8nSchema& n8n_schema() const = 0;
  virtual void set_sync_options(N8nSyncOptions options) = 0;
  // Of the last writing sync transaction that finished its run.
  virtual const N8nSyncNotes& notes() const = 0;
};

// Opens the n8n database at `url` and flowsync's store beside it. With
// options.create_if_missing false and no flowsync tables there yet, the
// bookkeeping is an empty in-memory store (reading n8n writes nothing).
// REQUIRES: url.n8n.
Result<std::unique_ptr<N8nStore>> OpenN8nStore(const DatabaseUrl& url, const StoreOptions& options);

}  // namespace flowsync::n8n
