// A stored workflow written into a tree as files, in its own format: what
// `restore` and `pull` write.
//
// - n8n export or phase file: the stored text, byte for byte, at the key.
// - bundle: a folder holding workflow.json (the stored text), meta.json (the
//   metadata, when it is not {} or the file exists) and README.md (the
//   documentation, when not empty or the file exists): an absent meta.json
//   reads as {} and an absent README.md as empty, so the files read back
//   with the stored content hash.
// Each file is replaced atomically (a temp file beside it, fsync, rename).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "flowsync/catalog.h"
#include "flowsync/file_system.h"
#include "flowsync/source.h"

namespace flowsync {

// Writes `v` at `target` (the file, or the bundle's folder), creating the
// folders above it.
Status WriteWorkflowFiles(const FileSystem& fs, const std::string& target, Format format,
                          const WorkflowVersion& v);

// The same in two steps, for many workflows at once: Stage writes each file
// of `v` that does not already hold its bytes as a temp file beside its
// place (".NAME.tmp-PID-N", which the walk skips) without fsync; after one
// FileSystem::SyncFileSystem for all of them, Commit renames each into
// place (or Discard removes them), and one more SyncFileSystem makes the
// renames durable. A process killed between leaves each file old or new,
// and temp files (util/temp_files.h says how a writer removes them from
// StagingFolder).
struct StagedFiles {
  std::vector<std::pair<std::string, std::string>> renames;  // temp -> final
};
std::string StagingFolder(const std::string& target, Format format);
Result<StagedFiles> StageWorkflowFiles(const FileSystem& fs, const std::string& target,
                                       Format format, const WorkflowVersion& v);
Status CommitStagedFiles(const FileSystem& fs, const StagedFiles& staged);
void DiscardStagedFiles(const FileSystem& fs, const StagedFiles& staged);

// Removes the files of the workflow at `target`: the file, or a bundle's
// workflow.json, meta.json and README.md (other files of the folder, and
// the folder, stay). Files already gone are no error.
Status RemoveWorkflowFiles(const FileSystem& fs, const std::string& target, Format format);

// Why `key` cannot be where a workflow of `format` is written in a tree,
// or "" when it can: absolute, empty parts, "." or "..", a NUL, flowsync's
// own folder, hidden parts (the walk skips them), an array export's
// element ("FILE#ID"), or a name the format's walk would not read as one
// (an n8n workflow ends in .json, a phase file in .toml).
std::string WorkflowKeyProblem(const std::string& key, Format format);

}  // namespace flowsync
