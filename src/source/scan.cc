#include "source/scan.h"

#include <fmt/format.h>

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

// Walks folders from a shared queue on several threads; each thread keeps
// its own results, merged and sorted by key at the end, so the outcome does
// not depend on scheduling.
class Walker {
 public:
  Walker(const FileSystem& fs, const std::string& root) : fs_(fs), root_(root) {}

  // Walks the folders `dirs` (relative, "" the root) and everything below.
  ScanResult Run(int threads, std::vector<std::string> dirs = {""}) {
    for (std::string& d : dirs) queue_.push_back(std::move(d));
    if (threads < 1) threads = 1;
    std::vector<ScanResult> parts(static_cast<size_t>(threads));
    std::vector<std::thread> workers;
    for (int i = 1; i < threads; ++i) {
      workers.emplace_back([this, &parts, i] { Work(parts[static_cast<size_t>(i)]); });
    }
    Work(parts[0]);
    for (std::thread& t : workers) t.join();

    ScanResult out;
    parts.push_back(std::move(extra_));
    // One allocation for the walk's sources (growing by doubling would hold
    // up to twice as much at the peak, of a tree of a million).
    size_t total = 0;
    for (const ScanResult& p : parts) total += p.sources.size();
    out.sources.reserve(total);
    for (ScanResult& p : parts) {
      std::move(p.sources.begin(), p.sources.end(), std::back_inserter(out.sources));
      std::move(p.broken.begin(), p.broken.end(), std::back_inserter(out.broken));
      std::move(p.unreadable_dirs.begin(), p.unreadable_dirs.end(),
                std::back_inserter(out.unreadable_dirs));
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
    auto by_path = [](const ScanProblem& a, const ScanProblem& b) { return a.path < b.path; };
    auto same_path = [](const ScanProblem& a, const ScanProblem& b) { return a.path == b.path; };
    for (std::vector<ScanProblem>* problems : {&out.broken, &out.unreadable_dirs}) {
      std::sort(problems->begin(), problems->end(), by_path);
      problems->erase(std::unique(problems->begin(), problems->end(), same_path), problems->end());
    }
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
  // Run would find it, added to `result`; nothing when there is none.
  void One(const std::string& key, ScanResult& result) {
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
        AddBundle(rel, *entries, result);
      }
    } else if (info->type == FileType::kRegular && Claims(parent, name)) {
      AddFile(rel, name, *info, result);
    } else if (info->type == FileType::kOther && Claims(parent, name)) {
      AddOther(rel, result);
    }
  }

 private:
  void Work(ScanResult& result) {
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
      Visit(rel, result, subdirs);
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

  void Visit(const std::string& rel, ScanResult& result, std::vector<std::string>& subdirs) {
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
      AddBundle(rel, *entries, result);
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
        AddFile(child, e.name, info, result);
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
               const std::optional<FileInfo>& known, ScanResult& result) {
    Result<FileInfo> info = known ? Result<FileInfo>(*known) : fs_.Stat(Abs(rel));
    if (!info.ok()) {
      result.broken.push_back({PathToText(rel), ValidUtf8(info.status().message()), info.status()});
      return;
    }
    ScannedSource s;
    s.candidate.format = FileFormatForName(name).value_or(Format::kN8n);
    s.candidate.key = PathToText(rel);
    s.candidate.path = Abs(rel);
    s.sig = SourceSignature(*info);
    s.newest_mtime_ns = info->mtime_ns;
    s.candidate.bytes = info->size;
    result.sources.push_back(std::move(s));
  }

  void AddBundle(const std::string& rel, const std::vector<DirEntry>& entries, ScanResult& result) {
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
    result.sources.push_back(std::move(s));
  }

  const FileSystem& fs_;
  std::string root_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  int busy_ = 0;      // threads visiting a folder (they may queue more)
  ScanResult extra_;  // what Subtrees found outside the folders it walks
};

}  // namespace

std::string SourceSignature(const FileInfo& info) {
  return fmt::format("{}:{}:{}", info.size, info.mtime_ns, info.inode);
}

ScanResult ScanTree(const FileSystem& fs, const std::string& root, int threads) {
  return Walker(fs, root).Run(threads);
}

ScanResult ScanSubtrees(const FileSystem& fs, const std::string& root,
                        const std::set<std::string>& keys, int threads) {
  return Walker(fs, root).Subtrees(keys, threads);
}

ScanResult ScanOne(const FileSystem& fs, const std::string& root, const std::string& key) {
  ScanResult result;
  Walker(fs, root).One(key, result);
  return result;
}

}  // namespace flowsync
