#include "run/phase_task.h"

#include <gtest/gtest.h>

#include "util/memory_file_system.h"
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

namespace flowsync::run {
namespace {

FoundPhase Batch(std::string rule, std::string templ) {
  Phase p;
  p.task = "batch-date";
  p.rule = std::move(rule);
  p.template_text = std::move(templ);
  return {"batch.toml", p};
}

std::vector<std::pair<std::string, std::string>> InfoAndMeta(
    const Result<std::vector<NewExecution>>& batch) {
  std::vector<std::pair<std::string, std::string>> out;
  if (batch.ok()) {
    for (const NewExecution& e : *batch) out.emplace_back(e.info, e.meta);
  }
  return out;
}

TEST(PhaseBatch, ANegativeForStepsBackwardsByDayBothEndsIncluded) {
  PhaseTaskOptions o;
  o.task_time_ms = 1'768'473'000'000;  // 2026-01-15T10:30:00Z: truncated to 10:00
  auto batch = PhaseFireExecutions(Batch("cron=0 0 * * *&for=-48h", "?day={yyyy}-{mm}-{dd}"), o);
  ASSERT_OK(batch);
  EXPECT_EQ(InfoAndMeta(batch),
            (std::vector<std::pair<std::string, std::string>>{
                {"?day=2026-01-15", "cron=2026-01-15T10&workflow=batch.toml"},
                {"?day=2026-01-14", "cron=2026-01-14T10&workflow=batch.toml"},
                {"?day=2026-01-13", "cron=2026-01-13T10&workflow=batch.toml"}}));
  EXPECT_EQ((*batch)[2].task_time_ms, std::optional<int64_t>(1'768'471'200'000 - 2 * 86'400'000));
}

TEST(PhaseBatch, MetaRowsAtEachHourWithTheKeysTheTemplateUsedSorted) {
  PhaseTaskOptions o;
  o.task_time_ms = 1'768'471'200'000;  // 2026-01-15T10:00:00Z
  auto batch = PhaseFireExecutions(
      Batch("cron=0 * * * *&for=1h&by=hour&meta=name:george washington,john adams|start:1789,1797",
            "?president={meta:name}&from={meta:start}&h={hh}"),
      o);
  ASSERT_OK(batch);
  EXPECT_EQ(InfoAndMeta(batch),
            (std::vector<std::pair<std::string, std::string>>{
                {"?president=george washington&from=1789&h=10",
                 "cron=2026-01-15T10&name=george washington&start=1789&workflow=batch.toml"},
                {"?president=john adams&from=1797&h=10",
                 "cron=2026-01-15T10&name=john adams&start=1797&workflow=batch.toml"},
                {"?president=george washington&from=1789&h=11",
                 "cron=2026-01-15T11&name=george washington&start=1789&workflow=batch.toml"},
                {"?president=john adams&from=1797&h=11",
                 "cron=2026-01-15T11&name=john adams&start=1797&workflow=batch.toml"}}));
}

TEST(PhaseBatch, MonthsFollowTheCalendarAndAPlainPhaseIsOneExecution) {
  PhaseTaskOptions o;
  o.task_time_ms = 1'769'860'800'000;  // 2026-01-31T12:00:00Z
  auto batch =
      PhaseFireExecutions(Batch("cron=0 0 1 * *&for=720h&by=month", "{yyyy}-{mm}-{dd}"), o);
  ASSERT_OK(batch);
  // Jan 31 + 1 month is Mar 3 (Go's AddDate), past the range's end (Mar 2).
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0].info, "2026-01-31");
  auto plain = PhaseFireExecutions(Batch("cron=0 * * * *", "x"), o);
  ASSERT_OK(plain);
  ASSERT_EQ(plain->size(), 1u);
  EXPECT_EQ((*plain)[0].meta, "workflow=batch.toml&cron=2026-01-31T12");
  EXPECT_EQ(
      PhaseFireExecutions(Batch("cron=0 * * * *&for=-2000000h&by=hour", "x"), o).status().message(),
      "batch.toml: batch-date: the batch has more than 100000 tasks");
}

