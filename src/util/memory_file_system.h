// MemoryFileSystem: a FileSystem held in memory, for tests, benchmarks and
// code that has bytes in hand but must hand them to a FileSystem user
// (ninja's VirtualFileSystem, leveldb's MemEnv and FaultInjectionTestEnv in
// one).
//
// What it models, as Linux does: files, folders and symbolic links (followed
// by Stat, ReadFile, ListDir and inside paths; ELOOP after 40 links);
// relative paths ("a/b", from a working folder "") and absolute ones ("/t/a")
// are two separate trees whose roots always exist; "." and ".." inside paths
// and link targets. Each file has a size (its bytes, or what SetSize says),
// an mtime (the clock's time when written, or what SetMtime says) and an
// inode (a fresh number per created file, kept by renames and rewrites).
// Errors carry the messages the POSIX implementation gives.
//
// Faults: InjectFault makes one kind of operation on matching paths return a
// given Status, whatever is stored: a dying disk, a folder without
// permission, a write failing halfway through a batch.
//
// Not modelled: permissions, hard links, durability (syncs succeed unless a
// fault says otherwise), replacing a folder by a rename.
//
// Thread-safety: every method may be called from any thread; writes are
// serialised against each other and against reads (one shared mutex).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/clock.h"
#include "flowsync/file_system.h"
#include "flowsync/status.h"

namespace flowsync {

class MemoryFileSystem final : public FileSystem {
 public:
  // The operations a fault can target.
  enum class Op {
    kStat,       // Stat, Lstat
    kList,       // ListDir, ListDirWithInfo
    kRead,       // ReadFile
    kWrite,      // WriteNewFile
    kCreateDir,  // CreateDirs
    kRename,     // Rename: matches `from` or `to`
    kRemove,     // RemoveFile
    kSync,       // SyncDir, SyncFileSystem
  };
  using PathMatcher = std::function<bool(const std::string& path)>;

  // `clock` stamps the mtime of what is written; nullptr = SystemClock().
  // REQUIRES: the clock outlives this object.
  explicit MemoryFileSystem(const Clock* clock = nullptr);

  // ---- FileSystem
  Result<FileInfo> Stat(const std::string& path) const override;
  Result<FileInfo> Lstat(const std::string& path) const override;
  Result<std::vector<DirEntry>> ListDir(const std::string& path) const override;
  Result<std::string> ReadFile(const std::string& path, uint64_t max_size) const override;
  // "/" unless SetCurrentDir moved it.
  Result<std::string> CurrentDir() const override;
  Result<std::string> RealPath(const std::string& path) const override;
  // REQUIRES: `dir` is absolute.
  void SetCurrentDir(std::string dir);
  Status CreateDirs(const std::string& path) const override;
  Status WriteNewFile(const std::string& path, std::string_view bytes, bool sync) const override;
  Status Rename(const std::string& from, const std::string& to, RenameMode mode) const override;
  Status RemoveFile(const std::string& path) const override;
  Status SyncDir(const std::string& path) const override;
  Status SyncFileSystem(const std::string& path) const override;

  // ---- Setting up a tree (no faults apply)

  // Creates or replaces the file `path` with `bytes` (a rewrite in place:
  // same inode, new mtime), creating missing parent folders.
  Status SetFile(const std::string& path, std::string bytes);
  // Creates a symbolic link at `path` to `target` (not checked; may dangle),
  // creating missing parent folders. Conflict when `path` exists.
  Status SetSymlink(const std::string& path, std::string target);
  // Overrides what Stat and Lstat report for the entry at `path` (not
  // followed). SetSize leaves the bytes alone: a file that grew after its
  // stat.
  Status SetMtime(const std::string& path, int64_t mtime_ns);
  Status SetInode(const std::string& path, uint64_t inode);
  Status SetSize(const std::string& path, uint64_t size);
  // Removes `path` (not followed) and everything below it. NotFound when
  // nothing is there.
  Status RemoveAll(const std::string& path);
  // Copies the files and folders at and below `path` of `source` to the same
  // paths here, with their mtimes; symbolic links and special files are
  // skipped.
  Status CopyFrom(const FileSystem& source, const std::string& path);

  // ---- Faults

  // From now on, `op` on exactly `path` (as the caller spells it) returns
  // `status`. The first matching fault wins.
  void InjectFault(Op op, std::string path, Status status);
  // The same for every path `matches` accepts (called under a lock: it must
  // not call back into this object).
  void InjectFault(Op op, PathMatcher matches, Status status);
  // The same, answering what the kernel would for `error_number` (an errno)
  // at the path of the call: PosixError(path, error_number). For paths the
  // test cannot know in advance, such as temp file names.
  void InjectError(Op op, PathMatcher matches, int error_number);
  void ClearFaults();

  // How many times ReadFile was called (faulty calls included).
  int64_t reads() const { return reads_.load(std::memory_order_relaxed); }
  // Called at the start of every ReadFile, on the reading thread, outside
  // any lock (to slow reads down or watch how many run at once). Set it
  // before reads start.
  void OnRead(std::function<void(const std::string& path)> hook) { on_read_ = std::move(hook); }

 private:
  struct Node {
    FileType type = FileType::kDirectory;
    std::string data;  // a file's bytes, a link's target
    int64_t mtime_ns = 0;
    uint64_t inode = 0;
    std::optional<uint64_t> size;  // SetSize
  };
  struct Fault {
    Op op;
    PathMatcher matches;
    Status status;
    int error_number = 0;  // when not 0, PosixError(path, error_number) instead
  };
  // Where a path leads: the key of its node in nodes_ and the node, null
  // when the last component does not exist (its folder does).
  struct Found {
    std::string key;
    const Node* node = nullptr;
  };

  Result<Found> Find(const std::string& path, bool follow_last) const;
  Status CheckFault(Op op, const std::string& path) const;
  Node* NewNode(const std::string& key, FileType type, std::string data) const;
  // Creates the missing folders among the first `count` components of
  // `path`; MakeParents all but the last.
  Status MakeDirs(const std::string& path, size_t count) const;
  Status MakeParents(const std::string& path) const;
  // Applies `change` to the node at `path` (not followed).
  Status ChangeNode(const std::string& path, const std::function<void(Node&)>& change);
  FileInfo InfoOf(const Node& node) const;

  const Clock& clock_;
  mutable std::shared_mutex mu_;
  std::string cwd_ = "/";
  // Every node by its resolved path ("" and "/" are the roots); mutable
  // because the FileSystem interface writes through const methods.
  mutable std::map<std::string, Node, std::less<>> nodes_;
  mutable uint64_t next_inode_ = 1;
  std::vector<Fault> faults_;
  mutable std::atomic<int64_t> reads_{0};
  std::function<void(const std::string&)> on_read_;
};

}  // namespace flowsync
