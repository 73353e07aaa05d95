#include "phase/rule.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace flowsync::phase {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using Strings = std::vector<std::string>;

Rule Ok(const std::string& text) {
  auto rule = ParseRule(text);
  EXPECT_TRUE(rule.ok()) << text << ": " << rule.status().ToString();
  return rule.ok() ? *rule : Rule{};
}

std::string Error(const std::string& text) {
  auto rule = ParseRule(text);
  if (rule.ok()) return "<ok>";
  EXPECT_EQ(rule.status().code(), StatusCode::kInvalidArgument);
  return rule.status().message();
}

TEST(PhaseRuleTest, EmptyRule) {
  const Rule r = Ok("");
  EXPECT_EQ(r.cron, "");
  EXPECT_EQ(r.offset, nanoseconds(0));
  EXPECT_EQ(r.retry_delay, std::nullopt);
  EXPECT_FALSE(r.no_alert);
  EXPECT_EQ(r.by, BatchBy::kDay);
  EXPECT_TRUE(r.meta.empty());
  EXPECT_TRUE(r.unknown_keys.empty());
}

TEST(PhaseRuleTest, CronOffsetJobRetryDelay) {
  // workflow/f1.toml's first phase.
  const Rule r = Ok("cron=0 * * * *&offset=-4h&job=t2&retry_delay=10ms");
  EXPECT_EQ(r.cron, "0 * * * *");
  EXPECT_EQ(r.offset, -hours(4));
  EXPECT_EQ(r.job, "t2");
  EXPECT_EQ(r.retry_delay, milliseconds(10));
  EXPECT_TRUE(r.unknown_keys.empty());
  EXPECT_EQ(Ok("offset=-1h30m").offset, -minutes(90));
  EXPECT_EQ(Ok("offset=%2B2h").offset, hours(2));
  // In a query '+' is a space, so a written "+2h" is no duration.
  EXPECT_EQ(Error("offset=+2h"), "offset: time: invalid duration \" 2h\"");
}

TEST(PhaseRuleTest, EscapedValues) {
  const Rule r = Ok("cron=0+0+*+*+*&files=s3%3A%2F%2Fbucket%2F*.txt");
  EXPECT_EQ(r.cron, "0 0 * * *");
  EXPECT_EQ(r.files, "s3://bucket/*.txt");
  EXPECT_EQ(Ok("files=s3:/bucket/path/*/*.txt").files, "s3:/bucket/path/*/*.txt");
}

TEST(PhaseRuleTest, FirstValueWinsExceptRequire) {
  const Rule r = Ok("job=a&job=b&require={meta:file}&require={meta:a},{meta:b}&offset=1h&offset=x");
  EXPECT_EQ(r.job, "a");
  EXPECT_EQ(r.offset, hours(1));
  EXPECT_EQ(r.require, (Strings{"{meta:file}", "{meta:a},{meta:b}"}));
}

TEST(PhaseRuleTest, FilesCountNoAlertMetaFile) {
  const Rule r = Ok("files=./folder/*.txt&count=3&no_alert=1&meta-file=test/presidents.json");
  EXPECT_EQ(r.files, "./folder/*.txt");
  EXPECT_EQ(r.count, "3");
  EXPECT_TRUE(r.no_alert);
  EXPECT_EQ(r.meta_file, "test/presidents.json");
  // Any non-empty value, as in flowlord; an empty one is no value.
  EXPECT_TRUE(Ok("no_alert=false").no_alert);
  EXPECT_FALSE(Ok("no_alert=").no_alert);
  EXPECT_FALSE(Ok("no_alert").no_alert);
}

