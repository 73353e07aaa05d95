// Validation of phases: flowlord's messages, plus the problems flowlord
// misses. A phase's status is the list of its messages joined by "; ",
// empty when all is well. Statuses are stored with the phases and never
// block a load.
//
// Messages, in the order they appear in a status:
//   invalid rule format: <rule>                     (flowlord)
//   non-scheduled phase: use depends_on, cron or files  (flowlord)
//   invalid cron: <spec> <reason>                   (flowlord)
//   invalid rule: <key>: <reason>                   a value of the wrong form
//   parent task not found: <dependsOn>              (flowlord) no phase of the
//                                                   file has that topic
//   parent job not found: <dependsOn>               the topic is there, but no
//                                                   phase of it has that job
//   dependency cycle: a -> b -> a                   the phase runs after itself;
//                                                   arrows point from parent to
//                                                   child, starting at this phase
//   duplicate task: <task> (ignored at line N[, M]) another phase of the file
//                                                   has the same topic and job;
//                                                   the first is kept
//   warning: unknown rule key[s]: <k>[, <k>]        keys flowlord ignores
//   warning: retry count <n> exceeds recommended limit <max>
// flowlord's own Validate returns only the first of its three messages; so
// does ValidateRule. Parents are looked for in the phase's own file only, as
// Children() does.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/phase_cache.h"
#include "flowsync/workflow.h"

namespace flowsync::phase {

struct ValidationOptions {
  int64_t max_retry = 10;  // a retry above this gets a warning
};

// flowlord's Phase.Validate(): "" or exactly one of
// "invalid rule format: <rule>",
// "non-scheduled phase: use depends_on, cron or files",
// "invalid cron: <spec> <reason>" (reason from CronSchedule::Parse).
std::string ValidateRule(const Phase& phase);

// A file's phases from its [[phase]] entries, in file order: task names
// normalized (NormalizedTask), of phases with the same topic and job only
// the first kept, and every status filled.
std::vector<Phase> PhasesFromEntries(const std::vector<PhaseEntry>& entries,
                                     const ValidationOptions& options);

// Whether a stored status holds an error: any of its "; "-separated
// messages that is not a "warning: ..." one. An empty status is no error.
bool StatusIsError(std::string_view status);

}  // namespace flowsync::phase
