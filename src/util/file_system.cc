// POSIX implementation of FileSystem.
#include "flowsync/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "util/posix_error.h"

namespace flowsync {
namespace {

FileInfo ToInfo(const struct stat& st) {
  FileInfo info;
  if (S_ISREG(st.st_mode)) {
    info.type = FileType::kRegular;
  } else if (S_ISDIR(st.st_mode)) {
    info.type = FileType::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    info.type = FileType::kSymlink;
  } else {
    info.type = FileType::kOther;
  }
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  info.inode = static_cast<uint64_t>(st.st_ino);
  info.device = static_cast<uint64_t>(st.st_dev);
  return info;
}

class PosixFileSystem final : public FileSystem {
 public:
  Result<FileInfo> Stat(const std::string& path) const override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError(path, errno);
    return ToInfo(st);
  }

  Result<FileInfo> Lstat(const std::string& path) const override {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return PosixError(path, errno);
    return ToInfo(st);
  }

  Result<std::vector<DirEntry>> ListDir(const std::string& path) const override {
    return List(path, /*with_info=*/false);
  }

  Result<std::vector<DirEntry>> ListDirWithInfo(const std::string& path) const override {
    return List(path, /*with_info=*/true);
  }

  Result<std::string> ReadFile(const std::string& path, uint64_t max_size) const override;

  Result<std::string> CurrentDir() const override {
    std::error_code ec;
    std::filesystem::path cwd = std::filesystem::current_path(ec);
    if (ec) return PosixError("the current folder", ec.value());
    return cwd.string();
  }

  Result<std::string> RealPath(const std::string& path) const override {
    std::error_code ec;
    std::filesystem::path real = std::filesystem::weakly_canonical(path, ec);
    if (ec) return PosixError(path, ec.value());
    return real.string();
  }

  Status CreateDirs(const std::string& path) const override;
  Status WriteNewFile(const std::string& path, std::string_view bytes, bool sync) const override;
  Status Rename(const std::string& from, const std::string& to, RenameMode mode) const override;

  Status RemoveFile(const std::string& path) const override {
    if (::unlink(path.c_str()) != 0) return PosixError(path, errno);
    return Status::OK();
  }

  Status SyncDir(const std::string& path) const override {
    return WithOpenFile(path, O_RDONLY | O_DIRECTORY, [](int fd) { return ::fsync(fd); });
  }

  Status SyncFileSystem(const std::string& path) const override {
    return WithOpenFile(path, O_RDONLY, [](int fd) { return ::syncfs(fd); });
  }

 private:
  // Opens `path`, calls `op` (0 or -1 with errno, as a system call) and
  // closes it again.
  template <typename Op>
  static Status WithOpenFile(const std::string& path, int flags, Op op) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) return PosixError(path, errno);
    Status s = op(fd) == 0 ? Status::OK() : PosixError(path, errno);
    ::close(fd);
    return s;
  }

  Result<std::vector<DirEntry>> List(const std::string& path, bool with_info) const {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return PosixError(path, errno);
    int dir_fd = ::dirfd(dir);
    std::vector<DirEntry> entries;
    errno = 0;
    while (struct dirent* ent = ::readdir(dir)) {
      std::string_view name(ent->d_name);
      if (name == "." || name == "..") continue;
      DirEntry entry;
      entry.name = std::string(name);
      switch (ent->d_type) {
        case DT_REG:
          entry.type = FileType::kRegular;
          break;
        case DT_DIR:
          entry.type = FileType::kDirectory;
          break;
        case DT_LNK:
          entry.type = FileType::kSymlink;
          break;
        case DT_UNKNOWN: {
          // Some file systems do not fill d_type; ask.
          auto info = Lstat(JoinPath(path, entry.name));
          entry.type = info.ok() ? info->type : FileType::kOther;
          break;
        }
        default:
          entry.type = FileType::kOther;
          break;
      }
      // Folders need no stat: their type is all a walk needs from them.
      if (with_info && entry.type != FileType::kDirectory) {
        struct stat st;
        if (::fstatat(dir_fd, entry.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
          entry.info = ToInfo(st);
          entry.type = entry.info->type;
        }
      }
      entries.push_back(std::move(entry));
      errno = 0;
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) return PosixError(path, err);
    std::sort(entries.begin(), entries.end(),
              [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    return entries;
  }
};

Result<std::string> PosixFileSystem::ReadFile(const std::string& path, uint64_t max_size) const {
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, forever
  // (and a sync holds the writer lock meanwhile). It changes nothing for a
  // regular file, the only kind read below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return PosixError(path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return PosixError(path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return IsADirectoryError(path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return NotARegularFileError(path, S_ISFIFO(st.st_mode)   ? "a FIFO"
                                      : S_ISSOCK(st.st_mode) ? "a socket"
                                                             : "a device");
  }
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    ::close(fd);
    return FileTooLargeError(path, static_cast<uint64_t>(st.st_size), max_size);
  }
  std::string data;
  data.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  // The common case reads exactly st_size bytes and then end of file. The
  // file may have grown since fstat, so look past the end through a small
  // buffer before growing the string: growing it zero-fills (and may move)
  // 64 KiB per file only to learn that nothing more is there.
  char probe[512];
  while (true) {
    const bool full = done == data.size();
    if (full && data.size() >= max_size + 1) break;
    char* into = full ? probe : data.data() + done;
    const size_t room = full ? sizeof(probe) : data.size() - done;
    ssize_t n = ::read(fd, into, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return PosixError(path, err);
    }
    if (n == 0) break;
    if (full) {
      // Grown: keep what the probe read and read on, within the limit.
      const size_t keep = std::min<uint64_t>(static_cast<size_t>(n), max_size + 1 - data.size());
      data.append(probe, keep);
      done += keep;
      if (keep < static_cast<size_t>(n)) break;  // over the limit already
      continue;
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(done);
  if (done > max_size) {
    return Status::InvalidArgument(path + ": file is over the limit of " +
                                   std::to_string(max_size) + " bytes (--max-file-size)");
  }
  return data;
}

Status PosixFileSystem::CreateDirs(const std::string& path) const {
  if (::mkdir(path.c_str(), 0777) == 0) return Status::OK();
  int err = errno;
  if (err == ENOENT) {
    // A parent is missing: create it, then this one (mkdir -p).
    const size_t slash = path.rfind('/', path.find_last_not_of('/'));
    if (slash != std::string::npos && slash != 0) {
      FS_TRY(CreateDirs(path.substr(0, slash)));
      if (::mkdir(path.c_str(), 0777) == 0) return Status::OK();
      err = errno;
    }
  }
  if (err == EEXIST) {
    // Something is there already, perhaps a folder made meanwhile.
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
    err = ENOTDIR;
  }
  return PosixError(path, err);
}

Status PosixFileSystem::WriteNewFile(const std::string& path, std::string_view bytes,
                                     bool sync) const {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return PosixError(path, errno);
  int err = 0;
  while (!bytes.empty() && err == 0) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno != EINTR) err = errno;
      continue;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (err == 0 && sync && ::fsync(fd) != 0) err = errno;
  // close(2) reports delayed write errors of some file systems (NFS).
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0) return Status::OK();
  ::unlink(path.c_str());
  return PosixError(path, err);
}

