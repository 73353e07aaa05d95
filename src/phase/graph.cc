#include "phase/graph.h"

namespace flowsync::phase {

std::vector<DependencyEdge> DependencyEdges(const std::vector<StoredPhaseFile>& files) {
  std::vector<DependencyEdge> edges;
  for (const StoredPhaseFile& f : files) {
    for (const Phase& child : f.phases) {
      if (child.depends_on.empty()) continue;
      const size_t colon = child.depends_on.find(':');
      const std::string topic = child.depends_on.substr(0, colon);
      const std::string job = colon == std::string::npos ? "" : child.depends_on.substr(colon + 1);
      for (const Phase& parent : f.phases) {
        if (parent.Topic() == topic && (job.empty() || parent.Job() == job)) {
          edges.push_back({f.key, parent.task, child.task});
        }
      }
    }
  }
  return edges;
}

}  // namespace flowsync::phase
