// Clock: the seam through which flowsync reads the time of day.
//
// Every "now" of the library (a sync run's timestamps, a migration's file
// name, the phase cache's load time, a schedule's next fire time) comes from
// a Clock, so that tests run time-dependent logic on a clock they move by
// hand (leveldb's Env::NowMicros, ninja's injected timestamps).
//
// Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace flowsync {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch (UTC).
  virtual int64_t NowMs() const = 0;
};

// The system's real-time clock. Never null; lives forever.
const Clock& SystemClock();

// A clock that stands still until told to move: for tests, and for commands
// that answer "as of" a given instant.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 0) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(std::memory_order_relaxed); }
  void Set(int64_t now_ms) { now_ms_.store(now_ms, std::memory_order_relaxed); }
  void Advance(int64_t delta_ms) { now_ms_.fetch_add(delta_ms, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace flowsync
