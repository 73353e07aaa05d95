// The tree walk of a sync: which paths are workflow candidates, and the
// cheap stat signature of each.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/file_system.h"
#include "flowsync/source.h"

namespace flowsync {

struct ScannedSource {
  SourceCandidate candidate;
  // "size:mtime_ns:inode" of the file, or of each bundle member joined by
  // '|' ("-" for an absent optional member).
  std::string sig;
  int64_t newest_mtime_ns = 0;
};

struct ScanProblem {
  std::string path;     // relative to the root, as path text (util/path_text.h)
  std::string message;  // valid UTF-8
  // The file system's error, whose message names the absolute path: for
  // callers that word their own messages.
  Status status;
};

struct ScanResult {
  std::vector<ScannedSource> sources;  // sorted by key (byte order)
  // Candidates that exist but could not even be stat'ed (a symbolic link
  // loop named x.json, say): they are per-file errors, not missing sources.
  std::vector<ScanProblem> broken;
  // Folders that could not be listed. Stored workflows below them are
  // neither missing nor deleted: we cannot tell.
  std::vector<ScanProblem> unreadable_dirs;
};

// The walk of a whole tree held compactly, for a comparison with the
// stored index (CompareWalk): per source its key, format and a 128-bit
// hash of its signature, 32 bytes beside the key (a ScannedSource holds
// about 400). Nothing in it grows by doubling: its peak is its size.
class WalkDigest {
 public:
  static constexpr size_t npos = static_cast<size_t>(-1);
  struct Source {
    uint64_t sig_low = 0, sig_high = 0;        // XXH3-128 of the signature
    uint32_t block = 0, offset = 0, size = 0;  // the key, in the key blocks
    Format format = Format::kN8n;
    bool has_sig = false;  // false: a member could not be stat'ed (read it)
  };

  // Adds a source (any order; Sort orders them).
  void Add(const ScannedSource& s);
  void Sort();
  size_t size() const { return sources_.size(); }
  const Source& operator[](size_t i) const { return sources_[i]; }
  std::string_view Key(size_t i) const { return Key(sources_[i]); }
  std::string_view Key(const Source& s) const {
    return std::string_view(blocks_[s.block]).substr(s.offset, s.size);
  }
  // The position of the source at `key` (REQUIRES: sorted), or npos.
  size_t Find(std::string_view key) const;
  // Whether `sig` (a stored signature) is the source's; never for an empty one.
  static bool SameSig(const Source& s, std::string_view sig);

  std::vector<ScanProblem> broken;           // sorted by path
  std::vector<ScanProblem> unreadable_dirs;  // sorted by path

 private:
  std::deque<Source> sources_;
  std::vector<std::string> blocks_;  // keys, one after the other, a block at a time
};

// The cheap change signature of one file: "size:mtime_ns:inode".
std::string SourceSignature(const FileInfo& info);

// Walks `root` (which must be a readable directory):
// - a folder holding workflow.json is a bundle; the walk does not descend it;
// - *.json files are n8n candidates, *.toml files phase candidates, except
//   flowsync.toml at the root (the configuration file);
// - names starting with '.' (.git, .flowsync, editor files) are skipped;
// - symbolic links to folders are not followed (as git does), links to
//   files are read.
// Folders are listed on `threads` threads; the result does not depend on it.
// Every reader of the tree (sync, the phase cache) walks with this one
// function, so they agree on what is a workflow.
ScanResult ScanTree(const FileSystem& fs, const std::string& root, int threads);

// ScanTree's walk, digested as it goes (never all of it held as
// ScannedSources).
WalkDigest DigestTree(const FileSystem& fs, const std::string& root, int threads);

// Walks only the parts of the tree at `keys` (relative to `root`, as path
// text): a key naming a folder is walked as ScanTree walks it (a bundle
// when it holds workflow.json), any other key is looked at as ScanOne does.
// Keys are taken as they are (SyncScope's resolution of keys inside a
// bundle happens before). Sorted as ScanTree's result.
ScanResult ScanSubtrees(const FileSystem& fs, const std::string& root,
                        const std::set<std::string>& keys, int threads);

// The one source at `key` (relative to `root`, as path text), as ScanTree
// would report it (the same rules, without listing anything else): nothing
// when there is no source there.
ScanResult ScanOne(const FileSystem& fs, const std::string& root, const std::string& key);

}  // namespace flowsync
