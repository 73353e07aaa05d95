#include "config/root.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <string_view>

#include "config/config_file.h"

namespace flowsync::config {

// Lexical path operations only; the file system is reached through FileSystem.
namespace fs = std::filesystem;

namespace {

bool IsA(const FileSystem& fs, const fs::path& path, FileType type) {
  Result<FileInfo> info = fs.Stat(path.string());
  return info.ok() && info->type == type;
}

// `status`'s message without a leading "PATH: ".
std::string Reason(const Status& status, const std::string& path) {
  std::string_view reason = status.message();
  if (reason.starts_with(path) && reason.substr(path.size()).starts_with(": ")) {
    reason.remove_prefix(path.size() + 2);
  }
  return std::string(reason);
}

}  // namespace

std::optional<std::string> DiscoverRoot(const std::string& start, const FileSystem& file_system) {
  if (start.empty()) return std::nullopt;
  for (fs::path p(start);; p = p.parent_path()) {
    if (IsA(file_system, p / ".flowsync", FileType::kDirectory) ||
        IsA(file_system, p / kConfigFileName, FileType::kRegular)) {
      return p.string();
    }
    if (p == p.parent_path()) break;
  }
  return std::nullopt;
}

Result<RootSearch> FindRoot(const std::vector<std::string>& paths, const std::string& cwd,
                            const FileSystem& file_system) {
  RootSearch out;
  std::string found_from;  // the path that found out.root
  auto search = [&](const std::string& start) {
    if (std::find(out.searched.begin(), out.searched.end(), start) == out.searched.end()) {
      out.searched.push_back(start);
    }
    return DiscoverRoot(start, file_system);
  };
  for (const std::string& path : paths) {
    std::string abs = NormalisePath(path, cwd, file_system);
    Result<FileInfo> info = file_system.Stat(abs);
    if (!info.ok()) continue;  // not a path: an id or a name
    ++out.from_paths;
    std::string start =
        info->type == FileType::kDirectory ? abs : fs::path(abs).parent_path().string();
    std::optional<std::string> root = search(start);
    if (!root) continue;
    if (!out.root) {
      out.root = root;
      found_from = path;
    } else if (*out.root != *root) {
      return Status::InvalidArgument(fmt::format(
          "{} is below the flowsync root {}, {} below {}: name workflows of one root at a time",
          found_from, *out.root, path, *root));
    }
  }
  if (!out.root && !cwd.empty()) out.root = search(cwd);
  return out;
}

Status NoRootError(const std::vector<std::string>& searched, bool database_would_do) {
  std::string where;
  for (size_t i = 0; i < searched.size(); ++i) {
    where += i == 0 ? searched[i] : (i == 1 ? " (or " : ", ") + searched[i];
  }
  if (searched.size() > 1) where += ")";
  if (where.empty()) where = "the current folder";
  return Status::InvalidArgument(
      fmt::format("no flowsync root in {} or any parent (no .flowsync/ folder or {}); run "
                  "`flowsync sync TREE` first, or pass --root{}",
                  where, kConfigFileName, database_would_do ? " or --db" : ""));
}

Status CheckGivenRoot(const std::string& root, const FileSystem& file_system) {
  Result<FileInfo> info = file_system.Stat(root);
  Status problem = info.status();
  if (info.ok() && info->type == FileType::kDirectory) {
    problem = file_system.ListDir(root).status();
  } else if (info.ok() && info->type != FileType::kRegular) {
    problem = Status::InvalidArgument("not a folder");
  }
  if (problem.ok()) return Status::OK();
  return Status::Conflict(
      fmt::format("root {} is missing or unreadable ({}); refusing to read it as an empty tree",
                  root, Reason(problem, root)));
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
