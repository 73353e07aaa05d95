// The scheduler: turns phase workflows into executions (flowlord's
// taskmaster, durable).
//
// One pass (RunSchedulePass):
//   1. Cron phases: every fire of each `cron=` phase that is due is recorded
//      and enqueued with ExecutionQueue::EnqueueFire, whose unique key
//      (schedule, fire time) makes each fire happen exactly once however
//      many schedulers run: there is no leader. The task time is the fire
//      time plus the rule's `offset=`; the template renders in local time,
//      as flowlord renders a cron job.
//   2. Follow-ups: a completed execution's children (PhaseCache::Children,
//      their `require=` checked against the parent's meta) are enqueued;
//      after an execution's last attempt failed or timed out, a task on the
//      failed topic (default "retry-failed"; "-" or empty: none) with the
//      parent's info and meta plus retry=failed&retried=N, as flowlord.
//      Each follow-up is written with its mark in one transaction
//      (ExecutionQueue::FollowUp): exactly once.
//   3. Rescue: running executions whose leases ran out are made pending
//      again (workers do this too).
//
// Catch-up policy (missed fires after downtime): a schedule's fires are due
// from its last recorded fire (a new schedule, or one whose cron spec
// changed: from when a scheduler first saw it). Of the missed fires, those
// within `catch_up_ms` of now (default 6 hours) each run once, oldest first,
// with their own task times; older ones are skipped and counted. A pass
// fires at most `max_fires_per_pass` fires of one schedule; the next pass
// goes on.
//
// What runs is what the phase said when its execution was enqueued: info,
// retry policy and timeout are stored with the execution, so a phase file
// changed while tasks are pending changes only later executions.
//
// Thread-safety: one pass at a time per PhaseCache and queue.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flowsync/clock.h"
#include "flowsync/execution_queue.h"
#include "flowsync/phase_cache.h"
#include "flowsync/store.h"

namespace flowsync::run {

struct SchedulerOptions {
  std::string id;                // who fires (scheduled_fires.fired_by); empty: host:pid
  const Clock* clock = nullptr;  // nullptr: SystemClock()
  int64_t catch_up_ms = 6 * 3'600'000;
  int max_fires_per_pass = 1000;
  int64_t default_timeout_ms = kDefaultExecutionTimeoutMs;
  std::string failed_topic = "retry-failed";
  // When set, the pass also deletes executions that finished more than
  // this long ago (ExecutionQueue::PruneFinished); a scheduler does it once
  // an hour, not every pass.
  std::optional<int64_t> prune_older_than_ms;
  // The zone cron-fired templates render in (flowlord: local time).
  std::function<std::chrono::seconds(std::chrono::sys_seconds)> utc_offset;
};

struct SchedulePassReport {
  int64_t fires = 0;           // fires recorded by this scheduler
  int64_t executions = 0;      // executions enqueued for them
  int64_t missed_skipped = 0;  // fires older than the catch-up window
  int64_t follow_ups = 0;      // finished executions followed up here
  int64_t children = 0;        // child or failed-topic executions enqueued
  int64_t rescued = 0;
  int64_t pruned = 0;               // finished executions deleted (retention)
  std::vector<std::string> errors;  // per phase: "FILE: TASK: ..."
};

// One pass over `cache` (already refreshed) against `queue`.
Result<SchedulePassReport> RunSchedulePass(const PhaseCache& cache, ExecutionQueue& queue,
                                           const SchedulerOptions& options);

}  // namespace flowsync::run
