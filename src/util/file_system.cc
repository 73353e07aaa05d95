// POSIX implementation of FileSystem.
#include "flowsync/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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

 private:
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
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return PosixError(path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return PosixError(path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::IOError(path + ": is a directory");
  }
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    ::close(fd);
    return Status::InvalidArgument(path + ": file is " + std::to_string(st.st_size) +
                                   " bytes, over the limit of " + std::to_string(max_size) +
                                   " bytes (--max-file-size)");
  }
  std::string data;
  data.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (true) {
    if (done == data.size()) {
      // The file may have grown since fstat: read on, within the limit.
      if (data.size() >= max_size + 1) break;
      data.resize(std::min<uint64_t>(max_size + 1, data.size() + 65536));
    }
    ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return PosixError(path, err);
    }
    if (n == 0) break;
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
