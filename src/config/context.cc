#include "config/context.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "config/config_file.h"
#include "config/root.h"
#include "n8n/n8n_store.h"

namespace flowsync::config {
namespace {

// Lexical path operations only; the file system is reached through FileSystem.
namespace fs = std::filesystem;

std::optional<std::string> Variable(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// Whether naming the database would let the command go on without a root.
bool DatabaseWouldDo(RootRule rule, const RootSearch& search) {
  return rule == RootRule::kDatabase ||
         (rule == RootRule::kDatabaseAndFiles && search.from_paths == 0);
}

Result<std::string> ResolveRoot(const Overrides& overrides, const Environment& env,
                                const FileSystem& file_system) {
  if (overrides.root) {
    std::string root = NormalisePath(*overrides.root, env.cwd, file_system);
    if (overrides.root_rule != RootRule::kCurrentDir) {
      FS_TRY(CheckGivenRoot(root, file_system));
    }
    return root;
  }
  FS_TRY_ASSIGN(RootSearch search, FindRoot(overrides.paths, env.cwd, file_system));
  if (search.root) return *search.root;
  switch (overrides.root_rule) {
    case RootRule::kCurrentDir:
      return NormalisePath(".", env.cwd, file_system);
    case RootRule::kDatabase:
    case RootRule::kDatabaseAndFiles:
      if (DatabaseWouldDo(overrides.root_rule, search) && (overrides.db || env.database_url)) {
        return std::string();
      }
      break;
    case RootRule::kRequired:
      break;
  }
  return NoRootError(search.searched, DatabaseWouldDo(overrides.root_rule, search));
}

}  // namespace

Environment Environment::Current() {
  Environment env;
  Result<std::string> cwd = RealFileSystem().CurrentDir();
  if (cwd.ok()) env.cwd = *cwd;
  env.database_url = Variable("DATABASE_URL");
  env.project = Variable("FLOWSYNC_PROJECT");
  return env;
}

Result<Context> ResolveContext(const Overrides& overrides, const Environment& env,
                               const FileSystem& file_system) {
  Context ctx;
  FS_TRY_ASSIGN(ctx.root, ResolveRoot(overrides, env, file_system));
  ConfigFile config;
  if (!ctx.root.empty()) {
    FS_TRY_ASSIGN(config, LoadConfigFile(ctx.root, file_system));
  }

  std::string url;
  if (overrides.db) {
    url = *overrides.db;
  } else if (env.database_url) {
    url = *env.database_url;
  } else if (config.db_url) {
    url = *config.db_url;
  } else {
    url = "sqlite:" + ctx.root + "/.flowsync/flowsync.db";
    ctx.db_is_default = true;
  }
  FS_TRY_ASSIGN(ctx.db, ParseDatabaseUrl(url));

  if (overrides.max_file_size) {
    FS_TRY_ASSIGN(ctx.limits.max_file_size, ParseSize(*overrides.max_file_size));
  } else if (config.max_file_size) {
    ctx.limits.max_file_size = *config.max_file_size;
  }
  std::optional<double> timeout =
      overrides.lock_timeout_s ? overrides.lock_timeout_s : config.lock_timeout_s;
  if (timeout) ctx.store_options.lock_timeout_ms = static_cast<int>(*timeout * 1000);
  if (overrides.project) {
    ctx.store_options.project = *overrides.project;
  } else if (env.project) {
    ctx.store_options.project = *env.project;
  } else if (config.project) {
    ctx.store_options.project = *config.project;
  }
  if (!IsValidProjectName(ctx.store_options.project)) {
    return Status::InvalidArgument("project '" + ctx.store_options.project +
                                   "': use 1-63 characters of a-z, 0-9, '-' and '_', starting "
                                   "with a letter or digit");
  }
  return ctx;
}

Result<std::unique_ptr<Store>> OpenContextStore(const Context& ctx, IfMissing if_missing,
                                                const FileSystem& file_system) {
  StoreOptions options = ctx.store_options;
  bool for_writing = if_missing == IfMissing::kCreate;
  if (ctx.db.n8n) {
    // n8n's database is never created: n8n creates it. flowsync's tables
    // beside n8n's are, when writing.
    options.create_if_missing = for_writing;
    FS_TRY_ASSIGN(std::unique_ptr<n8n::N8nStore> store, n8n::OpenN8nStore(ctx.db, options));
    return std::unique_ptr<Store>(std::move(store));
  }
  if (if_missing == IfMissing::kFail && ctx.db.kind == DatabaseUrl::Kind::kSqlite &&
      file_system.Stat(ctx.db.path).status().code() == StatusCode::kNotFound) {
    // Only the default database may be the wrong one by accident.
    return Status::NotFound(
        ctx.db_is_default
            ? fmt::format("no flowsync database at {} (run `flowsync sync` first, or pass --db)",
                          ctx.db.path)
            : fmt::format("no database at {}: the file does not exist (check the path; "
                          "`flowsync sync` creates it)",
                          ctx.db.path));
  }
  options.create_if_missing = for_writing;
  if (if_missing == IfMissing::kEmpty && ctx.db.kind == DatabaseUrl::Kind::kSqlite) {
    if (file_system.Stat(ctx.db.path).status().code() == StatusCode::kNotFound) {
      DatabaseUrl memory = ctx.db;
      memory.path = ":memory:";
      options.create_if_missing = true;
      return OpenStore(memory, options);
    }
  }
  if (for_writing && ctx.db.kind == DatabaseUrl::Kind::kSqlite) {
    fs::path parent = fs::path(ctx.db.path).parent_path();
    auto is_folder = [&](const fs::path& p) {
      Result<FileInfo> info = file_system.Stat(p.string());
      return info.ok() && info->type == FileType::kDirectory;
    };
    if (ctx.db_is_default) {
      // Only .flowsync itself: never create the root as a side effect.
      if (!is_folder(parent.parent_path())) {
        return Status::IOError(
            fmt::format("cannot create {}: No such file or directory", parent.string()));
      }
      Status made = file_system.CreateDirs(parent.string());
      if (!made.ok()) return Status::IOError(fmt::format("cannot create {}", made.message()));
    } else if (!parent.empty() && !is_folder(parent)) {
      return Status::IOError(fmt::format("cannot create database {}: folder {} does not exist",
                                         ctx.db.path, parent.string()));
    }
  }
  return OpenStore(ctx.db, options);
}

}  // namespace flowsync::config
