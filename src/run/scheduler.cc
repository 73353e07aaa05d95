#include "run/scheduler.h"

#include <unistd.h>

#include <algorithm>
#include <optional>

#include "flowsync/cron.h"
#include "phase/query.h"
#include "phase/rule.h"
#include "phase/template.h"
#include "run/phase_task.h"
#include "util/host.h"

namespace flowsync::run {
namespace {

using std::chrono::milliseconds;
using std::chrono::sys_seconds;

int64_t ToMs(sys_seconds t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

sys_seconds FromMs(int64_t ms) {
  return std::chrono::floor<std::chrono::seconds>(
      std::chrono::sys_time<milliseconds>(milliseconds(ms)));
}

phase::QueryValues MetaValues(const std::string& meta) {
  phase::QueryValues values;
  (void)phase::ParseQuery(meta, &values);  // pairs that parse are used, as flowlord
  return values;
}

// flowlord's isReady: every {meta:x} in each require value is set and
// non-empty in the parent's meta.
bool RequirementsMet(const phase::Rule& rule, const phase::QueryValues& parent) {
  for (const std::string& req : rule.require) {
    auto used = phase::RenderMetaTemplate(req, phase::QueryValues()).meta_keys;
    for (const std::string& key : used) {
      if (parent.Get(key).empty()) return false;
    }
  }
  return true;
}

// flowlord's TaskTime for a child: the parent's meta cron=YYYY-MM-DDTHH
// (UTC), else the parent's task time.
std::optional<int64_t> ChildTaskTime(const Execution& parent, const phase::QueryValues& meta) {
  const std::string& cron = meta.Get("cron");
  if (cron.size() == 13 && cron[4] == '-' && cron[7] == '-' && cron[10] == 'T') {
    int y = 0, mo = 0, d = 0, hh = 0;
    if (std::sscanf(cron.c_str(), "%4d-%2d-%2dT%2d", &y, &mo, &d, &hh) == 4) {
      using namespace std::chrono;
      auto day = sys_days(year(y) / month(static_cast<unsigned>(mo)) /
                          std::chrono::day(static_cast<unsigned>(d)));
      if (year_month_day(day).ok()) {
        return duration_cast<milliseconds>((day + hours(hh)).time_since_epoch()).count();
      }
    }
  }
  return parent.task_time_ms;
}

class Pass {
 public:
  Pass(const PhaseCache& cache, ExecutionQueue& queue, const SchedulerOptions& options)
      : cache_(cache),
        queue_(queue),
        options_(options),
        clock_(options.clock ? *options.clock : SystemClock()),
        id_(options.id.empty() ? HostName() + ":" + std::to_string(::getpid()) : options.id) {}

  Result<SchedulePassReport> Run() {
    now_ = clock_.NowMs();
    for (const StoredPhaseFile& file : cache_.Files()) {
      for (const Phase& p : file.phases) FS_TRY(FireDue({file.key, p}));
    }
    FS_TRY(FollowUps());
    FS_TRY_ASSIGN(int rescued, queue_.RescueExpired(clock_.NowMs()));
    report_.rescued = rescued;
    if (options_.prune_older_than_ms) {
      FS_TRY_ASSIGN(report_.pruned,
                    queue_.PruneFinished(clock_.NowMs() - *options_.prune_older_than_ms));
    }
    return report_;
  }

 private:
  // Store errors end the pass; a broken phase is reported and skipped.
  Status FireDue(const FoundPhase& found) {
    auto rule = phase::ParseRule(found.phase.rule);
    if (!rule.ok() || rule->cron.empty()) return Status::OK();  // validation reports it
    auto schedule = CronSchedule::Parse(rule->cron);
    if (!schedule.ok()) {
      report_.errors.push_back(found.file + ": " + found.phase.task +
                               ": invalid cron: " + rule->cron + " " + schedule.status().message());
      return Status::OK();
    }
    const std::string key = found.file + ":" + found.phase.task;
    FS_TRY_ASSIGN(int64_t since, queue_.RegisterSchedule(key, rule->cron, now_));
    sys_seconds at = FromMs(since);
    const sys_seconds window = FromMs(now_ - options_.catch_up_ms);
    if (at < window) {
      // Count what the window skips, up to a bound (a minutely schedule
      // down for a year has half a million).
      for (auto next = schedule->Next(at);
           next && *next <= window && report_.missed_skipped < 1'000'000;
           next = schedule->Next(*next)) {
        ++report_.missed_skipped;
      }
      at = window;
    }
    const sys_seconds now = FromMs(now_);
    std::optional<sys_seconds> next = schedule->Next(at);
    for (int fired = 0; next && *next <= now && fired < options_.max_fires_per_pass; ++fired) {
      const sys_seconds fire = *next;
      next = schedule->Next(fire);
      PhaseTaskOptions task;
      task.trigger = Trigger::kSchedule;
      task.task_time_ms = ToMs(std::chrono::floor<std::chrono::seconds>(fire + rule->offset));
      task.run_at_ms = ToMs(fire);
      task.default_timeout_ms = options_.default_timeout_ms;
      task.template_options.utc_offset = options_.utc_offset;
      task.fs = options_.fs;
      task.root = options_.root;
      auto executions = PhaseFireExecutions(found, task);
      if (!executions.ok()) {
        report_.errors.push_back(executions.status().message());
        return Status::OK();
      }
      FS_TRY_ASSIGN(auto ids,
                    queue_.EnqueueFire(key, ToMs(fire),
                                       next ? std::optional<int64_t>(ToMs(*next)) : std::nullopt,
                                       id_, *executions, clock_.NowMs()));
      if (ids) {
        ++report_.fires;
        report_.executions += static_cast<int64_t>(ids->size());
      }
    }
    return Status::OK();
  }

  Status FollowUps() {
    while (true) {
      FS_TRY_ASSIGN(std::vector<Execution> due, queue_.PendingFollowUps(100));
      if (due.empty()) return Status::OK();
      for (const Execution& e : due) {
        std::vector<NewExecution> next = Next(e);
        FS_TRY_ASSIGN(bool done, queue_.FollowUp(e.id, next, clock_.NowMs()));
        if (done) {
          ++report_.follow_ups;
          report_.children += static_cast<int64_t>(next.size());
        }
      }
      if (due.size() < 100) return Status::OK();
    }
  }

  std::vector<NewExecution> Next(const Execution& e) {
    std::vector<NewExecution> out;
    const phase::QueryValues meta = MetaValues(e.meta);
    if (e.status != ExecutionStatus::kCompleted) {
      if (options_.failed_topic.empty() || options_.failed_topic == "-") return out;
      NewExecution f;
      f.workflow = e.workflow;
      f.topic = options_.failed_topic;
      f.job = e.topic;
      f.task_time_ms = e.task_time_ms;
      f.trigger = Trigger::kWorkflow;
      f.info = e.info;
      f.meta = e.meta + (e.meta.empty() ? "" : "&") +
               "retry=failed&retried=" + std::to_string(e.max_attempts - 1);
      f.run_at_ms = clock_.NowMs();
      f.parent_id = e.id;
      f.timeout_ms = options_.default_timeout_ms;
      out.push_back(std::move(f));
      return out;
    }
    Task task{e.topic, e.job, "workflow=" + e.workflow};
    for (const Phase& child : cache_.Children(task)) {
      auto rule = phase::ParseRule(child.rule);
      if (!rule.ok()) {
        report_.errors.push_back(e.workflow + ": " + child.task +
                                 ": invalid rule: " + rule.status().message());
        continue;
      }
      if (!RequirementsMet(*rule, meta)) continue;
      PhaseTaskOptions opts;
      opts.trigger = Trigger::kWorkflow;
      opts.task_time_ms = ChildTaskTime(e, meta);
      opts.run_at_ms = clock_.NowMs();
      opts.parent_id = e.id;
      opts.template_meta = meta;
      opts.default_timeout_ms = options_.default_timeout_ms;
      opts.fs = options_.fs;
      opts.root = options_.root;
      auto executions = ChildExecutions({e.workflow, child}, opts);
      if (!executions.ok()) {
        report_.errors.push_back(executions.status().message());
        continue;
      }
      for (NewExecution& x : *executions) out.push_back(std::move(x));
    }
    return out;
  }

  const PhaseCache& cache_;
  ExecutionQueue& queue_;
  const SchedulerOptions& options_;
  const Clock& clock_;
  std::string id_;
  int64_t now_ = 0;
  SchedulePassReport report_;
};

}  // namespace

Result<SchedulePassReport> RunSchedulePass(const PhaseCache& cache, ExecutionQueue& queue,
                                           const SchedulerOptions& options) {
  return Pass(cache, queue, options).Run();
}

}  // namespace flowsync::run
