// Restore: make a stored version of a workflow current again.
//
// Files are the source of truth of a synced tree, so a restore writes the
// version's files back at the workflow's current path (atomically: a temp
// file beside each, then a rename over it) and syncs that one source: the
// stored workflow gets a new version with the old content, written and
// audited as any sync writes (an `updated` event, or `restored` when the
// workflow was deleted). A restore never overwrites an edit that is not
// synced yet: when the source differs from what is stored (edited, deleted
// or unreadable), it refuses with Conflict unless `force`.
//
// Not restorable this way: a workflow of an n8n array export (its file holds
// other workflows; InvalidArgument says so).
#pragma once

#include <cstdint>
#include <string>

#include "flowsync/store.h"
#include "flowsync/sync.h"

namespace flowsync {

struct RestoreReport {
  std::string workflow_id;
  std::string path;              // where the files were written (a key)
  int64_t restored_version = 0;  // the version whose content came back
  int64_t new_version = 0;       // the workflow's version after the restore
  bool changed = false;          // false: the content was already current
  SyncReport sync;               // the sync of the restored source
};

// Restores version `version` of the workflow with id `workflow_id` under
// `options.root` (options.scope is set here; the rest of `options` applies
// to the sync). Errors: NotFound (no such workflow or version), Conflict
// (unsynced changes at its path, unless `force`), InvalidArgument (an array
// export's workflow), the file system's and the store's.
Result<RestoreReport> RestoreVersion(Store& store, const std::string& workflow_id, int64_t version,
                                     SyncOptions options, bool force);

}  // namespace flowsync
