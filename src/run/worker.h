// A worker: claims ready executions of its topics from the queue and runs
// each (a command, or the built-in no-op handler), then records how it
// ended, fenced on (execution, attempt, owner).
//
// Each of `concurrency` slots is a thread with its own Store (a Store is one
// session: store.h), which claims one execution at a time (the no-op
// handler claims up to `batch`), heartbeats while its command runs (the
// lease is `lease_ms`, renewed every `heartbeat_ms`) and stops the command
// when the heartbeat says the execution was cancelled or rescued. An idle
// slot rescues expired leases (any worker's: a dead worker's tasks run
// again within lease_ms + poll_ms) and polls every `poll_ms`.
//
// kill -9 of a worker loses nothing: its executions stay running until their
// leases run out, then any worker rescues them; a completion is recorded in
// the same transaction as the attempt's end, so a task is never recorded
// complete twice (a command may run twice: at-least-once, as every queue
// whose worker can die mid-task).
//
// Thread-safety: RunWorker blocks its caller; `stop` may be set from any
// thread (a signal handler sets it) and the worker ends after its running
// commands end.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "flowsync/clock.h"
#include "flowsync/execution_queue.h"
#include "flowsync/store.h"
#include "run/retry_policy.h"
#include "run/variables.h"

namespace flowsync::run {

struct WorkerOptions {
  std::vector<std::string> topics;  // REQUIRES: non-empty
  int concurrency = 1;
  // Run nothing: every claimed execution completes at once (benchmarks of
  // the queue itself).
  bool noop = false;
  int batch = 100;                   // the no-op handler's claim size
  std::vector<std::string> command;  // REQUIRES: non-empty unless noop
  // Extra environment for the command.
  std::vector<std::pair<std::string, std::string>> env;
  // The variables of this environment (`flowsync var`) are read before each
  // attempt and passed to the command; secrets opened with `secret_key` and
  // masked in the output kept. Empty: none.
  std::string variables_environment;
  std::optional<SecretKey> secret_key;
  // Return when no execution of the topics is pending or running.
  bool exit_when_idle = false;
  int64_t lease_ms = 10'000;
  int64_t heartbeat_ms = 2'000;
  int64_t poll_ms = 200;
  size_t output_cap = 64 * 1024;
  std::string owner;             // empty: host:pid:random
  const Clock* clock = nullptr;  // nullptr: SystemClock()
  const std::atomic<bool>* stop = nullptr;
  // Called after each attempt ends, from the slot's thread (progress, logs).
  std::function<void(const Execution&, const FinishResult&)> on_finish;
};

struct WorkerReport {
  int64_t completed = 0, retried = 0, failed = 0, stale = 0, rescued = 0;
};

// Opens a store for a slot (one per thread).
using StoreOpener = std::function<Result<std::unique_ptr<Store>>()>;

// Runs until stop is set, or (exit_when_idle) the topics have no unfinished
// execution. An error when a slot's store failed and could not be reopened.
Result<WorkerReport> RunWorker(const StoreOpener& open, const WorkerOptions& options);

}  // namespace flowsync::run
