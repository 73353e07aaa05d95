// Phase functions beyond Phase's own accessors (flowsync/phase_cache.h).
#pragma once

#include <string>
#include <string_view>

#include "flowsync/phase_cache.h"

namespace flowsync::phase {

// The task name a phase is stored under: topic:job when Job() is non-empty
// (Topic() alone otherwise), unless that would change what Topic() or Job()
// return, in which case the task as written. Two phases of a file with the
// same (Topic(), Job()) are duplicates.
std::string NormalizedTask(const Phase& phase);

// Topic and job of a "topic" or "topic:job" string (task or dependsOn),
// split as flowlord does: topic before the first ':', job the second part.
struct TopicJob {
  std::string_view topic;
  std::string_view job;
};
TopicJob SplitTopicJob(std::string_view text);

}  // namespace flowsync::phase