TEST(PhaseRuleTest, ForAndBy) {
  const Rule r = Ok("for=-48h&by=hour");
  EXPECT_EQ(r.for_range, -hours(48));
  EXPECT_EQ(r.by, BatchBy::kHour);
  EXPECT_EQ(Ok("by=hourly").by, BatchBy::kHour);
  EXPECT_EQ(Ok("by=week").by, BatchBy::kWeek);
  EXPECT_EQ(Ok("by=weekly").by, BatchBy::kWeek);
  EXPECT_EQ(Ok("by=month").by, BatchBy::kMonth);
  EXPECT_EQ(Ok("by=monthly").by, BatchBy::kMonth);
  EXPECT_EQ(Ok("by=day").by, BatchBy::kDay);
  EXPECT_EQ(Ok("by=daily").by, BatchBy::kDay);
  EXPECT_EQ(Ok("by=").by, BatchBy::kDay);
  EXPECT_EQ(BatchByName(BatchBy::kDay), "day");
  EXPECT_EQ(BatchByName(BatchBy::kHour), "hour");
  EXPECT_EQ(BatchByName(BatchBy::kWeek), "week");
  EXPECT_EQ(BatchByName(BatchBy::kMonth), "month");
}

TEST(PhaseRuleTest, Meta) {
  const Rule r = Ok("meta=key:a,b|val:1,2");
  EXPECT_EQ(r.meta.size(), 2u);
  EXPECT_EQ(r.meta.at("key"), (Strings{"a", "b"}));
  EXPECT_EQ(r.meta.at("val"), (Strings{"1", "2"}));
  EXPECT_EQ(Ok("meta=k:|").meta.at("k"), (Strings{""}));
  EXPECT_EQ(Ok("meta=k:a:b").meta.at("k"), (Strings{"a:b"}));
}

TEST(PhaseRuleTest, UnknownKeysAreKeptSorted) {
  // batch.toml's leading '?' and the README's capitalized Offset: flowlord
  // silently ignores both.
  const Rule r = Ok("?for=-48h&offset=-24h&Offset=-6h");
  EXPECT_EQ(r.unknown_keys, (Strings{"?for", "Offset"}));
  EXPECT_EQ(r.offset, -hours(24));
  EXPECT_EQ(r.for_range, nanoseconds(0));
  // f2.toml: a cron spec without cron= is a key.
  const Rule f2 = Ok("0 0 * * * *");
  EXPECT_EQ(f2.cron, "");
  EXPECT_EQ(f2.unknown_keys, (Strings{"0 0 * * * *"}));
  // meta_file and retry are no rule keys.
  EXPECT_EQ(Ok("meta_file=x&retry=3").unknown_keys, (Strings{"meta_file", "retry"}));
  EXPECT_EQ(Ok("meta_file=x").values.Get("meta_file"), "x");
}

TEST(PhaseRuleTest, Errors) {
  EXPECT_EQ(Error("a;b"), "invalid semicolon separator in query");
  EXPECT_EQ(Error("cron=%zz"), "invalid URL escape \"%zz\"");
  EXPECT_EQ(Error("offset=abc"), "offset: time: invalid duration \"abc\"");
  EXPECT_EQ(Error("offset=4"), "offset: time: missing unit in duration \"4\"");
  EXPECT_EQ(Error("retry_delay=1d"), "retry_delay: time: unknown unit \"d\" in duration \"1d\"");
  EXPECT_EQ(Error("for=soon"), "for: time: invalid duration \"soon\"");
  EXPECT_EQ(Error("by=fortnight"),
            "by: unknown value \"fortnight\" (want day, hour, week or month)");
  EXPECT_EQ(Error("by=Hour"), "by: unknown value \"Hour\" (want day, hour, week or month)");
  EXPECT_EQ(Error("meta=key"), "meta: \"key\" has no ':' (want key:v1,v2|key2:v1,v2)");
  EXPECT_EQ(Error("meta=:a"), "meta: empty key in \":a\"");
  EXPECT_EQ(Error("meta=k:a|k:b"), "meta: key \"k\" repeats");
  EXPECT_EQ(Error("meta=key:a,b|val:1,2,3"),
            "meta: inconsistent lengths: \"key\" has 2 values, \"val\" has 3");
  EXPECT_EQ(Error("meta=k:a&meta-file=f.json"),
            "meta and meta-file can not be used at the same time");
}

}  // namespace
}  // namespace flowsync::phase
