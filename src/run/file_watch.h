// `flowsync file --watch DIR`: the files that arrive in a folder, as
// arrivals with keys, so that each file starts its phases once however
// often it is seen (a restart, an event and a rescan of the same file).
//
// A file has arrived when it was written and closed (IN_CLOSE_WRITE) or
// moved in (IN_MOVED_TO; a folder moved in brings every file inside it).
// Names that start with '.' are left out, as uploads in progress usually
// are (rsync's .name.XXXXXX, curl -o .part then mv). The folder's files at
// the start, and after the kernel lost events, are told too: their keys
// make the ones told before start nothing.
//
// Thread-safety: one watch per thread; it blocks until stopped.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "flowsync/file_system.h"
#include "flowsync/status.h"
#include "flowsync/watch.h"

namespace flowsync::run {

struct ArrivedFile {
  std::string path;  // the folder joined with `rel`
  std::string rel;   // the file's path below the folder
  // "<size>-<mtime ns>-<inode>": another file at the same path (a new
  // upload) has another key; the same one seen again has the same.
  std::string key;
};

// The arrival key of a file as Lstat sees it.
std::string ArrivalKey(const FileInfo& info);

// The regular files at or below `rel` (relative to `dir`, "" for all),
// names starting with '.' left out, in name order.
Result<std::vector<ArrivedFile>> FilesBelow(const FileSystem& fs, const std::string& dir,
                                            const std::string& rel);

// Watches `dir` and calls on_files with each batch of arrived files (first
// those already there). An error of on_files stops the watch and is
// returned; otherwise it returns as WatchAndSync does (OK on SIGINT or
// SIGTERM or options.stop_fd; NotFound when the folder goes away).
Status WatchArrivals(const FileSystem& fs, const std::string& dir, const WatchOptions& options,
                     const std::function<Status(const std::vector<ArrivedFile>&)>& on_files,
                     const std::function<void(const WatchState&)>& on_state);

}  // namespace flowsync::run
