#include "flowsync/cron.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "cron/time_zone.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

using TimePoint = CronSchedule::TimePoint;

// "2026-03-08 01:30:00 -0500" (or "...Z") as an instant.
TimePoint At(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char zone[8] = {0};
  if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d:%d %7s", &y, &mo, &d, &h, &mi, &s, zone) != 7) {
    ADD_FAILURE() << "bad time " << text;
    return TimePoint{};
  }
  int64_t offset = 0;
  if (std::string(zone) != "Z") {
    const int v = std::atoi(zone + 1);
    offset = (v / 100 * 3600 + v % 100 * 60) * (zone[0] == '-' ? -1 : 1);
  }
  const int64_t local = cron::DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  return TimePoint(std::chrono::seconds(local - offset));
}

// An instant as wall-clock time and offset in `zone`: "2026-03-08 03:00:00 -0400".
std::string Show(std::optional<TimePoint> t, const std::string& zone) {
  if (!t) return "none";
  auto z = cron::TimeZone::Load(zone);
  if (!z.ok()) return "bad zone " + zone;
  const int64_t unix = t->time_since_epoch().count();
  const int32_t offset = (*z)->OffsetAt(unix);
  int64_t local = unix + offset;
  int64_t days = local / 86400 - (local % 86400 < 0 ? 1 : 0);
  const int64_t secs = local - days * 86400;
  const cron::CivilDay c = cron::CivilFromDays(days);
  const int off = offset < 0 ? -offset : offset;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d %02d:%02d:%02d %c%02d%02d",
                static_cast<long long>(c.year), c.month, c.day, static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
                offset < 0 ? '-' : '+', off / 3600, off / 60 % 60);
  return buf;
}

// The next `n` fire times of `spec` after `from`, shown in the spec's zone
// (UTC when it has none).
std::vector<std::string> NextN(const std::string& spec, const std::string& from, int n = 1) {
  auto s = CronSchedule::Parse(spec);
  if (!s.ok()) return {"error: " + s.status().message()};
  const std::string zone = s->time_zone().empty() ? "UTC" : s->time_zone();
  std::vector<std::string> out;
  std::optional<TimePoint> t = At(from);
  for (int i = 0; i < n && t; ++i) {
    t = s->Next(*t);
    out.push_back(Show(t, zone));
  }
  return out;
}

std::string Next1(const std::string& spec, const std::string& from) {
  return NextN(spec, from, 1).front();
}

std::string ParseError(const std::string& spec) {
  auto s = CronSchedule::Parse(spec);
  if (s.ok()) return "ok";
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << spec;
  return s.status().message();
}

