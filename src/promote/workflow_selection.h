// Which workflows a promotion (`flowsync migration create`) takes, read into
// WorkflowExport values for promote/migration_writer.h:
//   - files and bundle folders below the sync root, named on the command
//     line (read as a sync would read them; ids as a sync would give them);
//   - stored workflows, by id, unique id prefix, path or exact name;
//   - every live stored workflow changed within a window (`--since`).
//
// The database is opened only when needed (LazyStore): a promotion of files
// works where no database exists yet.
//
// Thread-safety: use from one thread (a Store is single-threaded).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/file_system.h"
#include "flowsync/source.h"
#include "flowsync/status.h"
#include "flowsync/store.h"
#include "promote/workflow_sql.h"

namespace flowsync {

// A store opened on first use. Owns the store it opens.
class LazyStore {
 public:
  using Opener = std::function<Result<std::unique_ptr<Store>>()>;
  explicit LazyStore(Opener open) : open_(std::move(open)) {}

  // The store, opened on the first call; every later call returns the same
  // store, or the same error (NotFound when the database does not exist).
  Result<Store*> Get();

 private:
  Opener open_;
  std::unique_ptr<Store> store_;
  Status status_;
};

// Where the files named are and whom they belong to.
struct SelectionScope {
  std::string root;  // the sync root, absolute: keys and ids are relative to it
  std::string project;
  SourceLimits limits;
};

// What a WORKFLOW argument that exists on disk (`info` is its Stat) names:
// a bundle folder (or its workflow.json), an n8n .json export or a phase
// .toml file (source/workflow_path.h), with its key relative to
// scope.root, also when reached through a symbolic link. Relative arguments
// are relative to the current folder. InvalidArgument, starting with `arg`:
// a folder without workflow.json, another kind of file, a path outside the
// root.
Result<SourceCandidate> CandidateForArgument(const std::string& root, const std::string& arg,
                                             const FileInfo& info, const FileSystem& fs);

// The workflow a WORKFLOW argument on disk names, read with `fs` as a sync
// reads it: its id is the one a sync gives it (sync/identity.h's IdForPath,
// asking `store` when there is a database), created_at and updated_at the
// newest mtime of its files. `element` picks the workflow with that id out
// of an n8n array export (the argument FILE#ID), whose path is then
// "KEY#ID". Errors: CandidateForArgument's, the reader's (the element's,
// for one), InvalidArgument "KEY: not a workflow (...)" for a well-formed
// file of no workflow format, InvalidArgument for an array export without
// `element` (listing its workflows' keys) and for `element` of a file that
// is none, NotFound for an `element` the export does not hold, the store's.
Result<WorkflowExport> ExportWorkflowFile(const FileSystem& fs, const SelectionScope& scope,
                                          LazyStore& store, const std::string& arg,
                                          const FileInfo& info, std::string_view element = {});

// The stored workflow named by `arg`: an id, unique id prefix or path (as
// NormaliseWorkflowQuery reads them), else the exact name of one live
// workflow. Errors:
//   NotFound when there is no database ("'ARG' is no file, and there is no
//     database to look it up in (...)") or nothing matches;
//   InvalidArgument when several live workflows have that name (lists them)
//     or an id prefix is ambiguous;
//   Conflict when the workflow is deleted: only live ones are promoted.
Result<WorkflowExport> ExportStoredWorkflow(LazyStore& store, const std::string& arg);

// Every WORKFLOW argument in order: a path that exists on disk is a file
// (ExportWorkflowFile), and so is FILE#ID where FILE exists (a workflow of
// an array export), anything else a stored workflow (ExportStoredWorkflow). A workflow named twice
// is taken once. The first error ends the selection.
Result<std::vector<WorkflowExport>> SelectWorkflows(const FileSystem& fs,
                                                    const SelectionScope& scope, LazyStore& store,
                                                    const std::vector<std::string>& args);

// The live stored workflows last updated at or after `since_ms` (Unix
// milliseconds), in the store's listing order.
Result<std::vector<WorkflowExport>> ExportChangedSince(Store& store, int64_t since_ms);

// The workflows of `selected` read from an n8n database (`store` is an
// n8n store: their id is n8n's, no UUID) get that id as their n8n_id and a
// stable id in its place: flowsync's id of it when a sync made it
// (Catalog::SyncedId), else one derived from the n8n id.
Status AdoptN8nIds(Store& store, std::vector<WorkflowExport>* selected);

// A window such as "7d" in milliseconds: a whole number and one unit of s,
// m, h, d or w. InvalidArgument "'TEXT': expected a whole number and a unit
// s, m, h, d or w (e.g. 7d, 12h)" otherwise, also on overflow.
Result<int64_t> ParseWindowMs(std::string_view text);

}  // namespace flowsync
