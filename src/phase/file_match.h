// Which phase file a name given by a person means. flowlord's `workflow=`
// meta value is a file's key (its path below the root, "phases/etl.toml");
// people type the file name they see ("etl.toml").
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "flowsync/status.h"

namespace flowsync::phase {

// The key among `keys` that `name` names: `name` itself when it is a key
// (after dropping a leading "./"), else the one key that ends with "/" +
// name (a file name, or its last folders and file name). "*" (any file)
// stays "*". Errors:
//   NotFound "no phase file 'NAME'", with "; did you mean `KEY`?" naming the
//     keys whose ending is nearest (util/edit_distance.h);
//   InvalidArgument "phase file 'NAME' is ambiguous: `A` or `B` (give the
//     path below the root)" when several keys end with it.
Result<std::string> MatchPhaseFile(std::string_view name, const std::vector<std::string>& keys);

}  // namespace flowsync::phase