// Sets $TZ for one scope (nullptr unsets it) and restores it after.
class ScopedTz {
 public:
  explicit ScopedTz(const char* value) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    if (value) {
      setenv("TZ", value, 1);
    } else {
      unsetenv("TZ");
    }
  }
  ~ScopedTz() {
    if (old_) {
      setenv("TZ", old_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
  }

 private:
  std::optional<std::string> old_;
};

// ---------------------------------------------------------------- parsing

TEST(CronParse, AcceptsEverySyntax) {
  for (const char* spec : {"* * * * *",
                           "0 * * * * *",
                           "*/5 * * * *",
                           "0 0 1-5 * *",
                           "0 0 1-20/5 * *",
                           "5/15 * * * *",
                           "0 0 1,15 * *",
                           "0 0 * JAN,jul *",
                           "0 0 * Jan-Mar *",
                           "0 0 * * MON-fri",
                           "0 0 * * sun,SAT",
                           "0 0 ? * *",
                           "0 0 * * ?",
                           "0 0 ? * ?",
                           "0 0 * * 0-6",
                           "0 9 * * 1-5/2",
                           "+5 * * * *",
                           "0 0 1,,15 * *",
                           "*-5 * * * *",
                           "  0   0 * *  *  ",
                           "0\t0\t*\t*\t*",
                           "@yearly",
                           "@annually",
                           "@monthly",
                           "@weekly",
                           "@daily",
                           "@midnight",
                           "@hourly",
                           "@every 1h30m",
                           "@every 90s",
                           "@every 1.5h",
                           "@every -2m",
                           "@every 0",
                           "@every 500ms",
                           "TZ=Europe/Berlin 0 * * * *",
                           "CRON_TZ=Asia/Kolkata @daily",
                           "TZ=UTC @every 1m",
                           "TZ=America/New_York   0 0 * * *"}) {
    EXPECT_EQ(ParseError(spec), "ok") << spec;
  }
}

TEST(CronParse, KeepsSpecAndZone) {
  auto s = CronSchedule::Parse("TZ=Europe/Berlin 0 * * * *");
  ASSERT_OK(s);
  EXPECT_EQ(s->spec(), "TZ=Europe/Berlin 0 * * * *");
  EXPECT_EQ(s->time_zone(), "Europe/Berlin");
  auto c = CronSchedule::Parse("CRON_TZ=Australia/Adelaide @hourly");
  ASSERT_OK(c);
  EXPECT_EQ(c->time_zone(), "Australia/Adelaide");
  auto local = CronSchedule::Parse("0 * * * *");
  ASSERT_OK(local);
  EXPECT_EQ(local->time_zone(), "");
  auto named_local = CronSchedule::Parse("TZ=Local 0 * * * *");
  ASSERT_OK(named_local);
  EXPECT_EQ(named_local->time_zone(), "");
  // Go's time.LoadLocation("") is UTC.
  auto empty = CronSchedule::Parse("TZ= 0 * * * *");
  ASSERT_OK(empty);
  EXPECT_EQ(empty->time_zone(), "UTC");
}

TEST(CronParse, ErrorTexts) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty spec"},
      {"   ", "expected 5 or 6 fields, found 0"},
      {"* * * *", "expected 5 or 6 fields, found 4"},
      {"* * * * * * *", "expected 5 or 6 fields, found 7"},
      {"abcdefg", "expected 5 or 6 fields, found 1"},
      {"60 * * * *", "minute: 60 is above the maximum 59"},
      {"60 * * * * *", "second: 60 is above the maximum 59"},
      {"0 60 * * * *", "minute: 60 is above the maximum 59"},
      {"* 24 * * *", "hour: 24 is above the maximum 23"},
      {"0 0 0 * *", "day of month: 0 is below the minimum 1"},
      {"0 0 32 * *", "day of month: 32 is above the maximum 31"},
      {"0 0 * 0 *", "month: 0 is below the minimum 1"},
      {"0 0 * 13 *", "month: 13 is above the maximum 12"},
      {"0 0 * * 7", "day of week: 7 is above the maximum 6"},
      {"0 0 * * 1-7", "day of week: 7 is above the maximum 6"},
      {"0 0 * * 5-0", "day of week: range '5-0' starts after it ends"},
      {"0 0 * * fri-mon", "day of week: range 'fri-mon' starts after it ends"},
      {"5-3 * * * *", "minute: range '5-3' starts after it ends"},
      {"x * * * *", "minute: 'x' is not a number"},
      {"1.5 * * * *", "minute: '1.5' is not a number"},
      {"0 0 * foo *", "month: 'foo' is not a number or month name"},
      {"0 0 * january *", "month: 'january' is not a number or month name"},
      {"0 0 * jan-foo *", "month: 'foo' is not a number or month name"},
      {"0 0 * * monday", "day of week: 'monday' is not a number or day name"},
      {"0 0 * * XYZ", "day of week: 'XYZ' is not a number or day name"},
      {"0 jan * * *", "hour: 'jan' is not a number"},
      {"1-2-3 * * * *", "minute: too many '-' in '1-2-3'"},
      {"*/2/3 * * * *", "minute: too many '/' in '*/2/3'"},
      {"*/0 * * * *", "minute: step must be at least 1 in '*/0'"},
      {"15/0 * * * *", "minute: step must be at least 1 in '15/0'"},
      {"*/-1 * * * *", "minute: step must be at least 1 in '*/-1'"},
      {"*/x * * * *", "minute: step 'x' is not a number"},
      {"*/ * * * *", "minute: missing step in '*/'"},
      {"1- * * * *", "minute: missing number in '1-'"},
      {"-5 * * * *", "minute: missing number in '-5'"},
      {"99999999999999999999 * * * *", "minute: '99999999999999999999' is not a number"},
      {"TZ=Mars/Base 0 * * * *", "unknown time zone 'Mars/Base'"},
      {"CRON_TZ=Mars/Base 0 * * * *", "unknown time zone 'Mars/Base'"},
      {"TZ=../../etc/passwd 0 * * * *", "unknown time zone '../../etc/passwd'"},
      {"TZ=/etc/localtime 0 * * * *", "unknown time zone '/etc/localtime'"},
      {"TZ=America 0 * * * *", "unknown time zone 'America'"},
      {"TZ=zone.tab 0 * * * *", "unknown time zone 'zone.tab'"},
      {"TZ=Europe/Berlin", "missing schedule after 'TZ=Europe/Berlin'"},
      {"TZ=Europe/Berlin 0 * * *", "expected 5 or 6 fields, found 4"},
      {"@fortnightly", "unknown descriptor '@fortnightly'"},
      {"@Daily", "unknown descriptor '@Daily'"},
      {"@daily ", "unknown descriptor '@daily '"},
      {"@every", "unknown descriptor '@every'"},
      // Go's own texts (util/go_duration.h), as robfig reports them.
      {"@every ", "@every: time: invalid duration \"\""},
      {"@every 1x", "@every: time: unknown unit \"x\" in duration \"1x\""},
      {"@every 10", "@every: time: missing unit in duration \"10\""},
      {"@every 1h 30m", "@every: time: unknown unit \"h \" in duration \"1h 30m\""},
      {"@every .s", "@every: time: invalid duration \".s\""},
      {"@every 3000000h", "@every: time: invalid duration \"3000000h\""},
      {" @daily", "expected 5 or 6 fields, found 1"},
  };
  for (const auto& [spec, want] : cases) EXPECT_EQ(ParseError(spec), want) << "spec: " << spec;
}

