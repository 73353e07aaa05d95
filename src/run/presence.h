// A process's row in `workers` (flowsync workers): registered on the first
// beat, its heartbeat renewed at most every `every_ms`, marked stopped at a
// clean end. A beat that fails is retried at the next one (the process goes
// on working: its presence is for people, not for correctness).
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <string>

#include "flowsync/clock.h"
#include "flowsync/execution_queue.h"

namespace flowsync::run {

class Presence {
 public:
  Presence(std::string id, std::string kind, std::string topics, int64_t every_ms,
           const Clock& clock);

  Status Beat(ExecutionQueue& queue);
  Status Stop(ExecutionQueue& queue);
  // The queue was opened again (a lost session): the next beat registers.
  void Reset() { registered_ = false; }

  const std::string& id() const { return self_.id; }

 private:
  WorkerRecord self_;
  int64_t every_ms_;
  const Clock& clock_;
  bool registered_ = false;
  int64_t last_beat_ms_ = 0;
};

// The default id of a worker or scheduler process: host:pid:random.
std::string ProcessId();

}  // namespace flowsync::run
