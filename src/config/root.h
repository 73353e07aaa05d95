// Where a project's tree starts, found as git finds .git.
//
// Thread-safety: pure functions apart from the FileSystem calls.
#pragma once

#include <string>

#include "flowsync/file_system.h"

namespace flowsync::config {

// The nearest folder upwards from `start` (absolute) holding a .flowsync/
// folder or a flowsync.toml file, else `start` itself. "." when `start` is
// empty (the current folder could not be determined).
std::string DiscoverRoot(const std::string& start, const FileSystem& fs = RealFileSystem());

// `path` made absolute against `cwd` (against fs.CurrentDir() when `cwd` is
// empty), lexically normalised, without a trailing '/'.
std::string NormalisePath(const std::string& path, const std::string& cwd,
                          const FileSystem& fs = RealFileSystem());

}  // namespace flowsync::config