// ------------------------------------------------------ fixed examples (UTC)

TEST(CronNext, StrictlyAfterAndSeconds) {
  EXPECT_EQ(NextN("TZ=UTC * * * * *", "2026-01-01 00:00:00 Z", 2),
            (std::vector<std::string>{"2026-01-01 00:01:00 +0000", "2026-01-01 00:02:00 +0000"}));
  EXPECT_EQ(Next1("TZ=UTC * * * * *", "2026-01-01 00:00:59 Z"), "2026-01-01 00:01:00 +0000");
  EXPECT_EQ(NextN("TZ=UTC */20 * * * * *", "2026-01-01 00:00:00 Z", 3),
            (std::vector<std::string>{"2026-01-01 00:00:20 +0000", "2026-01-01 00:00:40 +0000",
                                      "2026-01-01 00:01:00 +0000"}));
  EXPECT_EQ(Next1("TZ=UTC 0 * * * * *", "2012-12-31 23:59:45 Z"), "2013-01-01 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 30 15 10 * * *", "2026-11-22 10:15:30 Z"), "2026-11-23 10:15:30 +0000");
}

TEST(CronNext, RangesStepsListsNames) {
  EXPECT_EQ(NextN("TZ=UTC 5/20 * * * *", "2026-01-01 00:00:00 Z", 4),
            (std::vector<std::string>{"2026-01-01 00:05:00 +0000", "2026-01-01 00:25:00 +0000",
                                      "2026-01-01 00:45:00 +0000", "2026-01-01 01:05:00 +0000"}));
  EXPECT_EQ(NextN("TZ=UTC 0 8-17/4 * * *", "2026-01-01 09:00:00 Z", 3),
            (std::vector<std::string>{"2026-01-01 12:00:00 +0000", "2026-01-01 16:00:00 +0000",
                                      "2026-01-02 08:00:00 +0000"}));
  EXPECT_EQ(NextN("TZ=UTC 0 0 1 jan,JUL *", "2026-02-01 00:00:00 Z", 2),
            (std::vector<std::string>{"2026-07-01 00:00:00 +0000", "2027-01-01 00:00:00 +0000"}));
  // 2026-11-21 is a Saturday.
  EXPECT_EQ(NextN("TZ=UTC 0 9 * * Mon-FRI", "2026-11-21 10:00:00 Z", 2),
            (std::vector<std::string>{"2026-11-23 09:00:00 +0000", "2026-11-24 09:00:00 +0000"}));
  EXPECT_EQ(Next1("TZ=UTC 0 9 * * 0", "2026-11-21 10:00:00 Z"), "2026-11-22 09:00:00 +0000");
  // Quirks kept from robfig: "*-5" is "*", empty list items are skipped.
  EXPECT_EQ(Next1("TZ=UTC *-5 * * * *", "2026-01-01 00:10:00 Z"), "2026-01-01 00:11:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 10,,40 * * * *", "2026-01-01 00:10:00 Z"), "2026-01-01 00:40:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC , * * * *", "2026-01-01 00:10:00 Z"), "none");
  EXPECT_EQ(Next1("TZ=UTC 0 0 , * *", "2026-01-01 00:10:00 Z"), "none");
}

TEST(CronNext, MonthEnds) {
  EXPECT_EQ(Next1("TZ=UTC 0 0 1 * *", "2026-01-31 12:00:00 Z"), "2026-02-01 00:00:00 +0000");
  EXPECT_EQ(NextN("TZ=UTC 0 0 31 * *", "2026-01-31 00:00:00 Z", 6),
            (std::vector<std::string>{"2026-03-31 00:00:00 +0000", "2026-05-31 00:00:00 +0000",
                                      "2026-07-31 00:00:00 +0000", "2026-08-31 00:00:00 +0000",
                                      "2026-10-31 00:00:00 +0000", "2026-12-31 00:00:00 +0000"}));
  EXPECT_EQ(NextN("TZ=UTC 0 0 30 * *", "2026-01-30 00:00:00 Z", 2),
            (std::vector<std::string>{"2026-03-30 00:00:00 +0000", "2026-04-30 00:00:00 +0000"}));
  EXPECT_EQ(Next1("TZ=UTC 59 23 * * *", "2026-12-31 23:59:00 Z"), "2027-01-01 23:59:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 0 31 Apr ?", "2012-07-09 23:35:00 Z"), "none");
  EXPECT_EQ(Next1("TZ=UTC 0 0 30 2 *", "2026-01-01 00:00:00 Z"), "none");
}

