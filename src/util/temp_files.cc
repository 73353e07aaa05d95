#include "util/temp_files.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>

namespace flowsync {

std::optional<int64_t> TempFilePid(std::string_view name) {
  constexpr std::string_view kMarker = ".tmp-";
  if (name.size() < 2 || name[0] != '.') return std::nullopt;
  const size_t marker = name.rfind(kMarker);
  if (marker == std::string_view::npos || marker < 2) return std::nullopt;
  const std::string_view tail = name.substr(marker + kMarker.size());  // "PID-N"
  const size_t dash = tail.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto digits = [](std::string_view s) {
    return !s.empty() && s.size() <= 18 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const std::string_view pid = tail.substr(0, dash);
  if (!digits(pid) || !digits(tail.substr(dash + 1))) return std::nullopt;
  int64_t value = 0;
  for (char c : pid) value = value * 10 + (c - '0');
  return value;
}

bool ProcessRunning(int64_t pid) {
  if (pid <= 0 || pid > std::numeric_limits<pid_t>::max()) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

Result<int> RemoveStaleTempFiles(const FileSystem& fs, const std::string& dir,
                                 const std::function<bool(int64_t pid)>& running) {
  auto entries = fs.ListDir(dir);
  if (!entries.ok()) {
    if (entries.status().code() == StatusCode::kNotFound) return 0;
    return entries.status();
  }
  int removed = 0;
  for (const DirEntry& e : *entries) {
    if (e.type == FileType::kDirectory) continue;
    const std::optional<int64_t> pid = TempFilePid(e.name);
    if (!pid || *pid == ::getpid() || running(*pid)) continue;
    FS_TRY(fs.RemoveFile(JoinPath(dir, e.name)));
    ++removed;
  }
  return removed;
}

}  // namespace flowsync
