#include "source/scan.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>

#include "source/workflow_path.h"
#include "util/path_text.h"
#include "util/posix_error.h"

namespace flowsync {
namespace {

// Sorts problems by path, each once.
void SortProblems(std::vector<ScanProblem>& problems) {
  std::sort(problems.begin(), problems.end(),
            [](const ScanProblem& a, const ScanProblem& b) { return a.path < b.path; });
  problems.erase(
      std::unique(problems.begin(), problems.end(),
                  [](const ScanProblem& a, const ScanProblem& b) { return a.path == b.path; }),
      problems.end());
}

// What one thread of a walk found; digesting, its sources go to the one
// shared digest instead.
struct Part {
  ScanResult scan;
  WalkDigest* digest = nullptr;
  std::mutex* digest_mu = nullptr;
};

// Walks folders from a shared queue on several threads; each thread keeps
// its own results, merged and sorted by key at the end, so the outcome does
// not depend on scheduling.
class Walker {
 public:
  Walker(const FileSystem& fs, const std::string& root) : fs_(fs), root_(root) {}

  // Walks the folders `dirs` (relative, "" the root) and everything below.
  ScanResult Run(int threads, std::vector<std::string> dirs = {""}) {
    std::vector<Part> parts = WalkParts(threads, std::move(dirs), nullptr, nullptr);
    ScanResult out;
    // One allocation for the walk's sources (growing by doubling would hold
    // up to twice as much at the peak).
    size_t total = 0;
    for (const Part& p : parts) total += p.scan.sources.size();
    out.sources.reserve(total);
    for (Part& p : parts) {
      std::move(p.scan.sources.begin(), p.scan.sources.end(), std::back_inserter(out.sources));
      MoveProblems(p.scan, out.broken, out.unreadable_dirs);
    }
    std::sort(out.sources.begin(), out.sources.end(),
              [](const ScannedSource& a, const ScannedSource& b) {
                return a.candidate.key < b.candidate.key;
              });
    // Keys of a scope may name one source twice (a stored path of raw
    // bytes and its path text, a folder and a file in it): once each.
    out.sources.erase(std::unique(out.sources.begin(), out.sources.end(),
                                  [](const ScannedSource& a, const ScannedSource& b) {
                                    return a.candidate.key == b.candidate.key;
                                  }),
                      out.sources.end());
    SortProblems(out.broken);
    SortProblems(out.unreadable_dirs);
    return out;
  }

  // Run's walk of the whole tree, digested.
  WalkDigest Digest(int threads) {
    WalkDigest out;
    std::mutex mu;
    std::vector<Part> parts = WalkParts(threads, {""}, &out, &mu);
    for (Part& p : parts) MoveProblems(p.scan, out.broken, out.unreadable_dirs);
    out.Sort();
    SortProblems(out.broken);
    SortProblems(out.unreadable_dirs);
    return out;
  }

  ScanResult Subtrees(const std::set<std::string>& keys, int threads) {
    std::vector<std::string> dirs;
    for (const std::string& key : keys) {
      // Names starting with '.' are never walked into.
      if (key.empty() || key[0] == '.' || key.find("/.") != std::string::npos) continue;
      const std::string rel = TextToPath(key);
      Result<FileInfo> info = fs_.Lstat(Abs(rel));
      if (info.ok() && info->type == FileType::kDirectory) {
        dirs.push_back(rel);
      } else {
        One(key, extra_);
      }
    }
    return Run(threads, std::move(dirs));
  }

  // The one source at `key` (a file or a bundle folder, as path text), as
  // Run would find it, added to `part`; nothing when there is none.
  void One(const std::string& key, Part& part) {
    ScanResult& result = part.scan;
    const std::string rel = TextToPath(key);
    const size_t slash = rel.rfind('/');
    const std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
    const std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
    Result<FileInfo> info = fs_.Stat(Abs(rel));
    if (!info.ok()) {
      if (info.status().code() != StatusCode::kNotFound && Claims(parent, name)) {
        result.broken.push_back({key, ValidUtf8(info.status().message()), info.status()});
      }
      return;
    }
    if (info->type == FileType::kDirectory) {
      auto entries = fs_.ListDirWithInfo(Abs(rel));
      if (!entries.ok()) {
        result.unreadable_dirs.push_back(
            {key, "cannot read folder: " + ValidUtf8(entries.status().message()),
             entries.status()});
      } else if (std::any_of(entries->begin(), entries->end(), [](const DirEntry& e) {
                   return e.name == kBundleMainFile && e.type != FileType::kDirectory;
                 })) {
        AddBundle(rel, *entries, part);
      }
    } else if (info->type == FileType::kRegular && Claims(parent, name)) {
      AddFile(rel, name, *info, part);
    } else if (info->type == FileType::kOther && Claims(parent, name)) {
      AddOther(rel, result);
    }
  }

