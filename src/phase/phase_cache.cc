// PhaseCache (flowsync/phase_cache.h): the index, the store and the walk
// that keeps them in step with the phase files.
#include "flowsync/phase_cache.h"

#include <algorithm>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "phase/phase_index.h"
#include "phase/query.h"
#include "phase/validation.h"
#include "source/phase_file.h"
#include "source/scan.h"
#include "util/hash.h"

namespace flowsync {
namespace {

using phase::IndexedFile;
using phase::PhaseIndex;

// A file signature taken this close to the start of a refresh (or later)
// is not trusted: the file may change again within the file system's
// timestamp granularity without its signature changing (git's "racily
// clean" rule).
constexpr int64_t kRacyWindowNs = 100'000'000;

struct Candidate {
  std::string key;
  std::string path;
  std::string signature;  // SourceSignature(): size, mtime and inode
  int64_t mtime_ns = 0;
};

std::string BaseName(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const size_t slash = trimmed.rfind('/');
  return slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
}

std::string Stem(const std::string& key) {
  std::string base = BaseName(key);
  const size_t dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base;
}

// A FileSystem error about `path`, restated about `key` (the path relative to
// the root), as the source readers do.
Status AboutKey(const Status& status, const std::string& path, const std::string& key) {
  std::string message = status.message();
  if (message.starts_with(path + ": ")) message.erase(0, path.size() + 2);
  return Status(status.code(), key + ": " + message);
}

// The phase files under a root, found by the sync's own walk (ScanTree), so
// the cache and a sync agree on which files are phase files: dot-names,
// bundle folders and the root's flowsync.toml are not. Candidates sorted by
// key, plus the errors of entries that could not be examined and the
// folders that could not be listed (files below them are neither loaded nor
// removed).
struct Walk {
  std::vector<Candidate> files;
  std::vector<PhaseFileError> errors;
  std::vector<std::string> unlisted_prefixes;  // "sub/" of unlistable folders
};

// The root's own listing error is returned; deeper ones are recorded.
Result<Walk> WalkPhaseFiles(const FileSystem& fs, const std::string& root) {
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ScanResult scan = ScanTree(fs, root, threads);
  Walk walk;
  for (const ScanProblem& d : scan.unreadable_dirs) {
    if (d.path == ".") return d.status;
    walk.errors.push_back({d.path, AboutKey(d.status, JoinPath(root, d.path), d.path)});
    walk.unlisted_prefixes.push_back(d.path + "/");
  }
  for (const ScanProblem& b : scan.broken) {
    if (!b.path.ends_with(".toml")) continue;
    walk.errors.push_back({b.path, AboutKey(b.status, JoinPath(root, b.path), b.path)});
  }
  for (ScannedSource& s : scan.sources) {
    if (s.candidate.format != Format::kPhase) continue;
    walk.files.push_back({std::move(s.candidate.key), std::move(s.candidate.path), std::move(s.sig),
                          s.newest_mtime_ns});
  }
  return walk;
}

class PhaseCacheImpl final : public PhaseCache {
 public:
  PhaseCacheImpl(std::string root, bool is_dir, PhaseStore* store, PhaseCacheOptions options)
      : root_(std::move(root)),
        store_(store),
        options_(std::move(options)),
        fs_(options_.fs != nullptr ? *options_.fs : RealFileSystem()),
        clock_(options_.clock != nullptr ? *options_.clock : SystemClock()),
        is_dir_(is_dir) {}

  Status Load() {
    FS_TRY_ASSIGN(std::vector<StoredPhaseFile> files, store_->LoadAll());
    for (StoredPhaseFile& file : files) {
      index_.Put(std::make_shared<const IndexedFile>(std::move(file)));
    }
    return Status::OK();
  }

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
    if (closed_) return Status::OK();
    closed_ = true;
    index_.Clear();
    return store_->Close();
  }

 private:
  // Reads and parses one candidate when its content changed. Returns
  // nullopt when unchanged.
  Result<std::optional<StoredPhaseFile>> LoadChanged(const Candidate& candidate, int64_t now_ms,
                                                     std::vector<Finding>* findings,
                                                     bool* trust_signature);

  const std::string root_;
  PhaseStore* const store_;
  PhaseCacheOptions options_;
  const FileSystem& fs_;
  const Clock& clock_;

