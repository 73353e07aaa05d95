// Who holds a POSIX record lock (fcntl F_SETLK) on a file: the process
// that waiters name in their messages, as PostgreSQL's pg_locks names the
// backend holding an advisory lock. Linux tells it in /proc/locks; other
// systems, and holders in another pid namespace, stay unknown.
//
// Thread-safety: pure functions, and reads of /proc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flowsync {

struct LockHolder {
  int64_t pid = 0;
  std::string command;  // /proc/PID/comm, or "" when unreadable
};

// The pid holding a granted POSIX write lock on byte `offset` of the file
// (device major:minor, inode) in `proc_locks`, text in /proc/locks's format:
//   "3: POSIX  ADVISORY  WRITE 18168 fe:00:10960930 120 120"
// (device numbers in hex, "EOF" for a range to the end; waiting requests,
// marked "->", hold nothing).
std::optional<int64_t> FindLockHolderPid(std::string_view proc_locks, uint32_t major,
                                         uint32_t minor, uint64_t inode, uint64_t offset);

// The process holding a POSIX write lock on byte `offset` of the file at
// `path`, from this system's /proc; nullopt when none is visible.
std::optional<LockHolder> PosixLockHolder(const std::string& path, uint64_t offset);

}  // namespace flowsync
