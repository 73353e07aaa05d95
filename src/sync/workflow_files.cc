#include "sync/workflow_files.h"

#include <fmt/format.h>

#include <cerrno>

#include "source/workflow_path.h"

namespace flowsync {
namespace {

bool Exists(const FileSystem& fs, const std::string& path) { return fs.Lstat(path).ok(); }

Status RemoveIfThere(const FileSystem& fs, const std::string& path) {
  if (!Exists(fs, path)) return Status::OK();
  return fs.RemoveFile(path);
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string StagingFolder(const std::string& target, Format format) {
  return format == Format::kBundle ? target : Parent(target);
}

Result<StagedFiles> StageWorkflowFiles(const FileSystem& fs, const std::string& target,
                                       Format format, const WorkflowVersion& v) {
  StagedFiles staged;
  auto stage = [&](const std::string& path, std::string_view bytes) -> Status {
    // A file that already holds these bytes stays as it is: no new inode,
    // and its time stamps keep saying when it last changed.
    Result<std::string> now = fs.ReadFile(path, bytes.size() + 1);
    if (now.ok() && *now == bytes) return Status::OK();
    const std::string temp = TempPathFor(path);
    Status s = fs.WriteNewFile(temp, bytes, /*sync=*/false);
    if (!s.ok()) {
      DiscardStagedFiles(fs, staged);
      return s;
    }
    staged.renames.emplace_back(temp, path);
    return Status::OK();
  };
  FS_TRY(fs.CreateDirs(StagingFolder(target, format)));
  if (format != Format::kBundle) {
    FS_TRY(stage(target, v.content));
    return staged;
  }
  FS_TRY(stage(JoinPath(target, std::string(kBundleMainFile)), v.content));
  const std::string meta = JoinPath(target, "meta.json");
  if (v.metadata_json != "{}" || Exists(fs, meta)) FS_TRY(stage(meta, v.metadata_json + "\n"));
  const std::string readme = JoinPath(target, "README.md");
  if (!v.documentation.empty() || Exists(fs, readme)) FS_TRY(stage(readme, v.documentation));
  return staged;
}

Status CommitStagedFiles(const FileSystem& fs, const StagedFiles& staged) {
  for (size_t i = 0; i < staged.renames.size(); ++i) {
    const auto& [temp, path] = staged.renames[i];
    Status s = fs.Rename(temp, path, FileSystem::RenameMode::kReplace);
    if (!s.ok()) {
      for (size_t j = i; j < staged.renames.size(); ++j) {
        (void)fs.RemoveFile(staged.renames[j].first);
      }
      return s;
    }
  }
  return Status::OK();
}

void DiscardStagedFiles(const FileSystem& fs, const StagedFiles& staged) {
  for (const auto& [temp, path] : staged.renames) (void)fs.RemoveFile(temp);
}

Status WriteWorkflowFiles(const FileSystem& fs, const std::string& target, Format format,
                          const WorkflowVersion& v) {
  if (format != Format::kBundle) {
    FS_TRY(fs.CreateDirs(Parent(target)));
    return WriteFileAtomic(fs, target, v.content);
  }
  FS_TRY(fs.CreateDirs(target));
  FS_TRY(WriteFileAtomic(fs, JoinPath(target, std::string(kBundleMainFile)), v.content));
  const std::string meta = JoinPath(target, "meta.json");
  if (v.metadata_json != "{}" || Exists(fs, meta)) {
    FS_TRY(WriteFileAtomic(fs, meta, v.metadata_json + "\n"));
  }
  const std::string readme = JoinPath(target, "README.md");
  if (!v.documentation.empty() || Exists(fs, readme)) {
    FS_TRY(WriteFileAtomic(fs, readme, v.documentation));
  }
  return Status::OK();
}

Status RemoveWorkflowFiles(const FileSystem& fs, const std::string& target, Format format) {
  if (format != Format::kBundle) {
    FS_TRY(RemoveIfThere(fs, target));
    return fs.SyncDir(Parent(target));
  }
  for (std::string_view member : kBundleMembers) {
    FS_TRY(RemoveIfThere(fs, JoinPath(target, std::string(member))));
  }
  return Exists(fs, target) ? fs.SyncDir(target) : Status::OK();
}

std::string WorkflowKeyProblem(const std::string& key, Format format) {
  if (key.empty()) return "it is empty";
  if (key.find('\0') != std::string::npos) return "it holds a NUL";
  if (key.front() == '/') return "it is absolute";
  if (ElementFile(key)) {
    return fmt::format(
        "it is a workflow of the n8n array export {}, whose file holds others too: files are "
        "written whole",
        *ElementFile(key));
  }
  size_t start = 0;
  std::string last;
  while (true) {
    const size_t slash = key.find('/', start);
    const std::string part = key.substr(start, slash == std::string::npos ? slash : slash - start);
    if (part.empty()) return "it has an empty part";
    if (part == "." || part == "..") return fmt::format("it has a '{}' part", part);
    if (part.front() == '.') return fmt::format("'{}' is hidden, which a sync never reads", part);
    last = part;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (key == "flowsync.toml") return "flowsync.toml is the configuration file";
  if (format == Format::kBundle) {
    if (FileFormatForName(last)) {
      return fmt::format("a bundle is a folder, and '{}' is named like a file", last);
    }
    return "";
  }
  if (FileFormatForName(last) != format) {
    return fmt::format("a {} workflow's file is named *{}", FormatName(format),
                       format == Format::kN8n ? ".json" : ".toml");
  }
  return "";
}

}  // namespace flowsync
