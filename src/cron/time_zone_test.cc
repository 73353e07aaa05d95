#include "cron/time_zone.h"

#include <gtest/gtest.h>

#include <string>

#include "util/test_util.h"

namespace flowsync::cron {
namespace {

int64_t Utc(int64_t y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

std::shared_ptr<const TimeZone> Zone(const std::string& name) {
  auto z = TimeZone::Load(name);
  EXPECT_TRUE(z.ok()) << z.status().ToString();
  return z.ok() ? *z : TimeZone::Utc();
}

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

// A TZif v2 file with no transitions, one time type and a footer rule: all
// its offsets come from the rule.
std::string RuleOnlyTzif(int32_t offset, const std::string& abbr, const std::string& footer) {
  std::string block_header = "TZif2" + std::string(15, '\0');
  std::string counts;
  for (uint32_t c : {0u, 0u, 0u, 0u, 1u, static_cast<uint32_t>(abbr.size() + 1)}) {
    PutU32(counts, c);
  }
  std::string data;
  PutU32(data, static_cast<uint32_t>(offset));
  data.push_back('\0');  // isdst
  data.push_back('\0');  // abbreviation index
  data += abbr + '\0';
  std::string file = block_header + counts + data;  // v1 block
  file += block_header + counts + data;             // v2 block
  file += "\n" + footer + "\n";
  return file;
}

TEST(CronTimeZone, CivilCalendar) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1, 1, 1), -719162);
  for (int64_t days : {-719162LL, -1LL, 0LL, 11016LL, 11017LL, 2932896LL}) {
    CivilDay c = CivilFromDays(days);
    EXPECT_EQ(DaysFromCivil(c.year, c.month, c.day), days);
  }
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_FALSE(IsLeapYear(2100));
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
  EXPECT_EQ(DaysInMonth(2026, 4), 30);
}

