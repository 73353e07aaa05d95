#include "phase/next_fire.h"

#include <gtest/gtest.h>

#include "util/test_util.h"
#include "util/time_format.h"

namespace flowsync::phase {
namespace {

constexpr int64_t kJan15At1030 = 1705314600'000;  // 2024-01-15T10:30:00Z

FoundPhase Found(const std::string& rule, const std::string& template_text = "",
                 const std::string& depends_on = "") {
  FoundPhase f;
  f.file = "group/f.toml";
  f.phase.task = "t1";
  f.phase.rule = rule;
  f.phase.template_text = template_text;
  f.phase.depends_on = depends_on;
  return f;
}

std::string Text(std::chrono::sys_seconds t) {
  return FormatTimestampMs(t.time_since_epoch().count() * 1000);
}

NextFireOptions Utc(int count) {
  NextFireOptions o;
  o.count = count;
  o.utc_offset = nullptr;  // render in UTC
  return o;
}

TEST(NextFireTest, FiresAfterTheClocksNow) {
  ManualClock clock(kJan15At1030 + 999);  // the fraction of a second is dropped
  auto next =
      NextFireTimes(Found("cron=TZ=UTC 0 * * * *&offset=-1h", "s3://b/{yyyy}/{mm}/{dd}/{hh}.json"),
                    clock, Utc(3));
  ASSERT_OK(next);
  EXPECT_EQ(next->cron, "TZ=UTC 0 * * * *");
  EXPECT_EQ(next->time_zone, "UTC");
  ASSERT_EQ(next->fires.size(), 3u);
  EXPECT_EQ(Text(next->fires[0].fire), "2024-01-15T11:00:00.000Z");
  EXPECT_EQ(Text(next->fires[0].task_time), "2024-01-15T10:00:00.000Z");
  EXPECT_EQ(next->fires[0].info, "s3://b/2024/01/15/10.json");  // fire time plus the offset
  EXPECT_EQ(Text(next->fires[2].fire), "2024-01-15T13:00:00.000Z");
  EXPECT_EQ(next->fires[2].info, "s3://b/2024/01/15/12.json");

  clock.Set(kJan15At1030 + 3'600'000);  // moves with the clock
  EXPECT_EQ(Text(NextFireTimes(Found("cron=TZ=UTC 0 * * * *"), clock, Utc(1))->fires[0].fire),
            "2024-01-15T12:00:00.000Z");
}

TEST(NextFireTest, FewerWhenTheScheduleEnds) {
  ManualClock clock(kJan15At1030);
  auto none = NextFireTimes(Found("cron=TZ=UTC 0 0 30 2 *"), clock, Utc(5));
  ASSERT_OK(none);
  EXPECT_TRUE(none->fires.empty());
  auto zero = NextFireTimes(Found("cron=TZ=UTC 0 * * * *"), clock, Utc(0));
  ASSERT_OK(zero);
  EXPECT_TRUE(zero->fires.empty());
}

TEST(NextFireTest, Errors) {
  ManualClock clock(kJan15At1030);
  auto no_cron = NextFireTimes(Found("job=j", "", "t0"), clock);
  EXPECT_EQ(no_cron.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(no_cron.status().message(), "group/f.toml: t1 has no cron rule (it runs after t0)");
  EXPECT_EQ(NextFireTimes(Found("files=x/*"), clock).status().message(),
            "group/f.toml: t1 has no cron rule (it runs after files)");
  auto bad_rule = NextFireTimes(Found("cron=0 * * * *&offset=x"), clock);
  EXPECT_EQ(bad_rule.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_rule.status().message(),
            "group/f.toml: t1: invalid rule: offset: time: invalid duration \"x\"");
  auto bad_cron = NextFireTimes(Found("cron=0 * * *"), clock);
  EXPECT_EQ(bad_cron.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_cron.status().message(), "invalid cron: 0 * * * expected 5 or 6 fields, found 4");
}

}  // namespace
}  // namespace flowsync::phase
