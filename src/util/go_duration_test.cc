#include "util/go_duration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

namespace flowsync {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

nanoseconds Ok(const std::string& text) {
  auto d = ParseGoDuration(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status().ToString();
  return d.ok() ? *d : nanoseconds(-12345);
}

std::string Error(const std::string& text) {
  auto d = ParseGoDuration(text);
  if (d.ok()) return "<ok>";
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  return d.status().message();
}

TEST(GoDurationTest, ParsesGoDurations) {
  EXPECT_EQ(Ok("0"), nanoseconds(0));
  EXPECT_EQ(Ok("-0"), nanoseconds(0));
  EXPECT_EQ(Ok("+5s"), seconds(5));
  EXPECT_EQ(Ok("1h30m"), minutes(90));
  EXPECT_EQ(Ok("-1h30m"), -minutes(90));
  EXPECT_EQ(Ok("-4h"), -hours(4));
  EXPECT_EQ(Ok("-48h"), -hours(48));
  EXPECT_EQ(Ok("1.5s"), milliseconds(1500));
  EXPECT_EQ(Ok(".5s"), milliseconds(500));
  EXPECT_EQ(Ok("1.s"), seconds(1));
  EXPECT_EQ(Ok("10ms"), milliseconds(10));
  EXPECT_EQ(Ok("2us"), microseconds(2));
  EXPECT_EQ(Ok("2\xc2\xb5s"), microseconds(2));  // U+00B5 micro sign
  EXPECT_EQ(Ok("2\xce\xbcs"), microseconds(2));  // U+03BC greek mu
  EXPECT_EQ(Ok("3ns"), nanoseconds(3));
  EXPECT_EQ(Ok("1h1m1s1ms1us1ns"), hours(1) + minutes(1) + seconds(1) + milliseconds(1) +
                                       microseconds(1) + nanoseconds(1));
  EXPECT_EQ(Ok("1.0000000001s"), nanoseconds(1'000'000'000));
  EXPECT_EQ(Ok("0.000000001s"), nanoseconds(1));
  EXPECT_EQ(Ok("9223372036854775807ns"), nanoseconds(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(Ok("-9223372036854775808ns"), nanoseconds(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(Ok("2562047h"), hours(2562047));
}

TEST(GoDurationTest, ErrorsAreGos) {
  EXPECT_EQ(Error(""), "time: invalid duration \"\"");
  EXPECT_EQ(Error("-"), "time: invalid duration \"-\"");
  EXPECT_EQ(Error("abc"), "time: invalid duration \"abc\"");
  EXPECT_EQ(Error("."), "time: invalid duration \".\"");
  EXPECT_EQ(Error(".s"), "time: invalid duration \".s\"");
  EXPECT_EQ(Error("-1h-1m"), "time: unknown unit \"h-\" in duration \"-1h-1m\"");
  EXPECT_EQ(Error("1"), "time: missing unit in duration \"1\"");
  EXPECT_EQ(Error("1h30"), "time: missing unit in duration \"1h30\"");
  EXPECT_EQ(Error("1d"), "time: unknown unit \"d\" in duration \"1d\"");
  EXPECT_EQ(Error("3 s"), "time: unknown unit \" s\" in duration \"3 s\"");
  EXPECT_EQ(Error("9223372036854775808ns"), "time: invalid duration \"9223372036854775808ns\"");
  EXPECT_EQ(Error("2562048h"), "time: invalid duration \"2562048h\"");
  EXPECT_EQ(Error("99999999999999999999s"), "time: invalid duration \"99999999999999999999s\"");
}

}  // namespace
}  // namespace flowsync
