// Watch mode: keep a Store in sync with a tree as it changes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "flowsync/sync.h"

namespace flowsync {

struct WatchOptions {
  // A batch of changes is synced once no event came for quiet_ms, or at the
  // latest debounce_ms after its first event while events keep coming: a
  // lone edit is synced at once, a burst (a git checkout) in a few syncs.
  int quiet_ms = 10;
  int debounce_ms = 300;
  int interval_s = 300;  // safety-net full sync even without events; 0 = never
  // A file descriptor that becomes readable to stop the watch (an eventfd
  // another thread writes) instead of SIGINT and SIGTERM, which are then
  // left to the other threads; -1: the signals stop it.
  int stop_fd = -1;
};

// Why a watch ran a sync.
enum class WatchTrigger {
  kStart,      // the first sync, of the whole tree
  kChanges,    // events: only the changed paths (SyncScope::subtrees)
  kInterval,   // the safety net, of the whole tree
  kOverflow,   // the kernel's event queue overflowed: the whole tree
  kUnwatched,  // a folder could not be watched: the whole tree
  kManyPaths,  // too many changed folders to name: the whole tree
};
std::string_view WatchTriggerName(WatchTrigger trigger);  // "start", "changes", ...

// What to say after a kOverflow run: the kernel's limit of queued events
// (fs.inotify.max_queued_events) with its number, and how to raise it.
std::string WatchOverflowAdvice();

// One sync of a watch.
struct WatchRun {
  WatchTrigger trigger = WatchTrigger::kStart;
  int64_t events = 0;   // file-system events since the last sync
  int64_t paths = 0;    // changed paths synced (kChanges only)
  int64_t folders = 0;  // folders watched when it ran
  // From the first event of the batch to the end of its sync (0 for the
  // first sync and the safety net).
  int64_t latency_ms = 0;
};

// What the watch watches, as it changes (after each walk that adds
// watches), and why some folder is not watched.
struct WatchState {
  std::string root;
  int64_t folders = 0;  // folders watched
  // The kernel's limit of watches per user (fs.inotify.max_user_watches;
  // 0 when unknown).
  int64_t max_user_watches = 0;
  // Empty, or why folders are not watched (the limit reached: with the
  // number and how to raise it). Their changes are seen by full syncs.
  std::string problem;
};

// The syncs run on a thread of the watch's own while the calling thread
// reads events, so on_run is called from that thread and on_state from the
// calling one; never both at once.
struct WatchCallbacks {
  // Each run's outcome (a failed run is reported, and watching goes on,
  // unless it is a guard-rail refusal or the database is unusable).
  std::function<void(const WatchRun&, const Result<SyncReport>&)> on_run;
  std::function<void(const WatchState&)> on_state;  // may be empty
};

// Syncs the whole tree once, then again after file-system events (inotify
// on every folder of the tree, symbolic links not followed, folders created
// while watching watched at once), and every interval_s seconds. A sync
// after events covers only the paths they name (SyncScope::subtrees) and
// does not walk the tree; when the kernel's queue overflowed or a folder
// could not be watched, it covers the whole tree. Returns OK when SIGINT
// or SIGTERM arrives (the signals are blocked for the calling thread while
// watching), or, with watch.stop_fd, when that becomes readable (the
// signals are not touched); NotFound when the root is deleted or moved
// away.
Status WatchAndSync(Store& store, const SyncOptions& sync, const WatchOptions& watch,
                    const WatchCallbacks& callbacks);

}  // namespace flowsync
