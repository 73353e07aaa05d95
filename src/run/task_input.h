// What a task's command receives: the task as one JSON object on its stdin
// and the same fields as environment variables (docs/formats.md, "Task
// input").
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "flowsync/execution_queue.h"

namespace flowsync::run {

// {"task": "topic:job", "topic", "job", "workflow", "info", "time" (RFC 3339
// UTC, null when the task has none), "meta" (flowlord's query string),
// "attempt", "max_attempts", "execution", "trigger"}, one line.
std::string TaskJson(const Execution& e);

// FLOWSYNC_TASK, FLOWSYNC_TOPIC, FLOWSYNC_JOB, FLOWSYNC_WORKFLOW,
// FLOWSYNC_INFO, FLOWSYNC_TIME, FLOWSYNC_META, FLOWSYNC_ATTEMPT,
// FLOWSYNC_EXECUTION, FLOWSYNC_TRIGGER.
std::vector<std::pair<std::string, std::string>> TaskEnvironment(const Execution& e);

}  // namespace flowsync::run