TEST(CronNext, LeapYears) {
  EXPECT_EQ(NextN("TZ=UTC 0 0 29 2 *", "2025-03-01 00:00:00 Z", 3),
            (std::vector<std::string>{"2028-02-29 00:00:00 +0000", "2032-02-29 00:00:00 +0000",
                                      "2036-02-29 00:00:00 +0000"}));
  EXPECT_EQ(Next1("TZ=UTC 0 0 29 2 *", "1999-01-01 00:00:00 Z"), "2000-02-29 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 0 29 Feb ?", "2012-07-09 23:35:00 Z"), "2016-02-29 00:00:00 +0000");
  // 2100 is not a leap year: after 2096 the next Feb 29 is in 2104, past
  // the search limit (end of the fifth year after the start).
  EXPECT_EQ(Next1("TZ=UTC 0 0 29 2 *", "2096-03-01 00:00:00 Z"), "none");
  EXPECT_EQ(Next1("TZ=UTC 0 0 29 2 *", "2099-03-01 00:00:00 Z"), "2104-02-29 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 28 2 *", "2100-02-28 00:00:00 Z"), "2101-02-28 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 1 3 *", "2024-02-28 12:00:00 Z"), "2024-03-01 00:00:00 +0000");
}

TEST(CronNext, DayOfMonthOrDayOfWeek) {
  // Both restricted: either matches. 2026-11-06, -13, -20, -27 are Fridays.
  EXPECT_EQ(NextN("TZ=UTC 0 0 13 * FRI", "2026-11-01 00:00:00 Z", 6),
            (std::vector<std::string>{"2026-11-06 00:00:00 +0000", "2026-11-13 00:00:00 +0000",
                                      "2026-11-20 00:00:00 +0000", "2026-11-27 00:00:00 +0000",
                                      "2026-12-04 00:00:00 +0000", "2026-12-11 00:00:00 +0000"}));
  // Either '*': both must match.
  EXPECT_EQ(Next1("TZ=UTC 0 0 13 * *", "2026-11-01 00:00:00 Z"), "2026-11-13 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 * * FRI", "2026-11-01 00:00:00 Z"), "2026-11-06 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 ? * FRI", "2026-11-01 00:00:00 Z"), "2026-11-06 00:00:00 +0000");
  // "*/1" keeps the star, "*/2" and "1-31" do not.
  EXPECT_EQ(Next1("TZ=UTC 0 0 */1 * MON", "2026-11-02 00:00:00 Z"), "2026-11-09 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 * * MON", "2026-11-02 00:00:00 Z"), "2026-11-09 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 *,5 * MON", "2026-11-02 00:00:00 Z"), "2026-11-09 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 1-31 * MON", "2026-11-02 00:00:00 Z"), "2026-11-03 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 13 * 0-6", "2026-11-02 00:00:00 Z"), "2026-11-03 00:00:00 +0000");
  EXPECT_EQ(NextN("TZ=UTC 0 0 */10 * MON", "2026-11-01 00:00:00 Z", 3),
            (std::vector<std::string>{"2026-11-02 00:00:00 +0000", "2026-11-09 00:00:00 +0000",
                                      "2026-11-11 00:00:00 +0000"}));
  // From robfig's own suite:
  EXPECT_EQ(Next1("TZ=UTC 0 0 0 */5 Apr,Aug,Oct Mon", "2012-07-09 23:35:00 Z"),
            "2012-08-01 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 0 */5 Oct Mon", "2012-07-09 23:35:00 Z"),
            "2012-10-01 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 0 * Feb Mon", "2012-07-09 23:35:00 Z"), "2013-02-04 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 0 * Feb Mon/2", "2012-07-09 23:35:00 Z"),
            "2013-02-01 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 0 0 0 9 Apr-Oct ?", "2012-07-09 23:35:00 Z"),
            "2012-08-09 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC 15/35 20-35/15 * 9-20 Jul *", "2012-07-09 23:35:51 Z"),
            "2012-07-10 00:20:15 +0000");
}

TEST(CronNext, Descriptors) {
  // 2026-11-22 is a Sunday.
  const std::string from = "2026-11-22 10:30:00 Z";
  EXPECT_EQ(Next1("TZ=UTC @hourly", from), "2026-11-22 11:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC @daily", from), "2026-11-23 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC @midnight", from), "2026-11-23 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC @weekly", from), "2026-11-29 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC @monthly", from), "2026-12-01 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC @yearly", from), "2027-01-01 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=UTC @annually", from), "2027-01-01 00:00:00 +0000");
  EXPECT_EQ(Next1("TZ=Asia/Kolkata @daily", from), "2026-11-23 00:00:00 +0530");
  EXPECT_EQ(Next1("TZ=Australia/Adelaide @monthly", from), "2026-12-01 00:00:00 +1030");
}

