#include "util/memory_file_system.h"

#include <cerrno>
#include <deque>
#include <limits>
#include <mutex>

#include "util/posix_error.h"

namespace flowsync {
namespace {

constexpr int kMaxSymlinks = 40;  // Linux's MAXSYMLINKS

// The components of `path` other than "" and "." (a/./b//c -> a b c).
std::deque<std::string> Components(std::string_view path) {
  std::deque<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

std::string Child(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::string Parent(const std::string& key) {
  const size_t slash = key.rfind('/');
  if (slash == std::string::npos) return "";  // also ".." of the relative root
  return slash == 0 ? "/" : key.substr(0, slash);
}

// The keys below `key` start with this.
std::string SubtreePrefix(const std::string& key) {
  return key.empty() || key == "/" ? key : key + "/";
}

}  // namespace

MemoryFileSystem::MemoryFileSystem(const Clock* clock)
    : clock_(clock != nullptr ? *clock : SystemClock()) {
  NewNode("", FileType::kDirectory, "");
  NewNode("/", FileType::kDirectory, "");
}

MemoryFileSystem::Node* MemoryFileSystem::NewNode(const std::string& key, FileType type,
                                                  std::string data) const {
  Node& node = nodes_[key];
  node.type = type;
  node.data = std::move(data);
  node.mtime_ns = clock_.NowMs() * 1'000'000;
  node.inode = next_inode_++;
  node.size.reset();
  return &node;
}

Result<MemoryFileSystem::Found> MemoryFileSystem::Find(const std::string& path,
                                                       bool follow_last) const {
  std::deque<std::string> todo = Components(path);
  std::string current = path.starts_with('/') ? "/" : "";
  int links = 0;
  while (!todo.empty()) {
    const std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == "..") {
      current = Parent(current);
      continue;
    }
    std::string next = Child(current, name);
    auto it = nodes_.find(next);
    const bool last = todo.empty();
    if (it == nodes_.end()) {
      if (last) return Found{std::move(next), nullptr};
      return PosixError(path, ENOENT);
    }
    const Node& node = it->second;
    if (node.type == FileType::kSymlink && (!last || follow_last)) {
      if (++links > kMaxSymlinks) return PosixError(path, ELOOP);
      std::deque<std::string> target = Components(node.data);
      todo.insert(todo.begin(), target.begin(), target.end());
      if (node.data.starts_with('/')) current = "/";
      continue;
    }
    if (!last && node.type != FileType::kDirectory) return PosixError(path, ENOTDIR);
    if (last) return Found{std::move(next), &node};
    current = std::move(next);
  }
  // The path named a root, or ended in "..".
  return Found{current, &nodes_.at(current)};
}

Status MemoryFileSystem::CheckFault(Op op, const std::string& path) const {
  for (const Fault& fault : faults_) {
    if (fault.op != op || !fault.matches(path)) continue;
    return fault.error_number != 0 ? PosixError(path, fault.error_number) : fault.status;
  }
  return Status::OK();
}

FileInfo MemoryFileSystem::InfoOf(const Node& node) const {
  FileInfo info;
  info.type = node.type;
  info.size = node.size.value_or(node.type == FileType::kDirectory ? 4096 : node.data.size());
  info.mtime_ns = node.mtime_ns;
  info.inode = node.inode;
  info.device = 1;
  return info;
}

// ---- Reading ------------------------------------------------------------------

Result<std::string> MemoryFileSystem::CurrentDir() const {
  std::shared_lock lock(mu_);
  return cwd_;
}

void MemoryFileSystem::SetCurrentDir(std::string dir) {
  std::unique_lock lock(mu_);
  cwd_ = std::move(dir);
}

Result<std::string> MemoryFileSystem::RealPath(const std::string& path) const {
  std::shared_lock lock(mu_);
  const std::string abs = path.starts_with('/') ? path : Child(cwd_, path);
  std::deque<std::string> parts = Components(abs);
  // The longest prefix that exists, with its links resolved; the rest as
  // written, "." and ".." folded.
  for (size_t n = parts.size();; --n) {
    std::string prefix = "/";
    for (size_t i = 0; i < n; ++i) prefix = Child(prefix, parts[i]);
    Result<Found> found = Find(prefix, /*follow_last=*/true);
    if (found.ok() && found->node != nullptr) {
      std::string out = found->key;
      for (size_t i = n; i < parts.size(); ++i) {
        out = parts[i] == ".." ? Parent(out) : Child(out, parts[i]);
      }
      return out.empty() ? std::string("/") : out;
    }
    if (n == 0) return std::string("/");
  }
}

Result<FileInfo> MemoryFileSystem::Stat(const std::string& path) const {
  std::shared_lock lock(mu_);
  FS_TRY(CheckFault(Op::kStat, path));
  FS_TRY_ASSIGN(Found found, Find(path, /*follow_last=*/true));
  if (found.node == nullptr) return PosixError(path, ENOENT);
  return InfoOf(*found.node);
}

Result<FileInfo> MemoryFileSystem::Lstat(const std::string& path) const {
  std::shared_lock lock(mu_);
  FS_TRY(CheckFault(Op::kStat, path));
  FS_TRY_ASSIGN(Found found, Find(path, /*follow_last=*/false));
  if (found.node == nullptr) return PosixError(path, ENOENT);
  return InfoOf(*found.node);
}

Result<std::vector<DirEntry>> MemoryFileSystem::ListDir(const std::string& path) const {
  std::shared_lock lock(mu_);
  FS_TRY(CheckFault(Op::kList, path));
  FS_TRY_ASSIGN(Found found, Find(path, /*follow_last=*/true));
  if (found.node == nullptr) return PosixError(path, ENOENT);
  if (found.node->type != FileType::kDirectory) return PosixError(path, ENOTDIR);
  const std::string prefix = SubtreePrefix(found.key);
  std::vector<DirEntry> entries;
  // Keys sort in byte order, so a folder's subtree is one range of the map
  // and its children come out sorted by name.
  for (auto it = nodes_.lower_bound(prefix); it != nodes_.end(); ++it) {
    const std::string& key = it->first;
    if (!key.starts_with(prefix)) break;
    std::string_view name = std::string_view(key).substr(prefix.size());
    if (name.empty() || name.find('/') != std::string_view::npos) continue;
    DirEntry entry;
    entry.name = std::string(name);
    entry.type = it->second.type;
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::string> MemoryFileSystem::ReadFile(const std::string& path, uint64_t max_size) const {
  reads_.fetch_add(1, std::memory_order_relaxed);
  if (on_read_) on_read_(path);
  std::shared_lock lock(mu_);
  FS_TRY(CheckFault(Op::kRead, path));
  FS_TRY_ASSIGN(Found found, Find(path, /*follow_last=*/true));
  if (found.node == nullptr) return PosixError(path, ENOENT);
  if (found.node->type == FileType::kDirectory) return IsADirectoryError(path);
  if (found.node->data.size() > max_size) {
    return FileTooLargeError(path, found.node->data.size(), max_size);
  }
  return found.node->data;
}

// ---- Writing ------------------------------------------------------------------

Status MemoryFileSystem::CreateDirs(const std::string& path) const {
  std::unique_lock lock(mu_);
  FS_TRY(CheckFault(Op::kCreateDir, path));
  return MakeDirs(path, Components(path).size());
}

Status MemoryFileSystem::MakeDirs(const std::string& path, size_t count) const {
  std::deque<std::string> parts = Components(path);
  std::string prefix = path.starts_with('/') ? "/" : "";
  for (size_t i = 0; i < count; ++i) {
    prefix += parts[i] + "/";
    FS_TRY_ASSIGN(Found found, Find(prefix, /*follow_last=*/true));
    if (found.node == nullptr) {
      NewNode(found.key, FileType::kDirectory, "");
    } else if (found.node->type != FileType::kDirectory) {
      return PosixError(path, ENOTDIR);
    }
  }
  return Status::OK();
}

Status MemoryFileSystem::MakeParents(const std::string& path) const {
  const size_t count = Components(path).size();
  return MakeDirs(path, count == 0 ? 0 : count - 1);
}

Status MemoryFileSystem::WriteNewFile(const std::string& path, std::string_view bytes,
                                      bool /*sync*/) const {
  std::unique_lock lock(mu_);
  FS_TRY(CheckFault(Op::kWrite, path));
  FS_TRY_ASSIGN(Found found, Find(path, /*follow_last=*/false));
  if (found.node != nullptr) return PosixError(path, EEXIST);
  NewNode(found.key, FileType::kRegular, std::string(bytes));
  return Status::OK();
}

Status MemoryFileSystem::Rename(const std::string& from, const std::string& to,
                                RenameMode mode) const {
  std::unique_lock lock(mu_);
  FS_TRY(CheckFault(Op::kRename, from));
  FS_TRY(CheckFault(Op::kRename, to));
  FS_TRY_ASSIGN(Found source, Find(from, /*follow_last=*/false));
  if (source.node == nullptr) return PosixError(to, ENOENT);
  FS_TRY_ASSIGN(Found target, Find(to, /*follow_last=*/false));
  if (source.key == target.key) return Status::OK();
  if (target.node != nullptr) {
    if (mode == RenameMode::kNoReplace) return PosixError(to, EEXIST);
    if (target.node->type == FileType::kDirectory) return PosixError(to, EISDIR);
    if (source.node->type == FileType::kDirectory) return PosixError(to, ENOTDIR);
  }
  if (SubtreePrefix(target.key).starts_with(SubtreePrefix(source.key))) {
    return PosixError(to, EINVAL);  // a folder into itself
  }
  // The node and, for a folder, everything below it move to the new key.
  const std::string old_prefix = SubtreePrefix(source.key);
  const std::string new_prefix = SubtreePrefix(target.key);
  Node moved = std::move(nodes_.at(source.key));
  nodes_.erase(source.key);
  nodes_[target.key] = std::move(moved);
  std::vector<std::string> below;
  for (auto it = nodes_.lower_bound(old_prefix);
       it != nodes_.end() && it->first.starts_with(old_prefix); ++it) {
    below.push_back(it->first);
  }
  for (const std::string& key : below) {
    auto node = nodes_.extract(key);
    node.key() = new_prefix + key.substr(old_prefix.size());
    nodes_.insert(std::move(node));
  }
  return Status::OK();
}

Status MemoryFileSystem::RemoveFile(const std::string& path) const {
  std::unique_lock lock(mu_);
  FS_TRY(CheckFault(Op::kRemove, path));
  FS_TRY_ASSIGN(Found found, Find(path, /*follow_last=*/false));
  if (found.node == nullptr) return PosixError(path, ENOENT);
  if (found.node->type == FileType::kDirectory) return PosixError(path, EISDIR);
  nodes_.erase(found.key);
  return Status::OK();
}

Status MemoryFileSystem::SyncDir(const std::string& path) const {
  std::shared_lock lock(mu_);
  FS_TRY(CheckFault(Op::kSync, path));
  FS_TRY_ASSIGN(Found found, Find(path, /*follow_last=*/true));
  if (found.node == nullptr) return PosixError(path, ENOENT);
  if (found.node->type != FileType::kDirectory) return PosixError(path, ENOTDIR);
  return Status::OK();
}

Status MemoryFileSystem::SyncFileSystem(const std::string& path) const {
  std::shared_lock lock(mu_);
  FS_TRY(CheckFault(Op::kSync, path));
  FS_TRY_ASSIGN(Found found, Find(path, /*follow_last=*/true));
  if (found.node == nullptr) return PosixError(path, ENOENT);
  return Status::OK();
}

// ---- Setting up -------------------------------------------------------------------

Status MemoryFileSystem::SetFile(const std::string& path, std::string bytes) {
  std::unique_lock lock(mu_);
  FS_TRY(MakeParents(path));
  FS_TRY_ASSIGN(Found found, Find(path, /*follow_last=*/true));
  if (found.node == nullptr) {
    NewNode(found.key, FileType::kRegular, std::move(bytes));
    return Status::OK();
  }
  if (found.node->type != FileType::kRegular) return PosixError(path, EISDIR);
  Node& node = nodes_.at(found.key);
  node.data = std::move(bytes);
  node.mtime_ns = clock_.NowMs() * 1'000'000;
  node.size.reset();
  return Status::OK();
}

Status MemoryFileSystem::SetSymlink(const std::string& path, std::string target) {
  std::unique_lock lock(mu_);
  FS_TRY(MakeParents(path));
  FS_TRY_ASSIGN(Found found, Find(path, /*follow_last=*/false));
  if (found.node != nullptr) return PosixError(path, EEXIST);
  NewNode(found.key, FileType::kSymlink, std::move(target));
  return Status::OK();
}

Status MemoryFileSystem::ChangeNode(const std::string& path,
                                    const std::function<void(Node&)>& change) {
  std::unique_lock lock(mu_);
  FS_TRY_ASSIGN(Found found, Find(path, /*follow_last=*/false));
  if (found.node == nullptr) return PosixError(path, ENOENT);
  change(nodes_.at(found.key));
  return Status::OK();
}

Status MemoryFileSystem::SetMtime(const std::string& path, int64_t mtime_ns) {
  return ChangeNode(path, [&](Node& node) { node.mtime_ns = mtime_ns; });
}

Status MemoryFileSystem::SetInode(const std::string& path, uint64_t inode) {
  return ChangeNode(path, [&](Node& node) { node.inode = inode; });
}

Status MemoryFileSystem::SetSize(const std::string& path, uint64_t size) {
  return ChangeNode(path, [&](Node& node) { node.size = size; });
}

Status MemoryFileSystem::RemoveAll(const std::string& path) {
  std::unique_lock lock(mu_);
  // (A Result, not FS_TRY_ASSIGN: GCC 12 warns of an uninitialised key.)
  Result<Found> found = Find(path, /*follow_last=*/false);
  if (!found.ok()) return found.status();
  const std::string& key = found->key;
  if (found->node == nullptr) return PosixError(path, ENOENT);
  if (key.empty() || key == "/") return PosixError(path, EBUSY);
  // The subtree: keys from "KEY/" up to "KEY0" ('0' follows '/').
  nodes_.erase(nodes_.lower_bound(key + '/'), nodes_.lower_bound(key + '0'));
  nodes_.erase(key);
  return Status::OK();
}

Status MemoryFileSystem::CopyFrom(const FileSystem& source, const std::string& path) {
  FS_TRY_ASSIGN(FileInfo info, source.Lstat(path));
  if (info.type == FileType::kRegular) {
    FS_TRY_ASSIGN(std::string bytes, source.ReadFile(path, std::numeric_limits<uint64_t>::max()));
    FS_TRY(SetFile(path, std::move(bytes)));
    return SetMtime(path, info.mtime_ns);
  }
  if (info.type != FileType::kDirectory) return Status::OK();
  FS_TRY(CreateDirs(path));
  FS_TRY_ASSIGN(std::vector<DirEntry> entries, source.ListDir(path));
  for (const DirEntry& entry : entries) FS_TRY(CopyFrom(source, JoinPath(path, entry.name)));
  return Status::OK();
}

// ---- Faults -------------------------------------------------------------------------

void MemoryFileSystem::InjectFault(Op op, std::string path, Status status) {
  InjectFault(
      op, [path = std::move(path)](const std::string& p) { return p == path; }, std::move(status));
}

void MemoryFileSystem::InjectFault(Op op, PathMatcher matches, Status status) {
  std::unique_lock lock(mu_);
  faults_.push_back(Fault{op, std::move(matches), std::move(status)});
}

void MemoryFileSystem::InjectError(Op op, PathMatcher matches, int error_number) {
  std::unique_lock lock(mu_);
  faults_.push_back(Fault{op, std::move(matches), Status::OK(), error_number});
}

void MemoryFileSystem::ClearFaults() {
  std::unique_lock lock(mu_);
  faults_.clear();
}

}  // namespace flowsync
