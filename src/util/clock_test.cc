#include "flowsync/clock.h"

#include <gtest/gtest.h>

namespace flowsync {
namespace {

TEST(ClockTest, SystemClockIsAfter2020) {
  // 2020-01-01T00:00:00Z: a clock reading epoch-relative seconds, or zero,
  // would fail this.
  EXPECT_GT(SystemClock().NowMs(), 1'577'836'800'000);
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(1'000);
  EXPECT_EQ(clock.NowMs(), 1'000);
  EXPECT_EQ(clock.NowMs(), 1'000);
  clock.Advance(250);
  EXPECT_EQ(clock.NowMs(), 1'250);
  clock.Set(5);
  EXPECT_EQ(clock.NowMs(), 5);
}

}  // namespace
}  // namespace flowsync