TEST(CronNext, Every) {
  const std::string from = "2026-11-22 10:30:07 Z";
  EXPECT_EQ(NextN("@every 1h30m", from, 2),
            (std::vector<std::string>{"2026-11-22 12:00:07 +0000", "2026-11-22 13:30:07 +0000"}));
  EXPECT_EQ(Next1("@every 90s", from), "2026-11-22 10:31:37 +0000");
  EXPECT_EQ(Next1("@every 1.5h", from), "2026-11-22 12:00:07 +0000");
  // Fractions of a second are dropped; under a second is one second.
  EXPECT_EQ(Next1("@every 2.9s", from), "2026-11-22 10:30:09 +0000");
  EXPECT_EQ(Next1("@every 500ms", from), "2026-11-22 10:30:08 +0000");
  EXPECT_EQ(Next1("@every 0", from), "2026-11-22 10:30:08 +0000");
  EXPECT_EQ(Next1("@every -2m", from), "2026-11-22 10:30:08 +0000");
  // No 5-year limit and no time zone: an interval is an interval.
  EXPECT_EQ(Next1("@every 87600h", from), "2036-11-19 10:30:07 +0000");
  EXPECT_EQ(Next1("TZ=America/New_York @every 24h", "2026-03-07 12:00:00 -0500"),
            "2026-03-08 13:00:00 -0400");
}

TEST(CronNext, LocalZoneIsTzVariable) {
  {
    ScopedTz tz("America/New_York");
    auto s = CronSchedule::Parse("0 12 * * *");
    ASSERT_OK(s);
    EXPECT_EQ(s->time_zone(), "");
    EXPECT_EQ(Show(s->Next(At("2026-07-01 00:00:00 Z")), "UTC"), "2026-07-01 16:00:00 +0000");
    EXPECT_EQ(Show(s->Next(At("2026-12-01 00:00:00 Z")), "UTC"), "2026-12-01 17:00:00 +0000");
  }
  {
    ScopedTz tz(":Asia/Kolkata");
    auto s = CronSchedule::Parse("0 12 * * *");
    ASSERT_OK(s);
    EXPECT_EQ(Show(s->Next(At("2026-07-01 00:00:00 Z")), "UTC"), "2026-07-01 06:30:00 +0000");
  }
  for (const char* utc : {"", "UTC", "No/Such_Zone"}) {
    ScopedTz tz(utc);
    auto s = CronSchedule::Parse("0 12 * * *");
    ASSERT_OK(s);
    EXPECT_EQ(Show(s->Next(At("2026-07-01 00:00:00 Z")), "UTC"), "2026-07-01 12:00:00 +0000")
        << "TZ=" << utc;
  }
  {
    // TZ=Local in the spec is the process's zone too.
    ScopedTz tz("Europe/Berlin");
    auto s = CronSchedule::Parse("TZ=Local 0 12 * * *");
    ASSERT_OK(s);
    EXPECT_EQ(Show(s->Next(At("2026-07-01 00:00:00 Z")), "UTC"), "2026-07-01 10:00:00 +0000");
  }
}

TEST(CronNext, FarInstants) {
  auto s = CronSchedule::Parse("TZ=UTC 0 0 1 1 *");
  ASSERT_OK(s);
  EXPECT_EQ(Show(s->Next(At("1900-06-01 00:00:00 Z")), "UTC"), "1901-01-01 00:00:00 +0000");
  EXPECT_FALSE(s->Next(TimePoint::max()).has_value());
  EXPECT_FALSE(s->Next(TimePoint::min()).has_value());
  auto every = CronSchedule::Parse("@every 1s");
  ASSERT_OK(every);
  EXPECT_FALSE(every->Next(TimePoint::max()).has_value());
}

