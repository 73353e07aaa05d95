// Where a command works: the sync root, the database, the project and the
// limits, from explicit settings (the command line), the environment and
// flowsync.toml, in that order of precedence.
//
// Thread-safety: ResolveContext and OpenContextStore touch only the files
// they name; Environment::Current() reads the process environment.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flowsync/file_system.h"
#include "flowsync/source.h"
#include "flowsync/status.h"
#include "flowsync/store.h"

namespace flowsync::config {

// What a command that is given no root does when it finds none upwards
// (config/root.h FindRoot). No command guesses a root that holds nothing.
enum class RootRule {
  // Refuse (NoRootError): the command reads the tree (status, phases,
  // migration create of files).
  kRequired,
  // The current folder becomes the root: sync, the one command that makes a
  // folder a root (by creating ROOT/.flowsync/), as `git init` does.
  kCurrentDir,
  // Only the database is read (list, show, log, rate, grant, migrate): go
  // on without a root when the database is named (--db, $DATABASE_URL);
  // refuse otherwise. Paths named only help find the root.
  kDatabase,
  // As kDatabase, but files named (`paths` that exist) need their root, as
  // their ids derive from it (migration create).
  kDatabaseAndFiles,
};

// Settings given explicitly (command-line flags); unset where not given.
struct Overrides {
  std::optional<std::string> root;           // the sync root
  std::optional<std::string> db;             // a database URL
  std::optional<std::string> max_file_size;  // a size, see ParseSize
  std::optional<double> lock_timeout_s;
  std::optional<std::string> project;
  // Files and folders named on the command line (WORKFLOW arguments): without
  // `root`, the root is looked for upwards from those that exist, then from
  // the current folder.
  std::vector<std::string> paths;
  // Not a flag: how the command uses the root.
  RootRule root_rule = RootRule::kRequired;
};

// What the process's surroundings say. Empty variables count as unset.
struct Environment {
  std::string cwd;                          // the current folder; empty when unknown
  std::optional<std::string> database_url;  // $DATABASE_URL
  std::optional<std::string> project;       // $FLOWSYNC_PROJECT
  // The current folder and variables of this process.
  static Environment Current();
};

struct Context {
  // Absolute, normalised; empty only under RootRule::kDatabase(AndFiles)
  // when no root was found (the database is named).
  std::string root;
  DatabaseUrl db;
  bool db_is_default = false;  // <root>/.flowsync/flowsync.db
  SourceLimits limits;
  StoreOptions store_options;  // lock timeout and project
};

// Resolution:
// - root: the override (relative to env.cwd; Conflict when it cannot be
//   read, CheckGivenRoot, except for kCurrentDir: sync has its own guard
//   rail), else FindRoot(overrides.paths, env.cwd), else as
//   overrides.root_rule says (InvalidArgument NoRootError where it refuses);
// - database: the override, else $DATABASE_URL, else [database] url of
//   <root>/flowsync.toml (relative to that file), else
//   <root>/.flowsync/flowsync.db;
// - limits: overrides, else [sync] max_file_size / lock_timeout of the file;
// - project: the override, else $FLOWSYNC_PROJECT, else [database] project,
//   else "default"; InvalidArgument when it is no valid project name.
// Errors name the config file and line: "ROOT/flowsync.toml:3: ...".
Result<Context> ResolveContext(const Overrides& overrides, const Environment& env,
                               const FileSystem& fs = RealFileSystem());

enum class IfMissing {
  kCreate,  // create the database (and the default .flowsync/ folder)
  kFail,    // NotFound naming the file (suggesting --db for the default only)
  kEmpty,   // plan against an empty in-memory database; write nothing
};

// Opens the context's database. With kCreate the default .flowsync/ folder
// is created, never the root or another missing parent folder (IOError).
Result<std::unique_ptr<Store>> OpenContextStore(const Context& ctx, IfMissing if_missing,
                                                const FileSystem& fs = RealFileSystem());

}  // namespace flowsync::config
