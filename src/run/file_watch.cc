#include "run/file_watch.h"

#include <fmt/format.h>
#include <sys/inotify.h>

#include <algorithm>
#include <set>

#include "sync/tree_watch.h"
#include "util/path_text.h"

namespace flowsync::run {
namespace {

Status AddBelow(const FileSystem& fs, const std::string& dir, const std::string& rel,
                std::set<std::pair<uint64_t, uint64_t>>& visited, std::vector<ArrivedFile>& out) {
  const std::string path = rel.empty() ? dir : JoinPath(dir, rel);
  auto info = fs.Lstat(path);
  if (!info.ok()) {
    // Gone again before we looked: nothing arrived that is still there.
    if (info.status().code() == StatusCode::kNotFound) return Status::OK();
    return info.status();
  }
  if (info->type == FileType::kRegular) {
    out.push_back({path, rel, ArrivalKey(*info)});
    return Status::OK();
  }
  if (info->type != FileType::kDirectory) return Status::OK();  // links, FIFOs, sockets
  if (!visited.insert({info->device, info->inode}).second) return Status::OK();
  auto entries = fs.ListDir(path);
  if (!entries.ok()) {
    if (entries.status().code() == StatusCode::kNotFound) return Status::OK();
    return entries.status();
  }
  std::vector<std::string> names;
  for (const DirEntry& e : *entries) {
    if (!e.name.empty() && e.name[0] != '.') names.push_back(e.name);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    FS_TRY(AddBelow(fs, dir, rel.empty() ? name : rel + "/" + name, visited, out));
  }
  return Status::OK();
}

}  // namespace

std::string ArrivalKey(const FileInfo& info) {
  return std::to_string(info.size) + "-" + std::to_string(info.mtime_ns) + "-" +
         std::to_string(info.inode);
}

Result<std::vector<ArrivedFile>> FilesBelow(const FileSystem& fs, const std::string& dir,
                                            const std::string& rel) {
  std::vector<ArrivedFile> out;
  std::set<std::pair<uint64_t, uint64_t>> visited;
  FS_TRY(AddBelow(fs, dir, rel, visited, out));
  return out;
}

Status WatchArrivals(const FileSystem& fs, const std::string& dir, const WatchOptions& options,
                     const std::function<Status(const std::vector<ArrivedFile>&)>& on_files,
                     const std::function<void(const WatchState&)>& on_state) {
  auto info = fs.Lstat(dir);
  if (!info.ok() || info->type != FileType::kDirectory) {
    return Status::NotFound(fmt::format("--watch {}: is not a folder{}", dir,
                                        info.ok() ? "" : " (" + info.status().message() + ")"));
  }
  TreeWatchHooks hooks;
  // A folder made here is not an arrival (its files are, as each is
  // closed); a folder moved in brings its files.
  hooks.wanted = [](const std::string&, uint32_t mask) {
    return (mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0;
  };
  hooks.on_state = on_state;
  hooks.on_batch = [&](const TreeBatch& batch) -> Status {
    std::vector<ArrivedFile> files;
    if (batch.keys.empty()) {
      FS_TRY_ASSIGN(files, FilesBelow(fs, dir, ""));
    } else {
      std::set<std::pair<uint64_t, uint64_t>> visited;
      for (const std::string& key : batch.keys) {
        FS_TRY(AddBelow(fs, dir, TextToPath(key), visited, files));
      }
    }
    if (files.empty()) return Status::OK();
    return on_files(files);
  };
  return WatchTree(fs, dir, options, hooks);
}

}  // namespace flowsync::run
