// The execution of a phase's task: what `flowsync run`, the scheduler and
// the children of a completed parent enqueue.
//
// As flowlord: the info is the phase template rendered at the task time
// (phase/template.h) with the given meta; the meta is
// "workflow=FILE[&cron=YYYY-MM-DDTHH][&job=JOB]" (flowlord's cron-job meta,
// which children inherit). retry and retry_delay give the retry policy
// (run/retry_policy.h). The rule key `timeout=` (a Go duration) sets the
// phase's timeout; without it the default applies
// (WORKFLOW_EXECUTION_TIMEOUT, an hour unless set).
//
// Thread-safety: pure functions (apart from a {uuid} in a template).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flowsync/execution_queue.h"
#include "flowsync/file_system.h"
#include "flowsync/phase_cache.h"
#include "phase/template.h"

namespace flowsync::run {

struct PhaseTaskOptions {
  std::optional<int64_t> task_time_ms;  // the time the template renders
  Trigger trigger = Trigger::kManual;
  int64_t run_at_ms = 0;
  std::optional<int64_t> parent_id;
  // Meta the template's {meta:x} reads (a parent's, a file's); the
  // execution's own meta is built as above.
  phase::QueryValues template_meta;
  int64_t default_timeout_ms = kDefaultExecutionTimeoutMs;
  // The zone the template renders in; empty is UTC.
  phase::TemplateOptions template_options;
  // Where a batch's meta-file is read: relative to `root` (the phase tree)
  // unless absolute. Null: meta-file batches are refused.
  const FileSystem* fs = nullptr;
  std::string root;
};

// Errors: InvalidArgument "FILE: TASK: invalid rule: REASON",
// "FILE: TASK: timeout: REASON".
Result<NewExecution> PhaseExecution(const FoundPhase& found, const PhaseTaskOptions& options);

// What a cron fire of the phase enqueues: one execution, or, for a batch
// phase (rule keys `for`, `by`, `meta`), flowlord's batch: from the task time
// truncated to the hour to that time plus `for` (both ends, backwards when
// negative), a step of an hour, day, week or month (`by`), and at each step
// one execution per row of `meta` (k1:a,b|k2:1,2 is two rows). Each has the
// step as its task time; its info is the template rendered at the step with
// the row; its meta is cron, workflow, job and the meta keys the template
// used, keys sorted and values unescaped, as flowlord writes it.
// With `meta-file` (a JSON-lines file, or a glob of them in one folder, in
// name order) each object line is a row instead: strings as they are, numbers
// as written, other values as JSON; blank lines skipped; a line that is not
// an object is InvalidArgument "FILE: TASK: meta-file PATH:LINE: ...". An
// empty meta-file and no range make no task. At most kMaxBatch executions.
inline constexpr size_t kMaxBatch = 100'000;
Result<std::vector<NewExecution>> PhaseFireExecutions(const FoundPhase& found,
                                                      const PhaseTaskOptions& options);

// What a completed parent starts of one child phase, as flowlord's
// done-topic handler does: the child's rule may make a batch of it. Its
// `meta=` is merged into the parent's meta values (a child key replaces the
// parent's); every key must then have as many values, else
// InvalidArgument "FILE: TASK: inconsistent lengths in meta" and no child
// starts. Each row of the merged values (or of the child's `meta-file`,
// which replaces them) is one execution whose template reads it; the task
// time is the parent's (a child batch ranges from it to itself), and each
// child's meta is workflow, cron and job, as for a single child. Without
// meta or meta-file: one execution with the parent's meta values.
// `options.template_meta` holds the parent's meta values.
Result<std::vector<NewExecution>> ChildExecutions(const FoundPhase& child,
                                                  const PhaseTaskOptions& options);

// flowlord's meta of a batch or file task: the query string of `meta`, keys
// sorted, values not escaped ("cron=2024-01-15T00&name=george washington").
std::string SortedMeta(const std::map<std::string, std::string>& meta);

// The default timeout from the value of WORKFLOW_EXECUTION_TIMEOUT (whole
// seconds; unset or empty: an hour). InvalidArgument for anything else.
Result<int64_t> ExecutionTimeoutFromEnv(const char* value);

}  // namespace flowsync::run
