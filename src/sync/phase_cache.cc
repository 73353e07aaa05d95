// PhaseCache (flowsync/phase_cache.h): an index over the phase workflows a
// store holds, kept in step with the files by a sync of the phase files.
#include "flowsync/phase_cache.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <utility>

#include "flowsync/catalog.h"
#include "flowsync/sync.h"
#include "phase/phase_index.h"
#include "phase/query.h"
#include "phase/validation.h"
#include "util/path_text.h"
#include "util/time_format.h"

namespace flowsync {
namespace {

using phase::IndexedFile;
using phase::PhaseIndex;

std::string BaseName(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const size_t slash = trimmed.rfind('/');
  return slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
}

std::string DirName(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const size_t slash = trimmed.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : trimmed.substr(0, slash);
}

// The mtime (Unix ms) in a stored "size:mtime_ns:inode" signature; 0 when
// there is none (a racy signature is stored empty).
int64_t SignatureMtimeMs(std::string_view sig) {
  const size_t a = sig.find(':');
  const size_t b = a == std::string_view::npos ? a : sig.find(':', a + 1);
  if (b == std::string_view::npos) return 0;
  int64_t ns = 0;
  for (char c : sig.substr(a + 1, b - a - 1)) {
    if (c < '0' || c > '9') return 0;
    ns = ns * 10 + (c - '0');
  }
  return ns / 1'000'000;
}

class PhaseCacheImpl final : public PhaseCache {
 public:
  PhaseCacheImpl(std::string root, bool is_dir, Store* store, PhaseCacheOptions options)
      : root_(std::move(root)),
        store_(store),
        options_(std::move(options)),
        fs_(options_.fs != nullptr ? *options_.fs : RealFileSystem()),
        clock_(options_.clock != nullptr ? *options_.clock : SystemClock()),
        is_dir_(is_dir) {}

  // Brings the index up to date with the store; the keys whose phases
  // changed go to `changed` ("-key" for removed ones), in key order.
  Status Load(std::vector<std::string>* changed);

  std::optional<FoundPhase> Search(std::string_view topic, std::string_view job) const override {
    if (topic.empty()) return std::nullopt;
    std::shared_lock lock(mu_);
    return index_.FirstInAnyFile(topic, job);
  }

  std::optional<FoundPhase> Get(const Task& task) const override {
    if (task.type.empty()) return std::nullopt;
    phase::QueryValues meta;
    (void)phase::ParseQuery(task.meta, &meta);  // as flowlord: errors ignored
    const std::string& job = task.job.empty() ? meta.Get("job") : task.job;
    const std::string& file = meta.Get("workflow");
    if (file.empty()) return std::nullopt;
    std::shared_lock lock(mu_);
    if (file == "*") return index_.FirstInAnyFile(task.type, job);
    return index_.First(file, task.type, job);
  }

  std::vector<Phase> Children(const Task& task) const override {
    if (task.type.empty()) return {};
    phase::QueryValues meta;
    (void)phase::ParseQuery(task.meta, &meta);
    const std::string& job = task.job.empty() ? meta.Get("job") : task.job;
    const std::string& file = meta.Get("workflow");
    if (file.empty()) return {};
    std::shared_lock lock(mu_);
    return index_.Children(file, task.type, job);
  }

  Result<RefreshReport> Refresh() override;

  bool IsDir() const override {
    std::shared_lock lock(mu_);
    return is_dir_;
  }

  std::vector<StoredPhaseFile> Files() const override {
    std::shared_lock lock(mu_);
    return index_.Files();
  }

  Status Close() override {
    std::scoped_lock refresh_lock(refresh_mu_);
    std::unique_lock lock(mu_);
    closed_ = true;
    index_.Clear();
    return Status::OK();
  }

 private:
  // The sync of the phase files under the root (a folder, or one file).
  SyncOptions SyncOf(bool is_dir) const {
    SyncOptions o;
    o.root = is_dir ? root_ : DirName(root_);
    o.scope.format = Format::kPhase;
    if (!is_dir) o.scope.path = PathToText(BaseName(root_));  // a key, as stored
    // Files that are gone are gone: flowlord must not schedule them.
    o.mode = SyncMode::kFull;
    o.limits.max_file_size = options_.max_file_size;
    o.fs = &fs_;
    o.clock = &clock_;
    return o;
  }

  const std::string root_;
  Store* const store_;
  PhaseCacheOptions options_;
  const FileSystem& fs_;
  const Clock& clock_;

