// Where a project's tree starts, found as git finds .git: the nearest folder
// upwards holding a .flowsync/ folder or a flowsync.toml file. Ids are
// derived from paths relative to it (sync/identity.h), so a command must
// find the same root wherever it runs, or refuse: it never guesses.
//
// Thread-safety: pure functions apart from the FileSystem calls.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "flowsync/file_system.h"
#include "flowsync/status.h"

namespace flowsync::config {

// The nearest folder upwards from `start` (absolute, `start` included)
// holding a .flowsync/ folder or a flowsync.toml file; nullopt when no
// folder up to "/" does.
std::optional<std::string> DiscoverRoot(const std::string& start,
                                        const FileSystem& fs = RealFileSystem());

struct RootSearch {
  std::optional<std::string> root;    // absolute; nullopt when none was found
  std::vector<std::string> searched;  // the folders looked upwards from, in order
  size_t from_paths = 0;              // how many of the paths exist
};

// The root of a command that was given none: DiscoverRoot from each of
// `paths` that exists (relative ones against `cwd`; a file from its folder),
// in order, then from `cwd` (skipped when empty). The first root found wins;
// InvalidArgument when two of the paths are below different roots.
Result<RootSearch> FindRoot(const std::vector<std::string>& paths, const std::string& cwd,
                            const FileSystem& fs = RealFileSystem());

// Why a command has no root: InvalidArgument "no flowsync root in DIR (or
// DIR2) or any parent (no .flowsync/ folder or flowsync.toml); run
// `flowsync sync TREE` first, or pass --root", and " or --db" when naming
// the database would do instead.
Status NoRootError(const std::vector<std::string>& searched, bool database_would_do);

// A root named on the command line that cannot be read: Conflict "root
// ROOT is missing or unreadable (WHY); refusing to read it as an empty
// tree", as a sync refuses (a missing checkout looks like every workflow
// deleted). OK for a folder that can be listed or a regular file (a single
// phase file).
Status CheckGivenRoot(const std::string& root, const FileSystem& fs = RealFileSystem());

// `path` made absolute against `cwd` (against fs.CurrentDir() when `cwd` is
// empty), lexically normalised, without a trailing '/'.
std::string NormalisePath(const std::string& path, const std::string& cwd,
                          const FileSystem& fs = RealFileSystem());

}  // namespace flowsync::config
