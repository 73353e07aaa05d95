#include "run/phase_task.h"

#include <gtest/gtest.h>

#include "util/test_util.h"

namespace flowsync::run {
namespace {

FoundPhase Load(std::string rule) {
  Phase p;
  p.task = "load:j1";
  p.rule = std::move(rule);
  p.template_text = "s3://in/{yyyy}/{mm}/{dd}/{hh}?f={meta:file}";
  p.retry = 2;
  return {"etl.toml", p};
}

TEST(PhaseTask, RendersTheTemplateAndBuildsFlowlordsMeta) {
  PhaseTaskOptions o;
  o.task_time_ms = 1'768'471'200'000;  // 2026-01-15T10:00:00Z
  o.template_meta.Add("file", "a.csv");
  o.trigger = Trigger::kSchedule;
  auto e = PhaseExecution(Load("cron=0 * * * *&retry_delay=5s&timeout=90s"), o);
  ASSERT_OK(e);
  EXPECT_EQ(e->topic, "load");
  EXPECT_EQ(e->job, "j1");
  EXPECT_EQ(e->info, "s3://in/2026/01/15/10?f=a.csv");
  EXPECT_EQ(e->meta, "workflow=etl.toml&cron=2026-01-15T10&job=j1");
  EXPECT_EQ(e->max_attempts, 3);
  EXPECT_EQ(e->retry_delay_ms, 5000);
  EXPECT_EQ(e->timeout_ms, 90'000);
}

TEST(PhaseTask, BadTimeoutsAreNamed) {
  auto e = PhaseExecution(Load("timeout=soon"), {});
  EXPECT_EQ(e.status().message(), "etl.toml: load:j1: timeout: time: invalid duration \"soon\"");
  EXPECT_EQ(ExecutionTimeoutFromEnv(nullptr).value(), kDefaultExecutionTimeoutMs);
  EXPECT_EQ(ExecutionTimeoutFromEnv("60").value(), 60'000);
  EXPECT_EQ(ExecutionTimeoutFromEnv("1h").status().message(),
            "WORKFLOW_EXECUTION_TIMEOUT: expected whole seconds from 1 to 31622400, got '1h'");
}

}  // namespace
}  // namespace flowsync::run