  std::mutex refresh_mu_;  // one Refresh (or Close) at a time; guards the store and cursor_
  // Guards index_, is_dir_ and closed_. Refresh reads index_ without it
  // (it is the only writer, under refresh_mu_) and takes it to write.
  mutable std::shared_mutex mu_;
  PhaseIndex index_;
  bool is_dir_;
  bool closed_ = false;
  // The store's change cursor when the index was last loaded: the index is
  // reloaded only when the store changed since (by this cache's syncs, or
  // by any other writer).
  std::optional<int64_t> cursor_;
};

Status PhaseCacheImpl::Load(std::vector<std::string>* changed) {
  Catalog& catalog = store_->catalog();
  // The cursor first: a change committed while the list is read is seen
  // again next time, never missed.
  FS_TRY_ASSIGN(int64_t cursor, catalog.ChangeCursor());
  if (cursor_ == cursor) return Status::OK();
  FS_TRY_ASSIGN(std::vector<StoredPhaseSource> sources, catalog.ListPhaseSources());
  const std::string only = is_dir_ ? std::string() : PathToText(BaseName(root_));

  std::vector<std::shared_ptr<const IndexedFile>> built;
  std::set<std::string, std::less<>> listed;
  for (StoredPhaseSource& source : sources) {
    if (!only.empty() && source.path != only) continue;
    listed.insert(source.path);
    const IndexedFile* existing = index_.Find(source.path);
    if (existing != nullptr && existing->file.hash == source.content_hash) continue;
    StoredPhaseFile file;
    file.key = std::move(source.path);
    file.hash = std::move(source.content_hash);
    file.loaded_at_ms = ParseTimestampMs(source.updated_at).value_or(0);
    file.last_modified_ms = SignatureMtimeMs(source.source_sig);
    file.phases = phase::PhasesFromEntries(source.entries, {options_.max_retry});
    if (changed != nullptr) changed->push_back(file.key);
    built.push_back(std::make_shared<const IndexedFile>(std::move(file)));
  }
  std::vector<std::string> removed;
  for (const std::string& key : index_.Keys()) {
    if (listed.count(key) == 0) removed.push_back(key);
  }
  {
    std::unique_lock lock(mu_);
    for (auto& file : built) index_.Put(std::move(file));
    for (const std::string& key : removed) index_.Remove(key);
  }
  if (changed != nullptr) {
    for (const std::string& key : removed) changed->push_back("-" + key);
  }
  cursor_ = cursor;
  return Status::OK();
}

Result<RefreshReport> PhaseCacheImpl::Refresh() {
  std::scoped_lock refresh_lock(refresh_mu_);
  {
    std::shared_lock lock(mu_);
    if (closed_) return Status::Conflict("phase cache is closed");
  }
  // The root decides the mode each time (it may have been replaced).
  FS_TRY_ASSIGN(FileInfo root_info, fs_.Stat(root_));
  const bool is_dir = root_info.type == FileType::kDirectory;
  if (!is_dir && root_info.type != FileType::kRegular) {
    return Status::InvalidArgument(root_ + ": not a file or folder");
  }
  // A root that cannot be listed is an error of its own, not a sync's
  // guard rail (whose advice, --force, would delete every phase).
  if (is_dir) FS_TRY(fs_.ListDir(root_).status());
  if (is_dir != is_dir_) {
    std::unique_lock lock(mu_);
    is_dir_ = is_dir;
    cursor_.reset();  // another set of keys: reload them all
  }

  // The cheap check first, without the writer lock: a refresh with
  // nothing new reads no file and leaves no trace in the store. Else one
  // sync, which reads what changed once, under the lock.
  const SyncOptions sync = SyncOf(is_dir);
  FS_TRY_ASSIGN(bool changed_files, SourcesChanged(*store_, sync));
  RefreshReport report;
  if (changed_files) {
    FS_TRY_ASSIGN(SyncReport synced, RunSync(*store_, sync));
    for (const Change& c : synced.changes) {
      if (c.kind == ChangeKind::kError)
        report.errors.push_back({c.path, Status(c.code, c.message)});
    }
  }
  std::stable_sort(report.errors.begin(), report.errors.end(),
                   [](const PhaseFileError& a, const PhaseFileError& b) { return a.key < b.key; });
  std::vector<std::string> changed;
  FS_TRY(Load(&changed));
  std::stable_sort(changed.begin(), changed.end(), [](const std::string& a, const std::string& b) {
    return (a[0] == '-') < (b[0] == '-') || ((a[0] == '-') == (b[0] == '-') && a < b);
  });
  report.changed = std::move(changed);
  return report;
}

}  // namespace

Result<std::unique_ptr<PhaseCache>> OpenPhaseCache(Store* store, const std::string& root,
                                                   PhaseCacheOptions options) {
  const FileSystem& fs = options.fs != nullptr ? *options.fs : RealFileSystem();
  FS_TRY_ASSIGN(FileInfo info, fs.Stat(root));
  if (info.type != FileType::kDirectory && info.type != FileType::kRegular) {
    return Status::InvalidArgument(root + ": not a file or folder");
  }
  auto cache = std::make_unique<PhaseCacheImpl>(root, info.type == FileType::kDirectory, store,
                                                std::move(options));
  FS_TRY(cache->Load(nullptr));
  return std::unique_ptr<PhaseCache>(std::move(cache));
}

}  // namespace flowsync
