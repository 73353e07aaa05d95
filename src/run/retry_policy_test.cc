#include "run/retry_policy.h"

#include <gtest/gtest.h>

#include "util/test_util.h"

namespace flowsync::run {
namespace {

class FixedSource final : public RandomSource {
 public:
  explicit FixedSource(double v) : v_(v) {}
  double Next() override { return v_; }

 private:
  double v_;
};

TEST(RetryPolicy, JitterIsBelowFortyPercent) {
  FixedSource zero(0.0), half(0.5), top(0.9999999);
  EXPECT_EQ(DrawJitter(zero), 0.0);
  EXPECT_DOUBLE_EQ(DrawJitter(half), 0.2);
  EXPECT_LT(DrawJitter(top), 0.4);
  auto real = NewRandomSource();
  for (int i = 0; i < 1000; ++i) {
    double j = DrawJitter(*real);
    EXPECT_GE(j, 0.0);
    EXPECT_LT(j, 0.4);
  }
}

TEST(RetryPolicy, RetryGivesAttemptsAndRetryDelayTheDelay) {
  auto rule = phase::ParseRule("retry_delay=1m30s");
  ASSERT_OK(rule);
  RetryPolicy p = PhaseRetryPolicy(2, *rule);
  EXPECT_EQ(p.max_attempts, 3);
  EXPECT_EQ(p.retry_delay_ms, 90'000);
  auto none = phase::ParseRule("cron=0 * * * *");
  ASSERT_OK(none);
  p = PhaseRetryPolicy(0, *none);
  EXPECT_EQ(p.max_attempts, 1);
  EXPECT_EQ(p.retry_delay_ms, 1000);  // flowlord's 1 s
}

}  // namespace
}  // namespace flowsync::run
