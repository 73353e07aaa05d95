#include "run/file_trigger.h"

#include <gtest/gtest.h>

#include "util/test_util.h"
#include "util/time_format.h"

namespace flowsync::run {
namespace {

std::string TimeOf(std::string_view path) {
  auto t = PathTime(path);
  if (!t) return "none";
  return FormatTimestampMs(
      std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count());
}

TEST(FileTrigger, PathTimeAsFlowlordReadsIt) {
  EXPECT_EQ(TimeOf("s3://b/x/data_20260115T103045.csv"), "2026-01-15T10:30:45.000Z");
  EXPECT_EQ(TimeOf("s3://b/2026/01/15/10/data.csv"), "2026-01-15T10:00:00.000Z");
  EXPECT_EQ(TimeOf("/in/2026/01/15/data.csv"), "2026-01-15T00:00:00.000Z");
  EXPECT_EQ(TimeOf("/in/day-2026-01-15.csv"), "2026-01-15T00:00:00.000Z");
  EXPECT_EQ(TimeOf("/in/2026/02/x.csv"), "2026-02-01T00:00:00.000Z");
  EXPECT_EQ(TimeOf("/in/x.csv"), "none");
  EXPECT_EQ(TimeOf("/in/2026/13/45/x.csv"), "none");
}

TEST(FileTrigger, GlobsDoNotCrossSlashes) {
  EXPECT_TRUE(GlobMatches("s3:/bucket/path/*/*.txt", "s3:/bucket/path/a/b.txt"));
  EXPECT_FALSE(GlobMatches("s3:/bucket/path/*/*.txt", "s3:/bucket/path/a/c/b.txt"));
  EXPECT_FALSE(GlobMatches("s3:/bucket/path/*.txt", "s3:/bucket/path/a/b.txt"));
  EXPECT_TRUE(GlobMatches("/in/data_??.csv", "/in/data_01.csv"));
  EXPECT_TRUE(GlobMatches("/in/[a-c].csv", "/in/b.csv"));
  EXPECT_FALSE(GlobMatches("/in/[a-c].csv", "/in/d.csv"));
}

TEST(FileTrigger, AMatchingFileStartsItsPhasesWithFlowlordsMeta) {
  StoredPhaseFile f;
  f.key = "ingest.toml";
  Phase match;
  match.task = "load:csv";
  match.rule = "files=/in/*/*.csv&retry_delay=1s";
  match.template_text = "{yyyy}-{mm}-{dd}T{hh} {meta:filename}";
  Phase other;
  other.task = "other";
  other.rule = "files=/elsewhere/*";
  other.template_text = "x";
  Phase cron;
  cron.task = "tick";
  cron.rule = "cron=0 * * * *";
  cron.template_text = "y";
  f.phases = {match, other, cron};
  PhaseTaskOptions o;
  o.run_at_ms = 5;
  auto started = FileExecutions({f}, "/in/2026-01-15/part 1.csv", o);
  ASSERT_OK(started);
  ASSERT_EQ(started->size(), 1u);
  const NewExecution& e = (*started)[0];
  EXPECT_EQ(e.topic, "load");
  EXPECT_EQ(e.job, "csv");
  EXPECT_EQ(e.trigger, Trigger::kFiles);
  EXPECT_EQ(e.info, "2026-01-15T00 part 1.csv");
  EXPECT_EQ(e.meta,
            "file=/in/2026-01-15/part 1.csv&filename=part 1.csv&files=/in/*/*.csv&"
            "retry_delay=1s&workflow=ingest.toml");
  EXPECT_EQ(e.task_time_ms, std::optional<int64_t>(1'768'435'200'000));
  EXPECT_EQ(e.retry_delay_ms, 1000);
  auto none = FileExecutions({f}, "/in/x/y/z.csv", o);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace flowsync::run
