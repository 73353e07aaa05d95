#include "util/lock_holder.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

namespace flowsync {
namespace {

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <typename T>
bool Number(std::string_view text, T* out, int base = 10) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<int64_t> FindLockHolderPid(std::string_view proc_locks, uint32_t major,
                                         uint32_t minor, uint64_t inode, uint64_t offset) {
  size_t start = 0;
  while (start < proc_locks.size()) {
    size_t end = proc_locks.find('\n', start);
    if (end == std::string_view::npos) end = proc_locks.size();
    std::vector<std::string_view> f = Fields(proc_locks.substr(start, end - start));
    start = end + 1;
    // "N:" POSIX ADVISORY|MANDATORY READ|WRITE PID MAJ:MIN:INODE FROM TO
    if (f.size() != 8 || f[1] != "POSIX" || f[3] != "WRITE") continue;
    std::string_view id = f[5];
    size_t c1 = id.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : id.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    uint32_t maj = 0, min = 0;
    uint64_t ino = 0, from = 0, to = 0;
    int64_t pid = 0;
    if (!Number(id.substr(0, c1), &maj, 16) || !Number(id.substr(c1 + 1, c2 - c1 - 1), &min, 16) ||
        !Number(id.substr(c2 + 1), &ino) || !Number(f[6], &from) || !Number(f[4], &pid)) {
      continue;
    }
    if (f[7] != "EOF" && !Number(f[7], &to)) continue;
    if (maj != major || min != minor || ino != inode || pid <= 0) continue;
    if (offset < from || (f[7] != "EOF" && offset > to)) continue;
    return pid;
  }
  return std::nullopt;
}

std::optional<LockHolder> PosixLockHolder(const std::string& path, uint64_t offset) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  std::optional<std::string> locks = ReadSmallFile("/proc/locks");
  if (!locks) return std::nullopt;
  std::optional<int64_t> pid = FindLockHolderPid(*locks, major(st.st_dev), minor(st.st_dev),
                                                 static_cast<uint64_t>(st.st_ino), offset);
  if (!pid) return std::nullopt;
  LockHolder holder;
  holder.pid = *pid;
  if (auto comm = ReadSmallFile("/proc/" + std::to_string(*pid) + "/comm")) {
    holder.command = *comm;
    while (!holder.command.empty() && holder.command.back() == '\n') holder.command.pop_back();
  }
  return holder;
}

}  // namespace flowsync
