// Watch mode: keep a Store in sync with a tree as it changes.
#pragma once

#include <functional>

#include "flowsync/sync.h"

namespace flowsync {

struct WatchOptions {
  int debounce_ms = 300;  // quiet time after the last event before a sync
  int interval_s = 300;   // safety-net sync even without events; 0 = never
};

// Syncs once, then again after file-system events (inotify on every folder
// of the tree, symbolic links not followed), debounced, and every
// interval_s seconds. Each run's outcome goes to `on_run` (a failed run is
// reported, and watching goes on, unless it is a guard-rail refusal or the
// database is unusable). Returns OK when SIGINT or SIGTERM arrives; the
// signals are blocked for the calling thread while watching.
Status WatchAndSync(Store& store, const SyncOptions& sync, const WatchOptions& watch,
                    const std::function<void(const Result<SyncReport>&)>& on_run);

}  // namespace flowsync
