#include "config/root.h"

#include <filesystem>

#include "config/config_file.h"

namespace flowsync::config {

// Lexical path operations only; the file system is reached through FileSystem.
namespace fs = std::filesystem;

namespace {

bool IsA(const FileSystem& fs, const fs::path& path, FileType type) {
  Result<FileInfo> info = fs.Stat(path.string());
  return info.ok() && info->type == type;
}

}  // namespace

std::string DiscoverRoot(const std::string& start, const FileSystem& file_system) {
  if (start.empty()) return ".";
  fs::path dir(start);
  for (fs::path p = dir;; p = p.parent_path()) {
    if (IsA(file_system, p / ".flowsync", FileType::kDirectory) ||
        IsA(file_system, p / kConfigFileName, FileType::kRegular)) {
      return p.string();
    }
    if (p == p.parent_path()) break;
  }
  return dir.string();
}

std::string NormalisePath(const std::string& path, const std::string& cwd,
                          const FileSystem& file_system) {
  fs::path p(path);
  fs::path abs;
  if (p.is_absolute()) {
    abs = p;
  } else if (!cwd.empty()) {
    abs = fs::path(cwd) / p;
  } else if (Result<std::string> current = file_system.CurrentDir(); current.ok()) {
    abs = fs::path(*current) / p;
  } else {
    abs = p;
  }
  std::string s = abs.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace flowsync::config