 private:
  std::vector<Part> WalkParts(int threads, std::vector<std::string> dirs, WalkDigest* digest,
                              std::mutex* digest_mu) {
    for (std::string& d : dirs) queue_.push_back(std::move(d));
    if (threads < 1) threads = 1;
    std::vector<Part> parts(static_cast<size_t>(threads));
    for (Part& p : parts) {
      p.digest = digest;
      p.digest_mu = digest_mu;
    }
    std::vector<std::thread> workers;
    for (int i = 1; i < threads; ++i) {
      workers.emplace_back([this, &parts, i] { Work(parts[static_cast<size_t>(i)]); });
    }
    Work(parts[0]);
    for (std::thread& t : workers) t.join();
    parts.push_back(std::move(extra_));
    return parts;
  }

  static void MoveProblems(ScanResult& from, std::vector<ScanProblem>& broken,
                           std::vector<ScanProblem>& unreadable_dirs) {
    std::move(from.broken.begin(), from.broken.end(), std::back_inserter(broken));
    std::move(from.unreadable_dirs.begin(), from.unreadable_dirs.end(),
              std::back_inserter(unreadable_dirs));
  }

  void Work(Part& part) {
    while (true) {
      std::string rel;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || busy_ == 0; });
        if (queue_.empty()) return;  // nothing queued and nobody can add more
        rel = std::move(queue_.front());
        queue_.pop_front();
        ++busy_;
      }
      std::vector<std::string> subdirs;
      Visit(rel, part, subdirs);
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (std::string& d : subdirs) queue_.push_back(std::move(d));
        --busy_;
      }
      cv_.notify_all();
    }
  }

  std::string Abs(const std::string& rel) const {
    return rel.empty() ? root_ : JoinPath(root_, rel);
  }

  static std::string Child(const std::string& rel, const std::string& name) {
    return rel.empty() ? name : rel + "/" + name;
  }

  void Visit(const std::string& rel, Part& part, std::vector<std::string>& subdirs) {
    ScanResult& result = part.scan;
    auto entries = fs_.ListDirWithInfo(Abs(rel));
    if (!entries.ok()) {
      result.unreadable_dirs.push_back(
          {rel.empty() ? "." : PathToText(rel),
           "cannot read folder: " + ValidUtf8(entries.status().message()), entries.status()});
      return;
    }
    bool is_bundle = std::any_of(entries->begin(), entries->end(), [](const DirEntry& e) {
      return e.name == kBundleMainFile && e.type != FileType::kDirectory;
    });
    if (is_bundle && !rel.empty()) {
      AddBundle(rel, *entries, part);
      return;
    }
    for (const DirEntry& e : *entries) {
      if (e.name.empty() || e.name[0] == '.') continue;
      std::string child = Child(rel, e.name);
      std::optional<FileInfo> info = e.info;
      if (e.type == FileType::kSymlink) {
        auto target = fs_.Stat(Abs(child));
        if (!target.ok()) {
          if (Claims(rel, e.name)) {
            result.broken.push_back(
                {PathToText(child), ValidUtf8(target.status().message()), target.status()});
          }
          continue;
        }
        if (target->type == FileType::kDirectory) continue;  // not followed
        info = *target;
      }
      FileType type = info ? info->type : e.type;
      if (type == FileType::kDirectory) {
        subdirs.push_back(std::move(child));
      } else if (type == FileType::kRegular && Claims(rel, e.name)) {
        AddFile(child, e.name, info, part);
      } else if (type == FileType::kOther && Claims(rel, e.name)) {
        AddOther(child, result);
      }
    }
  }

  // A FIFO, socket or device with a workflow's name: never opened (a FIFO
  // would block), but reported, and a workflow stored there keeps its last
  // good version instead of being deleted.
  void AddOther(const std::string& rel, ScanResult& result) {
    constexpr char kKind[] = "a FIFO, socket or device";
    const std::string key = PathToText(rel);
    result.broken.push_back(
        {key, NotARegularFileError(key, kKind).message(), NotARegularFileError(Abs(rel), kKind)});
  }

  // Whether a file name claims a workflow format.
  static bool Claims(const std::string& rel, const std::string& name) {
    if (rel.empty() && name == "flowsync.toml") return false;
    return FileFormatForName(name).has_value();
  }

  void AddFile(const std::string& rel, const std::string& name,
               const std::optional<FileInfo>& known, Part& part) {
    Result<FileInfo> info = known ? Result<FileInfo>(*known) : fs_.Stat(Abs(rel));
    if (!info.ok()) {
      part.scan.broken.push_back(
          {PathToText(rel), ValidUtf8(info.status().message()), info.status()});
      return;
    }
    ScannedSource s;
    s.candidate.format = FileFormatForName(name).value_or(Format::kN8n);
    s.candidate.key = PathToText(rel);
    s.candidate.path = Abs(rel);
    s.sig = SourceSignature(*info);
    s.newest_mtime_ns = info->mtime_ns;
    s.candidate.bytes = info->size;
    Emit(std::move(s), part);
  }

  static void Emit(ScannedSource&& s, Part& part) {
    if (part.digest != nullptr) {
      std::lock_guard<std::mutex> lock(*part.digest_mu);
      part.digest->Add(s);
    } else {
      part.scan.sources.push_back(std::move(s));
    }
  }

  void AddBundle(const std::string& rel, const std::vector<DirEntry>& entries, Part& part) {
    ScannedSource s;
    s.candidate.format = Format::kBundle;
    s.candidate.key = PathToText(rel);
    s.candidate.path = Abs(rel);
    for (std::string_view member : kBundleMembers) {
      auto entry = std::find_if(entries.begin(), entries.end(),
                                [&](const DirEntry& e) { return e.name == member; });
      if (!s.sig.empty()) s.sig += '|';
      if (entry == entries.end()) {
        s.sig += '-';
        continue;
      }
      // Links are followed for members: stat the target.
      Result<FileInfo> info = entry->info && entry->info->type != FileType::kSymlink
                                  ? Result<FileInfo>(*entry->info)
                                  : fs_.Stat(JoinPath(s.candidate.path, std::string(member)));
      if (!info.ok()) {
        // The reader reports the problem; an empty signature forces a read.
        s.sig.clear();
        s.newest_mtime_ns = 0;
        break;
      }
      s.sig += SourceSignature(*info);
      s.newest_mtime_ns = std::max(s.newest_mtime_ns, info->mtime_ns);
      s.candidate.bytes += info->size;
    }
    Emit(std::move(s), part);
  }

  const FileSystem& fs_;
  std::string root_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  int busy_ = 0;  // threads visiting a folder (they may queue more)
  Part extra_;    // what Subtrees found outside the folders it walks
};

}  // namespace

