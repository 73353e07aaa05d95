// The inotify watch of a tree that `sync --watch` and `file --watch` share:
// a watch on every folder (symbolic links not followed, folders made while
// watching watched at once, a clear problem when the kernel's limit of
// watches is reached), events batched (WatchOptions: a lone change at once,
// a burst in a few batches), and the batches handed to the caller as the
// paths they name or, when events were lost or a folder is not watched, as
// the whole tree. flowsync/watch.h says how a batch ends and what stops it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "flowsync/file_system.h"
#include "flowsync/status.h"
#include "flowsync/watch.h"

namespace flowsync {

using SteadyClock = std::chrono::steady_clock;

// Whether an event of `name` (inotify's mask: IN_ISDIR for a folder)
// counts. Folders made, moved in or away are watched or forgotten
// whatever it says.
using FileEventFilter = std::function<bool(const std::string& name, uint32_t mask)>;

// One batch: the whole tree (keys empty: kStart, kInterval, kOverflow,
// kUnwatched, kManyPaths) or the changed paths, relative to the root as
// path text; at most 2,000 of them or a twentieth of the folders watched,
// else their folders.
struct TreeBatch {
  WatchTrigger trigger = WatchTrigger::kStart;
  std::set<std::string> keys;
  int64_t events = 0;                                  // file-system events since the last batch
  int64_t folders = 0;                                 // folders watched
  std::optional<SteadyClock::time_point> first_event;  // of the batch, when events made it
};

struct TreeWatchHooks {
  FileEventFilter wanted;
  // A batch's work, on the watch's worker thread, one batch at a time; an
  // error stops the watch and is returned.
  std::function<Status(const TreeBatch&)> on_batch;
  std::function<void(const WatchState&)> on_state;  // may be empty
};

// Watches `root` and hands batches to hooks.on_batch, the first of the
// whole tree at once. Returns as WatchAndSync does.
Status WatchTree(const FileSystem& fs, const std::string& root, const WatchOptions& watch,
                 const TreeWatchHooks& hooks);

}  // namespace flowsync
