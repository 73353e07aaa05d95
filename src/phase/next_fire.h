// When a phase's cron rule fires next, and the task each firing makes: the
// answer to `flowsync phases next`, and what a scheduler asks before it
// sleeps.
//
// Semantics are flowlord's: a phase fires on its rule's `cron=` schedule
// (flowsync/cron.h); the task time is the fire time plus the rule's
// `offset=`, and the task's info is the phase template rendered at that
// time in the zone the template is rendered in (the process's local time
// for a cron-fired task, by default).
//
// Thread-safety: a pure function of its arguments and the clock.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "flowsync/clock.h"
#include "flowsync/phase_cache.h"
#include "flowsync/status.h"
#include "phase/template.h"

namespace flowsync::phase {

struct Firing {
  std::chrono::sys_seconds fire;       // when the schedule fires
  std::chrono::sys_seconds task_time;  // fire + the rule's offset, whole seconds
  std::string info;                    // the phase template rendered for this firing
  bool operator==(const Firing&) const = default;
};

struct NextFires {
  std::string cron;           // the rule's cron spec, as written
  std::string time_zone;      // the schedule's IANA zone; empty for local time
  std::vector<Firing> fires;  // in time order; fewer than asked when the schedule ends
};

struct NextFireOptions {
  int count = 5;  // how many firings
  // The zone templates render in: flowlord renders a cron-fired task in the
  // process's local time. Empty means UTC.
  std::function<std::chrono::seconds(std::chrono::sys_seconds)> utc_offset = LocalUtcOffset;
};

// The next `options.count` firings of `found`'s phase strictly after the
// clock's now (floored to whole seconds).
// Errors:
//   InvalidArgument "FILE: TASK: invalid rule: REASON" when the rule does not
//     parse (see phase/rule.h);
//   NotFound "FILE: TASK has no cron rule (it runs after DEPENDS_ON)" ("after
//     files" when it depends on nothing): such a phase never fires on a clock;
//   InvalidArgument "invalid cron: SPEC REASON" when the spec does not parse.
// REQUIRES: options.count >= 0.
Result<NextFires> NextFireTimes(const FoundPhase& found, const Clock& clock,
                                const NextFireOptions& options = {});

}  // namespace flowsync::phase
