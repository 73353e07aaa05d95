// FileSystem: the seam through which flowsync touches files.
//
// Every stat, read and directory listing of the library goes through this
// interface so that tests can inject faults or use an in-memory tree
// (ninja's DiskInterface, leveldb's Env). RealFileSystem() is the POSIX one.
//
// Thread-safety: implementations must be safe for concurrent const calls; the
// sync engine reads files from several worker threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flowsync/status.h"

namespace flowsync {

enum class FileType { kRegular, kDirectory, kSymlink, kOther };

struct FileInfo {
  FileType type = FileType::kOther;
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // nanoseconds since the Unix epoch
  uint64_t inode = 0;
  uint64_t device = 0;
};

struct DirEntry {
  std::string name;
  // kSymlink for a symbolic link (never resolved here); the caller decides
  // whether to follow it.
  FileType type = FileType::kOther;
  // Lstat() of the entry, filled by ListDirWithInfo() only, and not for
  // folders; nullopt also when the entry vanished between listing and stat.
  std::optional<FileInfo> info;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Follows symbolic links. NotFound when nothing is there; IOError naming
  // the path otherwise (including "too many levels of symbolic links").
  virtual Result<FileInfo> Stat(const std::string& path) const = 0;
  // Does not follow a final symbolic link.
  virtual Result<FileInfo> Lstat(const std::string& path) const = 0;
  // Entries other than "." and "..", sorted by name (byte order).
  virtual Result<std::vector<DirEntry>> ListDir(const std::string& path) const = 0;
  // ListDir() plus each entry's Lstat() info. The default calls Lstat() per
  // entry; the POSIX one stats relative to the open folder, which saves the
  // kernel resolving the whole path again for every file of a large tree.
  virtual Result<std::vector<DirEntry>> ListDirWithInfo(const std::string& path) const;
  // Reads a whole file. InvalidArgument when it is larger than max_size
  // bytes; the message names the path, the size and the limit.
  virtual Result<std::string> ReadFile(const std::string& path, uint64_t max_size) const = 0;
};

// The process-wide POSIX file system. Never null; lives forever.
const FileSystem& RealFileSystem();

// Joins two path parts with exactly one '/' (b must be relative).
std::string JoinPath(const std::string& a, const std::string& b);

}  // namespace flowsync