Status PosixFileSystem::Rename(const std::string& from, const std::string& to,
                               RenameMode mode) const {
  if (mode == RenameMode::kReplace) {
    if (::rename(from.c_str(), to.c_str()) != 0) return PosixError(to, errno);
    return Status::OK();
  }
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::OK();
  }
  const int err = errno;
  if (err != EINVAL && err != ENOSYS) return PosixError(to, err);
  // A file system without RENAME_NOREPLACE: check, then rename.
  struct stat st;
  if (::lstat(to.c_str(), &st) == 0) return PosixError(to, EEXIST);
  if (::rename(from.c_str(), to.c_str()) != 0) return PosixError(to, errno);
  return Status::OK();
}

}  // namespace

Result<std::vector<DirEntry>> FileSystem::ListDirWithInfo(const std::string& path) const {
  FS_TRY_ASSIGN(std::vector<DirEntry> entries, ListDir(path));
  for (DirEntry& e : entries) {
    auto info = Lstat(JoinPath(path, e.name));
    if (info.ok()) {
      e.info = *info;
      e.type = info->type;
    }
  }
  return entries;
}

namespace {

Status Unsupported(const std::string& path) {
  return Status::Unsupported(path + ": this file system is read-only");
}

}  // namespace

Result<std::string> FileSystem::CurrentDir() const { return Unsupported("the current folder"); }
Result<std::string> FileSystem::RealPath(const std::string& path) const {
  return Unsupported(path);
}
Status FileSystem::CreateDirs(const std::string& path) const { return Unsupported(path); }
Status FileSystem::WriteNewFile(const std::string& path, std::string_view, bool) const {
  return Unsupported(path);
}
Status FileSystem::Rename(const std::string&, const std::string& to, RenameMode) const {
  return Unsupported(to);
}
Status FileSystem::RemoveFile(const std::string& path) const { return Unsupported(path); }
Status FileSystem::SyncDir(const std::string& path) const { return Unsupported(path); }
Status FileSystem::SyncFileSystem(const std::string& path) const { return Unsupported(path); }

std::string TempPathFor(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + name + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

Status WriteFileAtomic(const FileSystem& fs, const std::string& path, std::string_view bytes) {
  const std::string temp = TempPathFor(path);
  FS_TRY(fs.WriteNewFile(temp, bytes, /*sync=*/true));
  Status renamed = fs.Rename(temp, path, FileSystem::RenameMode::kReplace);
  if (!renamed.ok()) {
    (void)fs.RemoveFile(temp);  // best effort: the rename's error is the one to report
    return renamed;
  }
  const size_t slash = path.rfind('/');
  return fs.SyncDir(slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash));
}

const FileSystem& RealFileSystem() {
  static const PosixFileSystem* fs = new PosixFileSystem();
  return *fs;
}

std::string JoinPath(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

}  // namespace flowsync
