#include "run/phase_task.h"

#include <charconv>
#include <chrono>

#include "phase/rule.h"
#include "run/retry_policy.h"
#include "util/go_duration.h"
#include "util/time_format.h"

namespace flowsync::run {

Result<NewExecution> PhaseExecution(const FoundPhase& found, const PhaseTaskOptions& options) {
  const Phase& p = found.phase;
  auto rule = phase::ParseRule(p.rule);
  if (!rule.ok()) {
    return Status::InvalidArgument(found.file + ": " + p.task +
                                   ": invalid rule: " + rule.status().message());
  }
  NewExecution e;
  e.workflow = found.file;
  e.topic = p.Topic();
  e.job = p.Job();
  e.task_time_ms = options.task_time_ms;
  e.trigger = options.trigger;
  e.run_at_ms = options.run_at_ms;
  e.parent_id = options.parent_id;
  RetryPolicy policy = PhaseRetryPolicy(p.retry, *rule);
  e.max_attempts = policy.max_attempts;
  e.retry_delay_ms = policy.retry_delay_ms;
  e.timeout_ms = options.default_timeout_ms;
  if (const std::string& t = rule->values.Get("timeout"); !t.empty()) {
    auto d = ParseGoDuration(t);
    if (!d.ok()) {
      return Status::InvalidArgument(found.file + ": " + p.task +
                                     ": timeout: " + d.status().message());
    }
    e.timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d).count();
    if (e.timeout_ms <= 0) {
      return Status::InvalidArgument(found.file + ": " + p.task + ": timeout: must be positive");
    }
  }
  std::optional<phase::TemplateClock> at;
  if (options.task_time_ms) {
    at = phase::TemplateClock(std::chrono::milliseconds(*options.task_time_ms));
  }
  e.info =
      phase::RenderTemplate(p.template_text, at, options.template_meta, options.template_options)
          .text;
  e.meta = "workflow=" + found.file;
  if (options.task_time_ms) {
    // flowlord's cron= value: the task time's hour, YYYY-MM-DDTHH (UTC).
    e.meta += "&cron=" + FormatTimestampMs(*options.task_time_ms).substr(0, 13);
  }
  if (!e.job.empty()) e.meta += "&job=" + e.job;
  return e;
}

Result<int64_t> ExecutionTimeoutFromEnv(const char* value) {
  if (value == nullptr || *value == '\0') return kDefaultExecutionTimeoutMs;
  std::string_view text(value);
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || seconds <= 0 ||
      seconds > 366LL * 86400) {
    return Status::InvalidArgument("WORKFLOW_EXECUTION_TIMEOUT: expected whole seconds from 1 to " +
                                   std::to_string(366LL * 86400) + ", got '" + std::string(text) +
                                   "'");
  }
  return seconds * 1000;
}

}  // namespace flowsync::run
