#include "run/retry_policy.h"

#include <algorithm>
#include <chrono>
#include <random>

namespace flowsync::run {
namespace {

class TwisterSource final : public RandomSource {
 public:
  TwisterSource() : engine_(std::random_device{}()) {}
  double Next() override { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace

std::unique_ptr<RandomSource> NewRandomSource() { return std::make_unique<TwisterSource>(); }

double DrawJitter(RandomSource& random) {
  return std::clamp(random.Next(), 0.0, 0.999999) * kMaxJitter;
}

RetryPolicy PhaseRetryPolicy(int64_t retry, const phase::Rule& rule) {
  RetryPolicy p;
  p.max_attempts = static_cast<int>(std::clamp<int64_t>(retry, 0, 1000)) + 1;
  if (rule.retry_delay) {
    p.retry_delay_ms = std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(*rule.retry_delay).count());
  }
  return p;
}

}  // namespace flowsync::run