// Many steps in a row, across several DST changes: every answer is later
// than the previous one, its wall-clock time matches the spec, and no match
// in between was skipped (checked against a brute-force minute scan).
TEST(CronNext, ManyStepsAgreeWithBruteForce) {
  struct Case {
    const char* zone;
    const char* fields;
    bool (*matches)(int minute, int hour, int day, int weekday);
  };
  const Case cases[] = {
      {"America/New_York", "*/20 1-3 * * *",
       [](int mi, int h, int, int) { return mi % 20 == 0 && h >= 1 && h <= 3; }},
      {"Europe/Berlin", "30 2 * * 0,6",
       [](int mi, int h, int, int wd) { return mi == 30 && h == 2 && (wd == 0 || wd == 6); }},
      {"Australia/Adelaide", "15,45 * 1,15 * *",
       [](int mi, int, int d, int) { return (mi == 15 || mi == 45) && (d == 1 || d == 15); }},
      {"Asia/Kolkata", "0 */5 * * *",
       [](int mi, int h, int, int) { return mi == 0 && h % 5 == 0; }},
  };
  for (const Case& c : cases) {
    auto s = CronSchedule::Parse(std::string("TZ=") + c.zone + " " + c.fields);
    ASSERT_OK(s);
    auto zone = cron::TimeZone::Load(c.zone);
    ASSERT_OK(zone);
    const int64_t begin = At("2026-01-01 00:00:00 Z").time_since_epoch().count();
    const int64_t end = At("2028-01-01 00:00:00 Z").time_since_epoch().count();
    // The brute force: every minute of two years, read on the wall clock.
    std::vector<int64_t> want;
    for (int64_t t = begin + 60; t <= end; t += 60) {
      const int64_t local = t + (*zone)->OffsetAt(t);
      const int64_t days = local / 86400;
      const int64_t secs = local % 86400;
      const cron::CivilDay day = cron::CivilFromDays(days);
      if (c.matches(static_cast<int>(secs / 60 % 60), static_cast<int>(secs / 3600), day.day,
                    static_cast<int>((days + 4) % 7))) {
        want.push_back(t);
      }
    }
    std::vector<int64_t> got;
    std::optional<TimePoint> t = TimePoint(std::chrono::seconds(begin));
    while ((t = s->Next(*t)) && t->time_since_epoch().count() <= end) {
      got.push_back(t->time_since_epoch().count());
    }
    EXPECT_EQ(got, want) << c.zone << " " << c.fields;
    EXPECT_GT(got.size(), 100u) << c.zone << " " << c.fields;
  }
}

// ---------------------------------------------------------- daylight saving

// New York 2026: 03-08 02:00 EST -> 03:00 EDT; 11-01 02:00 EDT -> 01:00 EST.
TEST(CronDst, NewYorkSpringForward) {
  const std::string ny = "TZ=America/New_York ";
  // 02:30 does not exist on 03-08: that day has no run.
  EXPECT_EQ(NextN(ny + "30 2 * * *", "2026-03-07 12:00:00 -0500", 2),
            (std::vector<std::string>{"2026-03-09 02:30:00 -0400", "2026-03-10 02:30:00 -0400"}));
  EXPECT_EQ(NextN(ny + "0 * * * *", "2026-03-08 00:30:00 -0500", 3),
            (std::vector<std::string>{"2026-03-08 01:00:00 -0500", "2026-03-08 03:00:00 -0400",
                                      "2026-03-08 04:00:00 -0400"}));
  EXPECT_EQ(NextN(ny + "*/30 * * * *", "2026-03-08 01:00:00 -0500", 2),
            (std::vector<std::string>{"2026-03-08 01:30:00 -0500", "2026-03-08 03:00:00 -0400"}));
  EXPECT_EQ(NextN(ny + "0 0 * * *", "2026-03-07 00:00:00 -0500", 2),
            (std::vector<std::string>{"2026-03-08 00:00:00 -0500", "2026-03-09 00:00:00 -0400"}));
  EXPECT_EQ(Next1(ny + "0 3 * * *", "2026-03-08 00:00:00 -0500"), "2026-03-08 03:00:00 -0400");
  // robfig's own cases (2012-03-11).
  EXPECT_EQ(Next1(ny + "0 30 2 11 Mar ?", "2012-03-11 00:00:00 -0500"),
            "2013-03-11 02:30:00 -0400");
  EXPECT_EQ(Next1(ny + "0 0 2 * * ?", "2012-03-11 00:00:00 -0500"), "2012-03-12 02:00:00 -0400");
  EXPECT_EQ(Next1(ny + "0 0 1 * * ?", "2012-03-11 01:00:00 -0500"), "2012-03-12 01:00:00 -0400");
  EXPECT_EQ(Next1("CRON_TZ=America/New_York 0 0 * * * ?", "2012-03-11 01:00:00 -0500"),
            "2012-03-11 03:00:00 -0400");
}

