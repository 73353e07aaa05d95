// Where a command works: the sync root, the database and the limits, from
// flags, the environment and flowsync.toml, in that order of precedence.
#pragma once

#include <optional>
#include <string>

#include "flowsync/source.h"
#include "flowsync/status.h"
#include "flowsync/store.h"

namespace flowsync::cli {

struct GlobalFlags {
  std::optional<std::string> root;           // positional ROOT of sync/status
  std::optional<std::string> db;             // --db
  std::optional<std::string> max_file_size;  // --max-file-size
  std::optional<double> lock_timeout_s;      // --lock-timeout
  std::optional<std::string> project;        // --project
};

struct Context {
  std::string root;  // absolute, normalised
  DatabaseUrl db;
  bool db_is_default = false;  // <root>/.flowsync/flowsync.db
  SourceLimits limits;
  StoreOptions store_options;
};

// Resolution:
// - root: the flag, else the nearest folder upwards from the current one
//   holding .flowsync/ or flowsync.toml (as git finds .git), else the
//   current folder;
// - database: --db, else $DATABASE_URL, else [database] url of
//   <root>/flowsync.toml (relative to that file), else
//   <root>/.flowsync/flowsync.db;
// - limits: flags, else [sync] max_file_size / lock_timeout of the config;
// - project: --project, else $FLOWSYNC_PROJECT, else [database] project,
//   else "default".
// Errors name the config file and key: "flowsync.toml:3: ...".
Result<Context> ResolveContext(const GlobalFlags& flags);

// "64MB", "10KB", "1.5M", "1024" (bytes); K, M, G are powers of 1024.
Result<uint64_t> ParseSize(std::string_view text);

enum class IfMissing {
  kCreate,  // create the database (and the default .flowsync/ folder)
  kFail,    // NotFound
  kEmpty,   // plan against an empty in-memory database; write nothing
};

// Opens the context's database.
Result<std::unique_ptr<Store>> OpenContextStore(const Context& ctx, IfMissing if_missing);

}  // namespace flowsync::cli
