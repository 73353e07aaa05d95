// Stable workflow ids.
//
// A workflow's id is the name-based UUID (version 5) of the path where it
// was first seen, as path text (util/path_text.h: the name's bytes where
// they are UTF-8), in flowsync's own namespace: two environments that sync
// the same tree agree on ids without talking to each other. The id stays
// with the workflow across renames. In a project other than the default one
// the name is "<project>\0<path>" (no path holds a NUL), so projects never
// share ids. When that UUID is already taken (a workflow was renamed away
// and a new file appeared at its old path), the name gets a suffix "#2",
// "#3", ... until the id is free.
#pragma once

#include <set>
#include <string>

#include "flowsync/status.h"

namespace flowsync {

class Store;

// UUID namespace of flowsync workflow ids (uuid5(NAMESPACE_URL,
// "https://flowsync.dev/ns/workflow")).
extern const char kWorkflowIdNamespace[];

// The id for a new workflow at `path` of `project`, avoiding every id in
// `taken`.
std::string NewWorkflowId(const std::string& project, const std::string& path,
                          const std::set<std::string>& taken);

// The id a sync would give the workflow at `path` of `project`: the id of
// the row stored at that path (deleted or not), else the first new id
// (NewWorkflowId) that no stored workflow holds. `store` may be null when
// there is no database yet: then nothing is taken. Errors are the store's.
// REQUIRES: store == nullptr or store->project() == project.
Result<std::string> IdForPath(Store* store, const std::string& project, const std::string& path);

}  // namespace flowsync