  std::mutex refresh_mu_;  // one Refresh (or Close) at a time
  // Guards index_, is_dir_ and closed_. Refresh reads index_ without it
  // (it is the only writer, under refresh_mu_) and takes it to write.
  mutable std::shared_mutex mu_;
  PhaseIndex index_;
  bool is_dir_;
  bool closed_ = false;
  // Signatures of files whose content is known to equal the index's (this
  // process only; after a restart every file is hashed once). Refresh only.
  std::unordered_map<std::string, std::string> signatures_;
};

Result<std::optional<StoredPhaseFile>> PhaseCacheImpl::LoadChanged(const Candidate& candidate,
                                                                   int64_t now_ms,
                                                                   std::vector<Finding>* findings,
                                                                   bool* trust_signature) {
  const IndexedFile* existing = index_.Find(candidate.key);
  const std::string& signature = candidate.signature;
  *trust_signature = candidate.mtime_ns + kRacyWindowNs < now_ms * 1'000'000;
  if (existing != nullptr) {
    auto it = signatures_.find(candidate.key);
    if (it != signatures_.end() && it->second == signature) return std::optional<StoredPhaseFile>();
  }
  Result<std::string> text = fs_.ReadFile(candidate.path, options_.max_file_size);
  if (!text.ok()) return AboutKey(text.status(), candidate.path, candidate.key);
  std::string hash = HashHex(*text);
  if (existing != nullptr && existing->file.hash == hash) return std::optional<StoredPhaseFile>();
  FS_TRY_ASSIGN(std::optional<ParsedWorkflow> parsed,
                ReadPhaseFile(*text, candidate.key, Stem(candidate.key)));
  StoredPhaseFile file;
  file.key = candidate.key;
  file.hash = std::move(hash);
  file.loaded_at_ms = now_ms;
  file.last_modified_ms = candidate.mtime_ns / 1'000'000;
  // Valid TOML without [[phase]] tables is a phase file with no phases, as
  // in flowlord.
  if (parsed.has_value()) {
    file.phases = phase::PhasesFromEntries(parsed->phases, {options_.max_retry});
    for (Finding& finding : parsed->findings) findings->push_back(std::move(finding));
  }
  return std::optional<StoredPhaseFile>(std::move(file));
}

Result<RefreshReport> PhaseCacheImpl::Refresh() {
  std::scoped_lock refresh_lock(refresh_mu_);
  {
    std::shared_lock lock(mu_);
    if (closed_) return Status::Conflict("phase cache is closed");
  }
  const int64_t now_ms = clock_.NowMs();

  // The root decides the mode each time (it may have been replaced).
  FS_TRY_ASSIGN(FileInfo root_info, fs_.Stat(root_));
  Walk walk;
  const bool is_dir = root_info.type == FileType::kDirectory;
  if (is_dir) {
    FS_TRY_ASSIGN(walk, WalkPhaseFiles(fs_, root_));
  } else if (root_info.type == FileType::kRegular) {
    walk.files.push_back({BaseName(root_), root_, SourceSignature(root_info), root_info.mtime_ns});
  } else {
    return Status::InvalidArgument(root_ + ": not a file or folder");
  }

  RefreshReport report;
  std::vector<StoredPhaseFile> upserts;
  std::vector<std::pair<std::string, std::string>> trusted;
  std::unordered_set<std::string_view> listed;
  for (const Candidate& candidate : walk.files) {
    listed.insert(candidate.key);
    bool trust = false;
    Result<std::optional<StoredPhaseFile>> loaded =
        LoadChanged(candidate, now_ms, &report.findings, &trust);
    if (!loaded.ok()) {
      // The file keeps its last good phases; the error is reported.
      walk.errors.push_back({candidate.key, loaded.status()});
      signatures_.erase(candidate.key);
      continue;
    }
    if (trust) trusted.emplace_back(candidate.key, candidate.signature);
    if (loaded->has_value()) upserts.push_back(std::move(**loaded));
  }

  // Stored files no longer there. In single-file mode that is every other
  // key (rows of a previously configured root must not stay scheduled).
  std::vector<std::string> removed;
  for (const std::string& key : index_.Keys()) {
    if (listed.count(key) != 0) continue;
    const bool unlisted =
        std::any_of(walk.unlisted_prefixes.begin(), walk.unlisted_prefixes.end(),
                    [&](const std::string& prefix) { return key.starts_with(prefix); });
    if (!unlisted) removed.push_back(key);
  }

  if (!upserts.empty() || !removed.empty()) FS_TRY(store_->Apply(upserts, removed));

  std::vector<std::shared_ptr<const IndexedFile>> built;
  built.reserve(upserts.size());
  for (StoredPhaseFile& file : upserts) {
    report.changed.push_back(file.key);
    built.push_back(std::make_shared<const IndexedFile>(std::move(file)));
  }
  {
    std::unique_lock lock(mu_);
    is_dir_ = is_dir;
    for (auto& file : built) index_.Put(std::move(file));
    for (const std::string& key : removed) index_.Remove(key);
  }
  for (auto& [key, signature] : trusted) signatures_[key] = signature;
  for (const std::string& key : removed) {
    signatures_.erase(key);
    report.changed.push_back("-" + key);
  }
  std::stable_sort(walk.errors.begin(), walk.errors.end(),
                   [](const PhaseFileError& a, const PhaseFileError& b) { return a.key < b.key; });
  report.errors = std::move(walk.errors);
  return report;
}

}  // namespace

Result<std::unique_ptr<PhaseCache>> OpenPhaseCache(const std::string& root, PhaseStore* store,
                                                   PhaseCacheOptions options) {
  const FileSystem& fs = options.fs != nullptr ? *options.fs : RealFileSystem();
  FS_TRY_ASSIGN(FileInfo info, fs.Stat(root));
  if (info.type != FileType::kDirectory && info.type != FileType::kRegular) {
    return Status::InvalidArgument(root + ": not a file or folder");
  }
  auto cache = std::make_unique<PhaseCacheImpl>(root, info.type == FileType::kDirectory, store,
                                                std::move(options));
  FS_TRY(cache->Load());
  return std::unique_ptr<PhaseCache>(std::move(cache));
}

}  // namespace flowsync
