#include "run/presence.h"

#include <unistd.h>

#include <cstdio>
#include <random>

#include "util/host.h"

namespace flowsync::run {

std::string ProcessId() {
  std::random_device rd;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return HostName() + ":" + std::to_string(::getpid()) + ":" + suffix;
}

Presence::Presence(std::string id, std::string kind, std::string topics, int64_t every_ms,
                   const Clock& clock)
    : every_ms_(every_ms), clock_(clock) {
  self_.id = std::move(id);
  self_.kind = std::move(kind);
  self_.topics = std::move(topics);
  self_.started_ms = clock_.NowMs();
}

Status Presence::Beat(ExecutionQueue& queue) {
  const int64_t now = clock_.NowMs();
  if (registered_ && now - last_beat_ms_ < every_ms_) return Status::OK();
  if (!registered_) {
    self_.heartbeat_ms = now;
    FS_TRY(queue.RegisterWorker(self_));
    registered_ = true;
  } else {
    FS_TRY(queue.WorkerHeartbeat(self_.id, now));
  }
  last_beat_ms_ = now;
  return Status::OK();
}

Status Presence::Stop(ExecutionQueue& queue) {
  if (!registered_) return Status::OK();
  return queue.StopWorker(self_.id, clock_.NowMs());
}

}  // namespace flowsync::run
