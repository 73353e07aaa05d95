#include "sync/scan.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

namespace flowsync {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Sig(const FileInfo& info) {
  return fmt::format("{}:{}:{}", info.size, info.mtime_ns, info.inode);
}

class Walker {
 public:
  Walker(const FileSystem& fs, const std::string& root) : fs_(fs), root_(root) {}

  ScanResult Run() {
    Walk("");
    return std::move(result_);
  }

 private:
  std::string Abs(const std::string& rel) const { return rel.empty() ? root_ : JoinPath(root_, rel); }

  static std::string Child(const std::string& rel, const std::string& name) {
    return rel.empty() ? name : rel + "/" + name;
  }

  void Walk(const std::string& rel) {
    auto entries = fs_.ListDirWithInfo(Abs(rel));
    if (!entries.ok()) {
      result_.unreadable_dirs.push_back(
          {rel.empty() ? "." : rel, "cannot read folder: " + entries.status().message()});
      return;
    }
    bool is_bundle = std::any_of(entries->begin(), entries->end(), [](const DirEntry& e) {
      return e.name == "workflow.json" && e.type != FileType::kDirectory;
    });
    if (is_bundle && !rel.empty()) {
      AddBundle(rel, *entries);
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
            result_.broken.push_back({child, target.status().message()});
          }
          continue;
        }
        if (target->type == FileType::kDirectory) continue;  // not followed
        info = *target;
      }
      FileType type = info ? info->type : e.type;
      if (type == FileType::kDirectory) {
        Walk(child);
      } else if (type == FileType::kRegular && Claims(rel, e.name)) {
        AddFile(child, e.name, info);
      }
    }
  }

  // Whether a file name claims a workflow format.
  static bool Claims(const std::string& rel, const std::string& name) {
    if (rel.empty() && name == "flowsync.toml") return false;
    return EndsWith(name, ".json") || EndsWith(name, ".toml");
  }

  void AddFile(const std::string& rel, const std::string& name,
               const std::optional<FileInfo>& known) {
    Result<FileInfo> info = known ? Result<FileInfo>(*known) : fs_.Stat(Abs(rel));
    if (!info.ok()) {
      result_.broken.push_back({rel, info.status().message()});
      return;
    }
    ScannedSource s;
    s.candidate.format = EndsWith(name, ".toml") ? Format::kPhase : Format::kN8n;
    s.candidate.key = rel;
    s.candidate.path = Abs(rel);
    s.sig = Sig(*info);
    s.newest_mtime_ns = info->mtime_ns;
    result_.sources.push_back(std::move(s));
  }

  void AddBundle(const std::string& rel, const std::vector<DirEntry>& entries) {
    ScannedSource s;
    s.candidate.format = Format::kBundle;
    s.candidate.key = rel;
    s.candidate.path = Abs(rel);
    for (const char* member : {"workflow.json", "meta.json", "README.md"}) {
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
                                  : fs_.Stat(JoinPath(s.candidate.path, member));
      if (!info.ok()) {
        // The reader reports the problem; an empty signature forces a read.
        s.sig.clear();
        s.newest_mtime_ns = 0;
        break;
      }
      s.sig += Sig(*info);
      s.newest_mtime_ns = std::max(s.newest_mtime_ns, info->mtime_ns);
    }
    result_.sources.push_back(std::move(s));
  }

  const FileSystem& fs_;
  std::string root_;
  ScanResult result_;
};

}  // namespace

ScanResult ScanTree(const FileSystem& fs, const std::string& root) {
  return Walker(fs, root).Run();
}

}  // namespace flowsync
