// The dependency graph of phase files: which phase each phase's dependsOn
// names, as Children() finds them (within one file; a dependsOn without a
// job matches every job of the topic).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "flowsync/phase_cache.h"

namespace flowsync::phase {

struct DependencyEdge {
  std::string file;  // the file both phases are in
  std::string from;  // the parent's task
  std::string to;    // the child's task
};

// Every parent -> child edge, files in the order given, children in file
// order, then parents in file order.
std::vector<DependencyEdge> DependencyEdges(const std::vector<StoredPhaseFile>& files);

}  // namespace flowsync::phase
