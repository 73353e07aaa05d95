#include "phase/next_fire.h"

#include <optional>

#include "flowsync/cron.h"
#include "phase/rule.h"

namespace flowsync::phase {

Result<NextFires> NextFireTimes(const FoundPhase& found, const Clock& clock,
                                const NextFireOptions& options) {
  const Phase& phase = found.phase;
  auto rule = ParseRule(phase.rule);
  if (!rule.ok()) {
    return Status::InvalidArgument(found.file + ": " + phase.task +
                                   ": invalid rule: " + rule.status().message());
  }
  if (rule->cron.empty()) {
    return Status::NotFound(found.file + ": " + phase.task + " has no cron rule (it runs after " +
                            (phase.depends_on.empty() ? "files" : phase.depends_on) + ")");
  }
  auto schedule = CronSchedule::Parse(rule->cron);
  if (!schedule.ok()) {
    return Status::InvalidArgument("invalid cron: " + rule->cron + " " +
                                   schedule.status().message());
  }
  NextFires out;
  out.cron = rule->cron;
  out.time_zone = schedule->time_zone();
  TemplateOptions render;
  render.offset = rule->offset;
  render.utc_offset = options.utc_offset;
  std::chrono::sys_seconds at = std::chrono::floor<std::chrono::seconds>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(clock.NowMs())));
  for (int i = 0; i < options.count; ++i) {
    std::optional<std::chrono::sys_seconds> next = schedule->Next(at);
    if (!next) break;
    at = *next;
    Firing f;
    f.fire = *next;
    f.task_time = std::chrono::floor<std::chrono::seconds>(*next + rule->offset);
    f.info = RenderTimeTemplate(phase.template_text, TemplateClock(*next), render);
    out.fires.push_back(std::move(f));
  }
  return out;
}

}  // namespace flowsync::phase
