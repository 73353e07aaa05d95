// flowlord's retry policy: `retry = N` allows N retries (N + 1 attempts),
// each after the rule's retry_delay (1 s without one) plus a jitter drawn
// from [0, 40 %) of the delay (none when the delay is 0). The delay is fixed,
// not exponential. The random source is injected so tests can pin it.
//
// Thread-safety: a RandomSource is used from one thread at a time.
#pragma once

#include <cstdint>
#include <memory>

#include "flowsync/status.h"
#include "phase/rule.h"

namespace flowsync::run {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Uniform in [0, 1).
  virtual double Next() = 0;
};

// A Mersenne twister seeded from std::random_device.
std::unique_ptr<RandomSource> NewRandomSource();

inline constexpr double kMaxJitter = 0.4;

// The jitter fraction of one retry: [0, 0.4).
double DrawJitter(RandomSource& random);

struct RetryPolicy {
  int max_attempts = 1;
  int64_t retry_delay_ms = 1000;
};

// The policy of a phase with `retry` and its rule.
RetryPolicy PhaseRetryPolicy(int64_t retry, const phase::Rule& rule);

}  // namespace flowsync::run
