// Phases started by a file (flowlord's `files=` rules): which phases a file
// path starts, and their executions.
//
// As flowlord's matchFile: a phase whose rule has files=GLOB matches a path
// when the glob matches all of it (Go's filepath.Match: `*` and `?` do not
// cross '/', no `**`). Its execution's meta is the rule's own query values
// plus file (the path), filename (its last part) and workflow, keys sorted,
// values unescaped; its info is the template rendered at the time in the
// path (PathTime) with that meta; its task time is that time (none when the
// path holds no time).
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/execution_queue.h"
#include "flowsync/phase_cache.h"
#include "run/phase_task.h"

namespace flowsync::run {

// flowlord's PathTime: the time a path names: a file name holding
// YYYYMMDDTHHMMSS, else YYYY/MM/DD/HH, YYYY/MM/DD, YYYY-MM-DD or YYYY/MM in
// the path (UTC). Nullopt when none is there or it is not a date.
std::optional<std::chrono::sys_seconds> PathTime(std::string_view path);

// Go's filepath.Match of a whole `path` against `pattern`.
bool GlobMatches(const std::string& pattern, const std::string& path);

// The executions `path` starts: one per phase of `files` whose files= rule
// matches, in file and phase order (trigger `files`). Options give run_at,
// the timeout default and the template zone.
Result<std::vector<NewExecution>> FileExecutions(const std::vector<StoredPhaseFile>& files,
                                                 const std::string& path,
                                                 const PhaseTaskOptions& options);

}  // namespace flowsync::run