TEST(CronDst, NewYorkFallBack) {
  const std::string ny = "TZ=America/New_York ";
  // 01:30 happens twice on 11-01 and runs twice.
  EXPECT_EQ(NextN(ny + "30 1 * * *", "2026-10-31 12:00:00 -0400", 3),
            (std::vector<std::string>{"2026-11-01 01:30:00 -0400", "2026-11-01 01:30:00 -0500",
                                      "2026-11-02 01:30:00 -0500"}));
  EXPECT_EQ(NextN(ny + "0 * * * *", "2026-11-01 00:30:00 -0400", 3),
            (std::vector<std::string>{"2026-11-01 01:00:00 -0400", "2026-11-01 01:00:00 -0500",
                                      "2026-11-01 02:00:00 -0500"}));
  EXPECT_EQ(NextN(ny + "0 2 * * *", "2026-11-01 00:00:00 -0400", 2),
            (std::vector<std::string>{"2026-11-01 02:00:00 -0500", "2026-11-02 02:00:00 -0500"}));
  // Started inside the first 01:xx, the second one is next.
  EXPECT_EQ(Next1(ny + "15 1 * * *", "2026-11-01 01:20:00 -0400"), "2026-11-01 01:15:00 -0500");
  // robfig's own cases (2012-11-04).
  EXPECT_EQ(Next1(ny + "0 30 2 04 Nov ?", "2012-11-04 00:00:00 -0400"),
            "2012-11-04 02:30:00 -0500");
  EXPECT_EQ(Next1(ny + "0 30 1 04 Nov ?", "2012-11-04 01:45:00 -0400"),
            "2012-11-04 01:30:00 -0500");
  EXPECT_EQ(Next1(ny + "0 0 3 3 * ?", "2012-11-04 00:00:00 -0400"), "2012-12-03 03:00:00 -0500");
  EXPECT_EQ(Next1(ny + "0 0 3 * * ?", "2012-11-04 00:00:00 -0400"), "2012-11-04 03:00:00 -0500");
}

// Berlin 2026: 03-29 02:00 CET -> 03:00 CEST; 10-25 03:00 CEST -> 02:00 CET.
TEST(CronDst, BerlinSpringForward) {
  const std::string be = "TZ=Europe/Berlin ";
  EXPECT_EQ(NextN(be + "30 2 * * *", "2026-03-28 12:00:00 +0100", 2),
            (std::vector<std::string>{"2026-03-30 02:30:00 +0200", "2026-03-31 02:30:00 +0200"}));
  EXPECT_EQ(NextN(be + "0 * * * *", "2026-03-29 00:30:00 +0100", 3),
            (std::vector<std::string>{"2026-03-29 01:00:00 +0100", "2026-03-29 03:00:00 +0200",
                                      "2026-03-29 04:00:00 +0200"}));
  EXPECT_EQ(Next1(be + "0 2-3 29 3 *", "2026-03-29 00:00:00 +0100"), "2026-03-29 03:00:00 +0200");
}

TEST(CronDst, BerlinFallBack) {
  const std::string be = "TZ=Europe/Berlin ";
  EXPECT_EQ(NextN(be + "30 2 * * *", "2026-10-24 12:00:00 +0200", 3),
            (std::vector<std::string>{"2026-10-25 02:30:00 +0200", "2026-10-25 02:30:00 +0100",
                                      "2026-10-26 02:30:00 +0100"}));
  EXPECT_EQ(NextN(be + "0 * * * *", "2026-10-25 01:30:00 +0200", 3),
            (std::vector<std::string>{"2026-10-25 02:00:00 +0200", "2026-10-25 02:00:00 +0100",
                                      "2026-10-25 03:00:00 +0100"}));
  EXPECT_EQ(Next1(be + "15 2 * * *", "2026-10-25 02:20:00 +0200"), "2026-10-25 02:15:00 +0100");
  EXPECT_EQ(NextN(be + "0 0 * * *", "2026-10-24 00:00:00 +0200", 2),
            (std::vector<std::string>{"2026-10-25 00:00:00 +0200", "2026-10-26 00:00:00 +0100"}));
}

// Adelaide (+09:30/+10:30), 2026: 04-05 03:00 ACDT -> 02:00 ACST;
// 10-04 02:00 ACST -> 03:00 ACDT.
TEST(CronDst, AdelaideHalfHourZone) {
  const std::string ad = "TZ=Australia/Adelaide ";
  EXPECT_EQ(NextN(ad + "30 2 * * *", "2026-10-03 12:00:00 +0930", 2),
            (std::vector<std::string>{"2026-10-05 02:30:00 +1030", "2026-10-06 02:30:00 +1030"}));
  EXPECT_EQ(NextN(ad + "0 * * * *", "2026-10-04 00:30:00 +0930", 2),
            (std::vector<std::string>{"2026-10-04 01:00:00 +0930", "2026-10-04 03:00:00 +1030"}));
  EXPECT_EQ(NextN(ad + "30 2 * * *", "2026-04-04 12:00:00 +1030", 3),
            (std::vector<std::string>{"2026-04-05 02:30:00 +1030", "2026-04-05 02:30:00 +0930",
                                      "2026-04-06 02:30:00 +0930"}));
  EXPECT_EQ(NextN(ad + "*/45 * * * *", "2026-04-05 02:00:00 +1030", 4),
            (std::vector<std::string>{"2026-04-05 02:45:00 +1030", "2026-04-05 02:00:00 +0930",
                                      "2026-04-05 02:45:00 +0930", "2026-04-05 03:00:00 +0930"}));
}

