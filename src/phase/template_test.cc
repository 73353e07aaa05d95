#include "phase/template.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace flowsync::phase {
namespace {

using namespace std::chrono_literals;  // NOLINT: test-local
using Strings = std::vector<std::string>;

TemplateClock At(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  const std::chrono::sys_days day = std::chrono::year_month_day(
      std::chrono::year(y), std::chrono::month(mo), std::chrono::day(d));
  return TemplateClock(day) + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(s) + 500ms;
}

TemplateOptions Options() {
  TemplateOptions o;
  o.hostname = "flowlord-7d9f8b-x2k4p";
  o.uuid = [] { return std::string("0123abcd-4567-4def-8abc-0123456789ab"); };
  return o;
}

std::string Time(const std::string& text, TemplateClock t = At(2024, 1, 15, 7, 8, 9),
                 TemplateOptions o = Options()) {
  return RenderTimeTemplate(text, t, o);
}

TEST(PhaseTemplateTest, DateParts) {
  EXPECT_EQ(Time("?date={yyyy}-{mm}-{dd}T{hh}"), "?date=2024-01-15T07");
  EXPECT_EQ(Time("{YYYY}/{MM}/{DD}/{HH}"), "2024/01/15/07");
  EXPECT_EQ(Time("{yYyY}|{Mm}|{dD}|{Hh}"), "2024|01|15|07");
  EXPECT_EQ(Time("{YY}{yy}"), "2424");
  EXPECT_EQ(Time("{yy}", At(2005, 3, 1, 0, 0, 0)), "05");
  EXPECT_EQ(Time("{min}"), "08");
  EXPECT_EQ(Time("{MIN}|{Min}"), "{MIN}|{Min}");  // lowercase only
  EXPECT_EQ(Time("{yyy}{yyyyy}{m}"), "{yyy}{yyyyy}{m}");
}

TEST(PhaseTemplateTest, TimestampAndSlugs) {
  EXPECT_EQ(Time("{TS}"), "20240115T070809");
  EXPECT_EQ(Time("{ts}"), "{ts}");
  EXPECT_EQ(Time("{SLUG}"), "2024/01/15/07");
  EXPECT_EQ(Time("{HOUR_SLUG}"), "2024/01/15/07");
  EXPECT_EQ(Time("{DAY_SLUG}"), "2024/01/15");
  EXPECT_EQ(Time("{MONTH_SLUG}"), "2024/01");
  EXPECT_EQ(Time("s3://b/{SLUG}/{TS}.json"), "s3://b/2024/01/15/07/20240115T070809.json");
}

TEST(PhaseTemplateTest, HostPodUuid) {
  EXPECT_EQ(Time("{HOST}|{host}|{Host}"),
            "flowlord-7d9f8b-x2k4p|flowlord-7d9f8b-x2k4p|flowlord-7d9f8b-x2k4p");
  EXPECT_EQ(Time("{POD}|{pod}"), "7d9f8b-x2k4p|{pod}");
  TemplateOptions plain = Options();
  plain.hostname = "worker";
  EXPECT_EQ(Time("{POD}", At(2024, 1, 15, 7, 8, 9), plain), "worker");
  plain.hostname = "a-b";
  EXPECT_EQ(Time("{POD}", At(2024, 1, 15, 7, 8, 9), plain), "a-b");
  // Only the first lowercase {uuid}.
  EXPECT_EQ(Time("{uuid}-{uuid}-{UUID}"), "0123abcd-{uuid}-{UUID}");
  // Without options: this machine's name and a random UUID.
  const std::string random = RenderTimeTemplate("{uuid}", At(2024, 1, 15, 7, 8, 9));
  EXPECT_EQ(random.size(), 8u);
  EXPECT_EQ(random.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_FALSE(RenderTimeTemplate("{host}", At(2024, 1, 15, 7, 8, 9)).empty());
}

TEST(PhaseTemplateTest, EverythingFromHashOnIsLiteral) {
  EXPECT_EQ(Time("?day={dd}#{dd}{TS}"), "?day=15#{dd}{TS}");
  EXPECT_EQ(Time("{dd}#a#{dd}"), "15#a#{dd}");
  // A '#' first does not count.
  EXPECT_EQ(Time("#{dd}"), "#15");
}

TEST(PhaseTemplateTest, OffsetIsApplied) {
  TemplateOptions o = Options();
  o.offset = -(1h + 30min);
  EXPECT_EQ(Time("{yyyy}-{mm}-{dd}T{hh}:{min}", At(2024, 1, 15, 1, 0, 0), o), "2024-01-14T23:30");
  o.offset = 1h;
  EXPECT_EQ(Time("{TS}", At(2023, 12, 31, 23, 30, 0), o), "20240101T003000");
  o.offset = -24h;
  EXPECT_EQ(Time("{DAY_SLUG}", At(2024, 3, 1, 0, 0, 0), o), "2024/02/29");
}

TEST(PhaseTemplateTest, ZoneOffset) {
  TemplateOptions o = Options();
  o.utc_offset = [](std::chrono::sys_seconds) { return std::chrono::seconds(2 * 3600); };
  EXPECT_EQ(Time("{dd}T{hh}", At(2024, 1, 15, 23, 0, 0), o), "16T01");
  o.utc_offset = [](std::chrono::sys_seconds) { return std::chrono::seconds(-5 * 3600); };
  EXPECT_EQ(Time("{dd}T{hh}", At(2024, 1, 15, 3, 0, 0), o), "14T22");
  // The local zone's offset is whole minutes and within a day.
  const auto local =
      LocalUtcOffset(std::chrono::floor<std::chrono::seconds>(At(2024, 1, 15, 0, 0, 0)));
  EXPECT_EQ(local.count() % 60, 0);
  EXPECT_LT(std::abs(local.count()), 24 * 3600);
}

TEST(PhaseTemplateTest, NoTimeLeavesTheTemplate) {
  EXPECT_EQ(RenderTimeTemplate("?day={yyyy}-{mm}{uuid}", std::nullopt), "?day={yyyy}-{mm}{uuid}");
  QueryValues meta;
  meta.Add("file", "s3://b/f.txt");
  const RenderedTemplate r = RenderTemplate("{meta:file}?y={yyyy}", std::nullopt, meta);
  EXPECT_EQ(r.text, "s3://b/f.txt?y={yyyy}");
}

TEST(PhaseTemplateTest, Meta) {
  QueryValues meta;
  meta.Add("file", "s3://b/f.txt");
  meta.Add("name", "george washington");
  meta.Add("name", "john adams");
  meta.Add("tmpl", "{yyyy}");
  const RenderedTemplate r = RenderTemplate("{meta:file}?time={yyyy}-{mm}-{dd}",
                                            At(2024, 1, 15, 7, 8, 9), meta, Options());
  EXPECT_EQ(r.text, "s3://b/f.txt?time=2024-01-15");
  EXPECT_EQ(r.meta_keys, (Strings{"file"}));
  // First value; a missing key is ""; keys listed once, first use first.
  EXPECT_EQ(RenderMetaTemplate("{meta:name}|{meta:gone}|{meta:name}", meta),
            (RenderedTemplate{"george washington||george washington", {"name", "gone"}}));
  // Not keys: nothing replaced.
  EXPECT_EQ(RenderMetaTemplate("{meta:}{meta:a-b}{meta:x{META:file}{meta:file", meta).text,
            "{meta:}{meta:a-b}{meta:x{META:file}{meta:file");
  EXPECT_EQ(RenderMetaTemplate("{meta:{meta:file}}", meta).text, "{meta:s3://b/f.txt}");
  // A meta value is not rendered again.
  EXPECT_EQ(RenderTemplate("{meta:tmpl}", At(2024, 1, 15, 7, 8, 9), meta, Options()).text,
            "{yyyy}");
  // After '#', meta is still replaced (tmpl.Meta knows nothing of '#').
  EXPECT_EQ(
      RenderTemplate("?a={dd}#{dd}{meta:file}", At(2024, 1, 15, 7, 8, 9), meta, Options()).text,
      "?a=15#{dd}s3://b/f.txt");
}

TEST(PhaseTemplateTest, FixtureTemplates) {
  QueryValues meta;
  meta.Add("file", "s3://in/a.txt");
  const auto t = At(2024, 1, 15, 7, 8, 9);
  // parent/group/f3.toml: doubled braces keep one pair.
  EXPECT_EQ(RenderTemplate("{meta:file}?time={{yyyy}}-{{mm}}-{{dd}}", t, meta, Options()).text,
            "s3://in/a.txt?time={2024}-{01}-{15}");
  EXPECT_EQ(RenderTemplate("?year={yyyy}", t, meta, Options()).text, "?year=2024");
  EXPECT_EQ(RenderTemplate("{meta:database}", t, meta, Options()).text, "");
}

}  // namespace
}  // namespace flowsync::phase