std::string SourceSignature(const FileInfo& info) {
  return fmt::format("{}:{}:{}", info.size, info.mtime_ns, info.inode);
}

ScanResult ScanTree(const FileSystem& fs, const std::string& root, int threads) {
  return Walker(fs, root).Run(threads);
}

WalkDigest DigestTree(const FileSystem& fs, const std::string& root, int threads) {
  return Walker(fs, root).Digest(threads);
}

void WalkDigest::Add(const ScannedSource& s) {
  // Blocks of 1 MB (a longer key gets one of its own): the keys of a
  // million sources are some 50 blocks, never copied to grow.
  constexpr size_t kBlock = 1 << 20;
  const std::string& key = s.candidate.key;
  if (blocks_.empty() || blocks_.back().size() + key.size() > blocks_.back().capacity()) {
    blocks_.emplace_back().reserve(std::max(kBlock, key.size()));
  }
  Source d;
  d.format = s.candidate.format;
  d.has_sig = !s.sig.empty();
  if (d.has_sig) {
    const XXH128_hash_t h = XXH3_128bits(s.sig.data(), s.sig.size());
    d.sig_low = h.low64;
    d.sig_high = h.high64;
  }
  d.block = static_cast<uint32_t>(blocks_.size() - 1);
  d.offset = static_cast<uint32_t>(blocks_.back().size());
  d.size = static_cast<uint32_t>(key.size());
  blocks_.back() += key;
  sources_.push_back(d);
}

void WalkDigest::Sort() {
  std::sort(sources_.begin(), sources_.end(),
            [&](const Source& a, const Source& b) { return Key(a) < Key(b); });
}

size_t WalkDigest::Find(std::string_view key) const {
  auto it = std::lower_bound(sources_.begin(), sources_.end(), key,
                             [&](const Source& s, std::string_view k) { return Key(s) < k; });
  return it != sources_.end() && Key(*it) == key ? static_cast<size_t>(it - sources_.begin())
                                                 : npos;
}

bool WalkDigest::SameSig(const Source& s, std::string_view sig) {
  if (!s.has_sig || sig.empty()) return false;
  const XXH128_hash_t h = XXH3_128bits(sig.data(), sig.size());
  return h.low64 == s.sig_low && h.high64 == s.sig_high;
}

ScanResult ScanSubtrees(const FileSystem& fs, const std::string& root,
                        const std::set<std::string>& keys, int threads) {
  return Walker(fs, root).Subtrees(keys, threads);
}

ScanResult ScanOne(const FileSystem& fs, const std::string& root, const std::string& key) {
  Part part;
  Walker(fs, root).One(key, part);
  return std::move(part.scan);
}

}  // namespace flowsync
