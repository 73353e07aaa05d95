// FileSystem: the seam through which flowsync touches files.
//
// Every stat, read, listing and write of the library goes through this
// interface so that tests can inject faults or use an in-memory tree
// (ninja's DiskInterface, leveldb's Env). RealFileSystem() is the POSIX one;
// util/memory_file_system.h the in-memory one.
//
// Errors: a Status whose message is "<path>: <reason>" (PosixError's form,
// util/posix_error.h), so that callers can put their own context in place of
// the path. NotFound when a path or one of its folders does not exist;
// Conflict when a create or a no-replace rename finds its target taken;
// IOError otherwise.
//
// Thread-safety: every method is const and implementations must be safe for
// concurrent calls; the sync engine reads files from several worker threads.
// Concurrent writes to the same path race as they do on a real disk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  // The process's current folder, absolute. The default answers
  // Unsupported.
  virtual Result<std::string> CurrentDir() const;
  // `path` made absolute (against CurrentDir()) with every symbolic link
  // and "."/".." resolved, as far as it exists; the rest is appended as
  // written, normalised (std::filesystem::weakly_canonical). The default
  // answers Unsupported.
  virtual Result<std::string> RealPath(const std::string& path) const;

  // ---- Writing. The defaults answer Unsupported, so that a read-only file
  // system (a test double, a view of a database) implements the reads only.

  // Creates the folder `path` and any missing parents. OK when it already is
  // a folder (also through a symbolic link); an error naming the path when
  // it or a parent is something else.
  virtual Status CreateDirs(const std::string& path) const;
  // Writes `bytes` to a new file `path`; with `sync`, fsync(2) before
  // returning. Conflict when anything exists at `path` (nothing is replaced,
  // not even a dangling symbolic link). On failure after the file was
  // created, the partial file is removed.
  // REQUIRES: the parent folder exists.
  virtual Status WriteNewFile(const std::string& path, std::string_view bytes, bool sync) const;
  // Renames `from` to `to` (same file system). kReplace atomically replaces
  // a file at `to`; kNoReplace answers Conflict when anything exists at `to`
  // (atomically with RENAME_NOREPLACE; on file systems without it, a check
  // then a rename). Errors name `to`, the name callers show users.
  enum class RenameMode { kReplace, kNoReplace };
  virtual Status Rename(const std::string& from, const std::string& to, RenameMode mode) const;
  // Removes a file or symbolic link (never a folder). NotFound when nothing
  // is there.
  virtual Status RemoveFile(const std::string& path) const;
  // fsync(2) of a folder: makes the creations, renames and removals of
  // entries in it durable.
  virtual Status SyncDir(const std::string& path) const;
  // syncfs(2): makes everything written to the file system holding `path`
  // durable. One call for a batch of files instead of one fsync(2) each (a
  // thousand fsyncs took 2 s of a 3.5 s `migration create`).
  virtual Status SyncFileSystem(const std::string& path) const;
};

// The process-wide POSIX file system. Never null; lives forever.
const FileSystem& RealFileSystem();

// Replaces the file `path` with `bytes` so that a reader (or a crash) sees
// the old content or the new one, never a mix (ccache's AtomicFile): writes a
// temp file beside it (TempPathFor), fsyncs it, renames it over `path` and
// fsyncs the folder. On failure the temp file is removed and `path` is as it
// was, except when only the final folder sync fails: the new content is then
// in place but may not survive a crash, and that error is returned.
// REQUIRES: the parent folder of `path` exists.
Status WriteFileAtomic(const FileSystem& fs, const std::string& path, std::string_view bytes);

// A name for a temp file in the folder of `path`: "DIR/.NAME.tmp-PID-N",
// hidden, unique within the process (N counts up) and across processes.
std::string TempPathFor(const std::string& path);

// Joins two path parts with exactly one '/' (b must be relative).
std::string JoinPath(const std::string& a, const std::string& b);

}  // namespace flowsync
