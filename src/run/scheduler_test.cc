// The scheduler's passes on both backends, on a clock moved by hand.
#include "run/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "util/test_util.h"

namespace flowsync::run {
namespace {

constexpr char kPhases[] = R"toml(
[[phase]]
task = "load"
rule = "cron=0 * * * *"
template = "s3://in/{yyyy}/{mm}/{dd}/{hh}"

[[phase]]
task = "report"
dependsOn = "load"
template = "report {yyyy}-{mm}-{dd}T{hh}"

[[phase]]
task = "gated"
dependsOn = "load"
rule = "require={meta:file}"
template = "never"
)toml";

// 2026-01-15T10:00:00Z
constexpr int64_t kTen = 1'768'471'200'000;
constexpr int64_t kHour = 3'600'000;

class SchedulerTest : public ::testing::TestWithParam<test::TestBackend> {
 protected:
  void SetUp() override {
    std::string url = GetParam().fresh_url(dir_.path());
    if (url.empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
    root_ = dir_.path() + "/root";
    std::filesystem::create_directories(root_);
    dir_.Write("root/etl.toml", kPhases);
    auto store = OpenStore(*ParseDatabaseUrl(url), {});
    ASSERT_OK(store);
    store_ = std::move(store).value();
    auto cache = OpenPhaseCache(store_.get(), root_, {.clock = &clock_});
    ASSERT_OK(cache);
    cache_ = std::move(cache).value();
    ASSERT_OK(cache_->Refresh());
    auto queue = OpenExecutionQueue(*store_);
    ASSERT_OK(queue);
    queue_ = std::move(queue).value();
    options_.clock = &clock_;
    options_.id = "s1";
  }

  SchedulePassReport Pass() {
    auto report = RunSchedulePass(*cache_, *queue_, options_);
    EXPECT_OK(report);
    return report.ok() ? *report : SchedulePassReport{};
  }

  std::vector<Execution> Listed(const std::string& topic) {
    ExecutionFilter filter;
    filter.topic = topic;
    auto listed = queue_->List(filter);
    EXPECT_OK(listed);
    return listed.ok() ? *listed : std::vector<Execution>{};
  }

  void Complete(const Execution& e, AttemptEnd end = {}) {
    auto claimed = queue_->Claim({e.topic}, "w", 1, clock_.NowMs(), 60'000);
    ASSERT_OK(claimed);
    ASSERT_EQ(claimed->size(), 1u);
    ASSERT_EQ((*claimed)[0].id, e.id);
    ASSERT_OK(queue_->Finish({e.id, (*claimed)[0].attempt, "w"}, end, clock_.NowMs(), 0));
  }

  test::TempDir dir_;
  std::string root_;
  ManualClock clock_{kTen + 30 * 60'000};  // 10:30
  std::unique_ptr<Store> store_;
  std::unique_ptr<PhaseCache> cache_;
  std::unique_ptr<ExecutionQueue> queue_;
  SchedulerOptions options_;
};

TEST_P(SchedulerTest, CronFiresFromWhenItWasFirstSeenEachFireOnce) {
  EXPECT_EQ(Pass().fires, 0);        // registered at 10:30: 10:00 is not due
  clock_.Set(kTen + 3 * kHour + 5);  // 13:00:00.005
  SchedulePassReport r = Pass();
  EXPECT_EQ(r.fires, 3);
  EXPECT_EQ(r.executions, 3);
  // Another scheduler at the same instant fires nothing again.
  options_.id = "s2";
  EXPECT_EQ(Pass().fires, 0);
  std::vector<Execution> loads = Listed("load");
  ASSERT_EQ(loads.size(), 3u);
  // Newest first: 13:00, 12:00, 11:00.
  EXPECT_EQ(loads[0].task_time_ms, kTen + 3 * kHour);
  EXPECT_EQ(loads[2].task_time_ms, kTen + kHour);
  EXPECT_EQ(loads[2].run_at_ms, kTen + kHour);
  EXPECT_EQ(loads[2].trigger, Trigger::kSchedule);
  EXPECT_EQ(loads[2].meta, "workflow=etl.toml&cron=2026-01-15T11");
  EXPECT_EQ(loads[2].workflow, "etl.toml");
}

TEST_P(SchedulerTest, ABatchPhaseFiresOnceWithAllItsTasks) {
  dir_.Write("root/batch.toml",
             "[[phase]]\ntask = \"backfill\"\nrule = \"cron=0 * * * *&for=-2h&by=hour&"
             "meta=region:eu,us\"\ntemplate = \"{hh}/{meta:region}\"\n");
  ASSERT_OK(cache_->Refresh());
  Pass();
  clock_.Set(kTen + kHour + 5);  // 11:00:00.005
  SchedulePassReport r = Pass();
  EXPECT_EQ(r.executions, 1 + 6);  // load, and 3 hours x 2 regions in one fire
  options_.id = "s2";
  EXPECT_EQ(Pass().executions, 0);
  std::vector<std::string> infos;
  for (const Execution& e : Listed("backfill")) infos.push_back(e.info);
  std::sort(infos.begin(), infos.end());
  EXPECT_EQ(infos,
            (std::vector<std::string>{"09/eu", "09/us", "10/eu", "10/us", "11/eu", "11/us"}));
}

TEST_P(SchedulerTest, AClockThatJumpsFiresEachTimeOnce) {
  EXPECT_EQ(Pass().fires, 0);        // seen at 10:30
  clock_.Set(kTen + 2 * kHour + 5);  // 12:00:00.005
  EXPECT_EQ(Pass().fires, 2);        // 11:00, 12:00
  // Back an hour and a quarter (a clock stepped back, a restored VM): what
  // fired does not fire again, and nothing from before the phase was seen.
  clock_.Set(kTen + 45 * 60'000);  // 10:45
  EXPECT_EQ(Pass().fires, 0);
  clock_.Set(kTen - kHour + 5);  // 09:00:00.005, before it was seen
  EXPECT_EQ(Pass().fires, 0);
  clock_.Set(kTen + 5);  // 10:00:00.005
  EXPECT_EQ(Pass().fires, 0);
  clock_.Set(kTen + 2 * kHour + 30 * 60'000);  // 12:30: back where it was
  EXPECT_EQ(Pass().fires, 0);
  // Forward past a fire: it fires, once.
  clock_.Set(kTen + 3 * kHour + 5);  // 13:00:00.005
  EXPECT_EQ(Pass().fires, 1);
  options_.id = "s2";
  EXPECT_EQ(Pass().fires, 0);
  std::vector<int64_t> times;
  for (const Execution& e : Listed("load")) times.push_back(e.task_time_ms.value_or(0));
  EXPECT_EQ(times, (std::vector<int64_t>{kTen + 3 * kHour, kTen + 2 * kHour, kTen + kHour}));
}

TEST_P(SchedulerTest, MissedFiresBeyondTheCatchUpWindowAreSkipped) {
  Pass();
  options_.catch_up_ms = 2 * kHour;
  clock_.Set(kTen + 10 * kHour + 30 * 60'000);  // 20:30, down since 10:30
  SchedulePassReport r = Pass();
  EXPECT_EQ(r.fires, 2);           // 19:00 and 20:00
  EXPECT_EQ(r.missed_skipped, 8);  // 11:00 .. 18:00
  EXPECT_EQ(Listed("load").back().task_time_ms, kTen + 9 * kHour);
}

TEST_P(SchedulerTest, ACompletedParentEnqueuesItsChildrenOnce) {
  Pass();
  clock_.Set(kTen + kHour);
  ASSERT_EQ(Pass().fires, 1);
  Execution parent = Listed("load")[0];
  Complete(parent);
  SchedulePassReport r = Pass();
  EXPECT_EQ(r.follow_ups, 1);
  EXPECT_EQ(r.children, 1);  // gated's require= is not met
  EXPECT_EQ(Pass().follow_ups, 0);
  std::vector<Execution> reports = Listed("report");
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].parent_id, parent.id);
  EXPECT_EQ(reports[0].trigger, Trigger::kWorkflow);
  EXPECT_EQ(reports[0].info, "report 2026-01-15T11");
  EXPECT_EQ(reports[0].task_time_ms, kTen + kHour);
  EXPECT_TRUE(Listed("gated").empty());
}

TEST_P(SchedulerTest, AFailedExecutionGoesToTheFailedTopic) {
  Pass();
  clock_.Set(kTen + kHour);
  ASSERT_EQ(Pass().fires, 1);
  Execution parent = Listed("load")[0];
  Complete(parent, {AttemptEnd::Kind::kFailed, 1, "exit status 1", "", ""});
  EXPECT_EQ(Pass().children, 1);
  std::vector<Execution> failed = Listed("retry-failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].job, "load");
  EXPECT_EQ(failed[0].meta, "workflow=etl.toml&cron=2026-01-15T11&retry=failed&retried=0");
  EXPECT_TRUE(Listed("report").empty());

  options_.failed_topic = "-";
  Pass();
  EXPECT_EQ(Listed("retry-failed").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, SchedulerTest, ::testing::ValuesIn(test::TestBackends()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace flowsync::run