TEST(CronTimeZone, KnownTransitions) {
  auto ny = Zone("America/New_York");
  EXPECT_EQ(ny->OffsetAt(Utc(2026, 3, 8, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ(ny->OffsetAt(Utc(2026, 3, 8, 7)), -4 * 3600);
  EXPECT_EQ(ny->OffsetAt(Utc(2026, 11, 1, 5, 59, 59)), -4 * 3600);
  EXPECT_EQ(ny->OffsetAt(Utc(2026, 11, 1, 6)), -5 * 3600);
  // Far past every table: the footer rule (second Sunday of March 2100 is
  // the 14th).
  EXPECT_EQ(ny->OffsetAt(Utc(2100, 3, 14, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ(ny->OffsetAt(Utc(2100, 3, 14, 7)), -4 * 3600);
  // Before the first transition: local mean time, as Go has it.
  EXPECT_EQ(ny->OffsetAt(Utc(1800, 1, 1)), -17762);

  auto berlin = Zone("Europe/Berlin");
  EXPECT_EQ(berlin->OffsetAt(Utc(2026, 3, 29, 0, 59, 59)), 3600);
  EXPECT_EQ(berlin->OffsetAt(Utc(2026, 3, 29, 1)), 7200);
  EXPECT_EQ(berlin->OffsetAt(Utc(2026, 10, 25, 0, 59, 59)), 7200);
  EXPECT_EQ(berlin->OffsetAt(Utc(2026, 10, 25, 1)), 3600);

  // Adelaide: first Sunday of October 2040 is the 7th; 02:00 ACST is
  // 16:30 UTC the day before.
  auto adelaide = Zone("Australia/Adelaide");
  EXPECT_EQ(adelaide->OffsetAt(Utc(2040, 10, 6, 16, 29, 59)), 34200);
  EXPECT_EQ(adelaide->OffsetAt(Utc(2040, 10, 6, 16, 30)), 37800);
  EXPECT_EQ(adelaide->OffsetAt(Utc(2026, 7, 1)), 34200);

  EXPECT_EQ(Zone("Asia/Kolkata")->OffsetAt(Utc(2030, 1, 1)), 19800);
  EXPECT_EQ(Zone("UTC")->OffsetAt(Utc(2030, 1, 1)), 0);
  EXPECT_EQ(TimeZone::Utc()->name(), "UTC");
}

TEST(CronTimeZone, FromLocalChoosesAsGoDoes) {
  auto ny = Zone("America/New_York");
  // Gap: New York 02:30 becomes 01:30 EST.
  EXPECT_EQ(ny->FromLocal(Utc(2026, 3, 8, 2, 30)), Utc(2026, 3, 8, 6, 30));
  // Overlap: New York 01:30 is the first (EDT) one.
  EXPECT_EQ(ny->FromLocal(Utc(2026, 11, 1, 1, 30)), Utc(2026, 11, 1, 5, 30));
  EXPECT_EQ(ny->FromLocal(Utc(2026, 7, 1, 12)), Utc(2026, 7, 1, 16));
  auto berlin = Zone("Europe/Berlin");
  // Gap: Berlin 02:30 becomes 03:30 CEST.
  EXPECT_EQ(berlin->FromLocal(Utc(2026, 3, 29, 2, 30)), Utc(2026, 3, 29, 1, 30));
  // Overlap: Berlin 02:30 is the second (CET) one.
  EXPECT_EQ(berlin->FromLocal(Utc(2026, 10, 25, 2, 30)), Utc(2026, 10, 25, 1, 30));
}

TEST(CronTimeZone, PosixRules) {
  auto us = TimeZone::ParsePosixRule("EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(us.has_value());
  EXPECT_EQ(us->std_offset, -18000);
  EXPECT_TRUE(us->has_dst);
  EXPECT_EQ(us->dst_offset, -14400);
  EXPECT_EQ(us->start.month, 3);
  EXPECT_EQ(us->start.week, 2);
  EXPECT_EQ(us->start.time, 7200);

  auto india = TimeZone::ParsePosixRule("IST-5:30");
  ASSERT_TRUE(india.has_value());
  EXPECT_EQ(india->std_offset, 19800);
  EXPECT_FALSE(india->has_dst);
  auto quoted = TimeZone::ParsePosixRule("<+0530>-5:30");
  ASSERT_TRUE(quoted.has_value());
  EXPECT_EQ(quoted->std_offset, 19800);

  auto adelaide = TimeZone::ParsePosixRule("ACST-9:30ACDT,M10.1.0,M4.1.0/3");
  ASSERT_TRUE(adelaide.has_value());
  EXPECT_EQ(adelaide->std_offset, 34200);
  EXPECT_EQ(adelaide->dst_offset, 37800);
  EXPECT_EQ(adelaide->end.time, 3 * 3600);

  auto negative_time = TimeZone::ParsePosixRule("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  ASSERT_TRUE(negative_time.has_value());
  EXPECT_EQ(negative_time->start.time, -3600);
  auto julian = TimeZone::ParsePosixRule("XST3XDT,J60/1:30:15,300");
  ASSERT_TRUE(julian.has_value());
  EXPECT_EQ(julian->start.kind, TimeZone::RuleDay::Kind::kJulian);
  EXPECT_EQ(julian->start.time, 5415);
  EXPECT_EQ(julian->end.kind, TimeZone::RuleDay::Kind::kZeroBased);

  for (const char* bad :
       {"", "EST", "ES5", "EST5EDT,M3.2.0", "EST5EDT,M13.2.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
        "EST5EDT,M3.2.7,M11.1.0", "<EST5", "EST5EDT,J0,J100", "EST5EDT,M3.2.0,M11.1.0,"}) {
    EXPECT_FALSE(TimeZone::ParsePosixRule(bad).has_value()) << bad;
  }
}

TEST(CronTimeZone, FooterRuleAlone) {
  auto zone = TimeZone::FromTzif("Test/US", RuleOnlyTzif(-18000, "EST", "EST5EDT,M3.2.0,M11.1.0"));
  ASSERT_OK(zone);
  EXPECT_EQ((*zone)->name(), "Test/US");
  EXPECT_EQ((*zone)->OffsetAt(Utc(2026, 3, 8, 6, 59, 59)), -18000);
  EXPECT_EQ((*zone)->OffsetAt(Utc(2026, 3, 8, 7)), -14400);
  EXPECT_EQ((*zone)->OffsetAt(Utc(2026, 11, 1, 5, 59, 59)), -14400);
  EXPECT_EQ((*zone)->OffsetAt(Utc(2026, 11, 1, 6)), -18000);
  EXPECT_EQ((*zone)->OffsetAt(Utc(2026, 12, 31, 23)), -18000);
  EXPECT_EQ((*zone)->OffsetAt(Utc(2027, 1, 1, 3)), -18000);

  // Southern hemisphere: DST across New Year.
  auto south = TimeZone::FromTzif("Test/Adelaide",
                                  RuleOnlyTzif(34200, "ACST", "ACST-9:30ACDT,M10.1.0,M4.1.0/3"));
  ASSERT_OK(south);
  EXPECT_EQ((*south)->OffsetAt(Utc(2027, 1, 1)), 37800);
  EXPECT_EQ((*south)->OffsetAt(Utc(2026, 4, 4, 16, 29, 59)), 37800);
  EXPECT_EQ((*south)->OffsetAt(Utc(2026, 4, 4, 16, 30)), 34200);
  EXPECT_EQ((*south)->OffsetAt(Utc(2026, 10, 3, 16, 30)), 37800);

  // A footer Go cannot read leaves the file's own offset.
  auto odd = TimeZone::FromTzif("Test/Odd", RuleOnlyTzif(3600, "XXX", "not a rule"));
  ASSERT_OK(odd);
  EXPECT_EQ((*odd)->OffsetAt(Utc(2026, 7, 1)), 3600);
}

TEST(CronTimeZone, MalformedData) {
  for (const std::string& data :
       {std::string(), std::string("TZif"), std::string("NotTZif") + std::string(60, '\0'),
        RuleOnlyTzif(0, "UTC", "UTC0").substr(0, 50)}) {
    auto zone = TimeZone::FromTzif("Bad/Zone", data);
    ASSERT_FALSE(zone.ok());
    EXPECT_EQ(zone.status().message(), "malformed time zone data for 'Bad/Zone'");
  }
}

TEST(CronTimeZone, LoadErrors) {
  for (const char* name : {"Mars/Base", "../etc/passwd", "/etc/localtime", "America", "zone.tab",
                           "Europe/../Europe/Berlin"}) {
    auto zone = TimeZone::Load(name);
    ASSERT_FALSE(zone.ok()) << name;
    EXPECT_EQ(zone.status().message(), std::string("unknown time zone '") + name + "'");
  }
  auto utc = TimeZone::Load("");
  ASSERT_OK(utc);
  EXPECT_EQ((*utc)->name(), "UTC");
}

}  // namespace
}  // namespace flowsync::cron