TEST(PhaseBatch, MetaFileLinesAreRowsRelativeToTheRoot) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.SetFile("/tree/test/presidents.json",
                       "{\"name\":\"george washington\",\"start\":1789,\"end\":1797}\n\n"
                       "{\"name\":\"john adams\",\"start\":1797,\"end\":1801}\n"));
  ASSERT_OK(fs.SetFile("/tree/test/bad.json", "{\"name\":\"x\"}\n[1,2]\n"));
  ASSERT_OK(fs.SetFile("/tree/test/empty.json", ""));
  PhaseTaskOptions o;
  o.task_time_ms = 1'768'471'200'000;  // 2026-01-15T10:00:00Z
  o.fs = &fs;
  o.root = "/tree";
  const std::string templ = "?president={meta:name}&start={meta:start}&end={meta:end}";
  auto batch =
      PhaseFireExecutions(Batch("cron=0 0 * * *&meta-file=test/presidents.json", templ), o);
  ASSERT_OK(batch);
  EXPECT_EQ(
      InfoAndMeta(batch),
      (std::vector<std::pair<std::string, std::string>>{
          {"?president=george washington&start=1789&end=1797",
           "cron=2026-01-15T10&end=1797&name=george washington&start=1789&workflow=batch.toml"},
          {"?president=john adams&start=1797&end=1801",
           "cron=2026-01-15T10&end=1801&name=john adams&start=1797&workflow=batch.toml"}}));
  auto globbed = PhaseFireExecutions(Batch("cron=0 0 * * *&meta-file=test/pres*.json", templ), o);
  ASSERT_OK(globbed);
  EXPECT_EQ(globbed->size(), 2u);
  auto empty = PhaseFireExecutions(Batch("cron=0 0 * * *&meta-file=test/empty.json", templ), o);
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(PhaseFireExecutions(Batch("cron=0 0 * * *&meta-file=test/bad.json", templ), o)
                .status()
                .message(),
            "batch.toml: batch-date: meta-file test/bad.json:2: not a JSON object");
  EXPECT_FALSE(PhaseFireExecutions(Batch("cron=0 0 * * *&meta-file=nope.json", templ), o).ok());
}

}  // namespace
}  // namespace flowsync::run

namespace flowsync::run {
namespace {

FoundPhase Child(std::string rule) {
  Phase p;
  p.task = "report";
  p.depends_on = "load";
  p.rule = std::move(rule);
  p.template_text = "?file={meta:file}&region={meta:region}";
  return {"etl.toml", p};
}

PhaseTaskOptions ChildOptions() {
  PhaseTaskOptions o;
  o.task_time_ms = 1'768'471'200'000;  // 2026-01-15T10:00:00Z
  o.trigger = Trigger::kWorkflow;
  o.parent_id = 7;
  // The parent's meta values, as the scheduler reads them.
  o.template_meta.Add("workflow", "etl.toml");
  o.template_meta.Add("cron", "2026-01-15T10");
  o.template_meta.Add("file", "a.csv");
  return o;
}

TEST(ChildBatch, WithoutMetaOneChildReadsTheParentsMeta) {
  auto children = ChildExecutions(Child(""), ChildOptions());
  ASSERT_OK(children);
  ASSERT_EQ(children->size(), 1u);
  EXPECT_EQ((*children)[0].info, "?file=a.csv&region=");
  EXPECT_EQ((*children)[0].meta, "workflow=etl.toml&cron=2026-01-15T10");
  EXPECT_EQ((*children)[0].parent_id, 7);
}

TEST(ChildBatch, TheRulesMetaIsMergedIntoTheParentsAndMustHaveItsLength) {
  auto one = ChildExecutions(Child("meta=region:eu"), ChildOptions());
  ASSERT_OK(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].info, "?file=a.csv&region=eu");
  // A child key replaces the parent's.
  auto replaced = ChildExecutions(Child("meta=file:b.csv"), ChildOptions());
  ASSERT_OK(replaced);
  EXPECT_EQ((*replaced)[0].info, "?file=b.csv&region=");
  // Two regions against the parent's one value of each key: flowlord's error.
  auto two = ChildExecutions(Child("meta=region:eu,us"), ChildOptions());
  EXPECT_EQ(two.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(two.status().message(),
            "etl.toml: report: inconsistent lengths in meta (the parent's values and the rule's "
            "meta= give region 2 values, not 1)");
}

TEST(ChildBatch, AMetaFileMakesOneChildPerLine) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.SetFile("/tree/regions.json", "{\"region\":\"eu\"}\n{\"region\":\"us\"}\n"));
  PhaseTaskOptions o = ChildOptions();
  o.fs = &fs;
  o.root = "/tree";
  auto children = ChildExecutions(Child("meta-file=regions.json"), o);
  ASSERT_OK(children);
  ASSERT_EQ(children->size(), 2u);
  EXPECT_EQ((*children)[0].info, "?file=&region=eu");
  EXPECT_EQ((*children)[1].info, "?file=&region=us");
  for (const NewExecution& e : *children) {
    EXPECT_EQ(e.meta, "workflow=etl.toml&cron=2026-01-15T10");
    EXPECT_EQ(e.task_time_ms, 1'768'471'200'000);
  }
}

}  // namespace
}  // namespace flowsync::run