TEST(CronDst, KolkataHasNone) {
  const std::string ko = "TZ=Asia/Kolkata ";
  // 04:00 UTC is 09:30 IST.
  EXPECT_EQ(Next1(ko + "0 9 * * *", "2026-11-22 04:00:00 Z"), "2026-11-23 09:00:00 +0530");
  EXPECT_EQ(NextN(ko + "0 0 1 * *", "2026-12-15 00:00:00 Z", 2),
            (std::vector<std::string>{"2027-01-01 00:00:00 +0530", "2027-02-01 00:00:00 +0530"}));
  EXPECT_EQ(Next1(ko + "14 14 * * *", "2016-01-03 13:09:03 +0530"), "2016-01-03 14:14:00 +0530");
}

// Casablanca started DST at midnight on 2008-06-01 (00:00 -> 01:00): a month
// search that passes that day continues from its 01:00 and keeps the clock
// time (robfig steps months with Go's AddDate).
TEST(CronDst, CasablancaMidnightMonthStart) {
  const std::string ca = "TZ=Africa/Casablanca ";
  EXPECT_EQ(Next1(ca + "0 * * 7 *", "2008-06-01 08:00:00 +0100"), "2008-07-01 01:00:00 +0100");
  EXPECT_EQ(Next1(ca + "0 * * 7 *", "2008-05-31 08:00:00 +0000"), "2008-07-01 01:00:00 +0100");
  EXPECT_EQ(Next1(ca + "0 * * 7 *", "2008-06-30 08:00:00 +0100"), "2008-07-01 01:00:00 +0100");
  EXPECT_EQ(Next1(ca + "0 * * 7 *", "2007-08-01 00:00:00 +0000"), "2008-07-01 01:00:00 +0100");
  EXPECT_EQ(Next1(ca + "0 * * 8 *", "2008-07-15 08:00:00 +0100"), "2008-08-01 00:00:00 +0100");
  EXPECT_EQ(Next1(ca + "0 0 * * *", "2008-05-31 08:00:00 +0000"), "2008-06-02 00:00:00 +0100");
}

// Samoa skipped 2011-12-30 (23:59:59 -10 was followed by 00:00 +14 on the
// 31st). robfig loops forever on a day search across it; flowsync moves on.
TEST(CronDst, ApiaSkippedDay) {
  const std::string ap = "TZ=Pacific/Apia ";
  EXPECT_EQ(Next1(ap + "0 12 30 12 *", "2011-12-01 00:00:00 -1000"), "2012-12-30 12:00:00 +1400");
  EXPECT_EQ(Next1(ap + "0 12 * * *", "2011-12-29 12:00:00 -1000"), "2011-12-31 12:00:00 +1400");
  EXPECT_EQ(Next1(ap + "0 0 * * 6", "2011-12-28 00:00:00 -1000"), "2011-12-31 00:00:00 +1400");
  EXPECT_EQ(Next1(ap + "0 0 * * 5", "2011-12-28 00:00:00 -1000"), "2012-01-06 00:00:00 +1400");
}

// Where midnight is skipped (Sao Paulo until 2019): robfig's own cases.
TEST(CronDst, SaoPauloMidnightGap) {
  const std::string sp = "TZ=America/Sao_Paulo ";
  EXPECT_EQ(
      Show(CronSchedule::Parse(sp + "0 0 9 10 * ?")->Next(At("2018-10-17 05:00:00 -0400")), "UTC"),
      "2018-11-10 11:00:00 +0000");
  EXPECT_EQ(
      Show(CronSchedule::Parse(sp + "0 0 9 22 * ?")->Next(At("2018-02-14 05:00:00 -0500")), "UTC"),
      "2018-02-22 12:00:00 +0000");
  // 2018-11-04 00:00 does not exist (00:00 -03 -> 01:00 -02).
  EXPECT_EQ(Next1(sp + "0 12 * * *", "2018-11-03 13:00:00 -0300"), "2018-11-04 12:00:00 -0200");
  EXPECT_EQ(Next1(sp + "0 0 * * *", "2018-11-03 12:00:00 -0300"), "2018-11-05 00:00:00 -0200");
  EXPECT_EQ(Next1(sp + "0 1 * * *", "2018-11-03 12:00:00 -0300"), "2018-11-04 01:00:00 -0200");
  EXPECT_EQ(Next1(sp + "0 0 4,5 11 *", "2018-10-20 12:00:00 -0300"), "2018-11-05 00:00:00 -0200");
  EXPECT_EQ(Next1(sp + "0 1 4 11 *", "2018-10-20 12:00:00 -0300"), "2018-11-04 01:00:00 -0200");
}

}  // namespace
}  // namespace flowsync
