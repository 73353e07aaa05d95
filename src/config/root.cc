#include "config/root.h"

#include <filesystem>

#include "config/config_file.h"

namespace flowsync::config {

namespace fs = std::filesystem;

std::string DiscoverRoot(const std::string& start) {
  if (start.empty()) return ".";
  std::error_code ec;
  fs::path dir(start);
  for (fs::path p = dir;; p = p.parent_path()) {
    if (fs::is_directory(p / ".flowsync", ec) || fs::is_regular_file(p / kConfigFileName, ec)) {
      return p.string();
    }
    if (p == p.parent_path()) break;
  }
  return dir.string();
}

std::string NormalisePath(const std::string& path, const std::string& cwd) {
  fs::path p(path);
  fs::path abs;
  if (p.is_absolute()) {
    abs = p;
  } else if (!cwd.empty()) {
    abs = fs::path(cwd) / p;
  } else {
    std::error_code ec;
    abs = fs::absolute(p, ec);
    if (ec) abs = p;
  }
  std::string s = abs.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace flowsync::config
