#include "cli/context.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace flowsync::cli {
namespace fs = std::filesystem;
namespace {

std::string Normalise(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) abs = p;
  std::string s = abs.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string DiscoverRoot() {
  std::error_code ec;
  fs::path dir = fs::current_path(ec);
  if (ec) return ".";
  for (fs::path p = dir;; p = p.parent_path()) {
    if (fs::is_directory(p / ".flowsync", ec) || fs::is_regular_file(p / "flowsync.toml", ec)) {
      return p.string();
    }
    if (p == p.parent_path()) break;
  }
  return dir.string();
}

struct FileConfig {
  std::optional<std::string> db_url;
  std::optional<std::string> project;
  std::optional<uint64_t> max_file_size;
  std::optional<double> lock_timeout_s;
};

Result<FileConfig> LoadConfig(const std::string& root) {
  FileConfig config;
  std::string path = root + "/flowsync.toml";
  std::error_code ec;
  if (!fs::exists(path, ec)) return config;
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& err) {
    return Status::InvalidArgument(fmt::format("{}:{}:{}: {}", path, err.source().begin.line,
                                               err.source().begin.column, err.description()));
  }
  auto where = [&](const toml::node* node) {
    return fmt::format("{}:{}", path, node ? node->source().begin.line : 0);
  };
  for (auto&& [key, value] : table) {
    if (key != "database" && key != "sync") {
      return Status::InvalidArgument(fmt::format("{}: unknown section '{}' (known: database, sync)",
                                                 where(&value), key.str()));
    }
  }
  if (const toml::table* db = table["database"].as_table()) {
    for (auto&& [key, value] : *db) {
      if (key == "project") {
        const auto* p = value.as_string();
        if (p == nullptr) {
          return Status::InvalidArgument(
              fmt::format("{}: 'database.project' must be a string", where(&value)));
        }
        config.project = p->get();
        continue;
      }
      if (key != "url") {
        return Status::InvalidArgument(fmt::format(
            "{}: unknown key 'database.{}' (known: url, project)", where(&value), key.str()));
      }
      const auto* s = value.as_string();
      if (s == nullptr) {
        return Status::InvalidArgument(
            fmt::format("{}: 'database.url' must be a string", where(&value)));
      }
      std::string url = s->get();
      // A relative SQLite path is relative to the config file, not to the
      // folder flowsync happens to run in.
      auto parsed = ParseDatabaseUrl(url);
      if (!parsed.ok()) return parsed.status().WithPrefix(where(&value));
      if (parsed->kind == DatabaseUrl::Kind::kSqlite && !parsed->path.empty() &&
          parsed->path[0] != '/') {
        url = "sqlite:" + root + "/" + parsed->path;
      }
      config.db_url = url;
    }
  }
  if (const toml::table* sync = table["sync"].as_table()) {
    for (auto&& [key, value] : *sync) {
      if (key == "max_file_size") {
        if (const auto* i = value.as_integer()) {
          if (i->get() <= 0) {
            return Status::InvalidArgument(
                fmt::format("{}: 'sync.max_file_size' must be positive", where(&value)));
          }
          config.max_file_size = static_cast<uint64_t>(i->get());
        } else if (const auto* s = value.as_string()) {
          auto size = ParseSize(s->get());
          if (!size.ok()) return size.status().WithPrefix(where(&value) + ": sync.max_file_size");
          config.max_file_size = *size;
        } else {
          return Status::InvalidArgument(fmt::format(
              "{}: 'sync.max_file_size' must be a size such as \"64MB\"", where(&value)));
        }
      } else if (key == "lock_timeout") {
        std::optional<double> secs = value.value<double>();
        if (!secs || *secs < 0) {
          return Status::InvalidArgument(
              fmt::format("{}: 'sync.lock_timeout' must be a number of seconds", where(&value)));
        }
        config.lock_timeout_s = *secs;
      } else {
        return Status::InvalidArgument(
            fmt::format("{}: unknown key 'sync.{}' (known: max_file_size, lock_timeout)",
                        where(&value), key.str()));
      }
    }
  }
  return config;
}

}  // namespace

Result<uint64_t> ParseSize(std::string_view text) {
  std::string s(text);
  size_t used = 0;
  double number = 0;
  try {
    number = std::stod(s, &used);
  } catch (const std::exception&) {
    return Status::InvalidArgument("'" + s + "' is not a size (examples: 64MB, 512KB, 1024)");
  }
  std::string unit = s.substr(used);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double mult = 0;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "K" || unit == "KB" || unit == "KIB") {
    mult = 1024.0;
  } else if (unit == "M" || unit == "MB" || unit == "MIB") {
    mult = 1024.0 * 1024;
  } else if (unit == "G" || unit == "GB" || unit == "GIB") {
    mult = 1024.0 * 1024 * 1024;
  }
  if (mult == 0 || !(number > 0) || std::isinf(number)) {
    return Status::InvalidArgument("'" + s + "' is not a size (examples: 64MB, 512KB, 1024)");
  }
  return static_cast<uint64_t>(number * mult);
}

Result<Context> ResolveContext(const GlobalFlags& flags) {
  Context ctx;
  ctx.root = Normalise(flags.root ? fs::path(*flags.root) : fs::path(DiscoverRoot()));
  FS_TRY_ASSIGN(FileConfig config, LoadConfig(ctx.root));

  std::string url;
  const char* env = std::getenv("DATABASE_URL");
  if (flags.db) {
    url = *flags.db;
  } else if (env != nullptr && *env != '\0') {
    url = env;
  } else if (config.db_url) {
    url = *config.db_url;
  } else {
    url = "sqlite:" + ctx.root + "/.flowsync/flowsync.db";
    ctx.db_is_default = true;
  }
  FS_TRY_ASSIGN(ctx.db, ParseDatabaseUrl(url));

  if (flags.max_file_size) {
    FS_TRY_ASSIGN(ctx.limits.max_file_size, ParseSize(*flags.max_file_size));
  } else if (config.max_file_size) {
    ctx.limits.max_file_size = *config.max_file_size;
  }
  std::optional<double> timeout =
      flags.lock_timeout_s ? flags.lock_timeout_s : config.lock_timeout_s;
  if (timeout) ctx.store_options.lock_timeout_ms = static_cast<int>(*timeout * 1000);
  const char* env_project = std::getenv("FLOWSYNC_PROJECT");
  if (flags.project) {
    ctx.store_options.project = *flags.project;
  } else if (env_project != nullptr && *env_project != '\0') {
    ctx.store_options.project = env_project;
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

Result<std::unique_ptr<Store>> OpenContextStore(const Context& ctx, IfMissing if_missing) {
  StoreOptions options = ctx.store_options;
  bool for_writing = if_missing == IfMissing::kCreate;
  options.create_if_missing = for_writing;
  if (if_missing == IfMissing::kEmpty && ctx.db.kind == DatabaseUrl::Kind::kSqlite) {
    std::error_code ec;
    if (!fs::exists(ctx.db.path, ec)) {
      DatabaseUrl memory = ctx.db;
      memory.path = ":memory:";
      options.create_if_missing = true;
      return OpenStore(memory, options);
    }
  }
  if (for_writing && ctx.db.kind == DatabaseUrl::Kind::kSqlite) {
    fs::path parent = fs::path(ctx.db.path).parent_path();
    std::error_code ec;
    if (ctx.db_is_default) {
      // Only .flowsync itself: never create the root as a side effect.
      fs::create_directory(parent, ec);
      if (ec) {
        return Status::IOError(fmt::format("cannot create {}: {}", parent.string(), ec.message()));
      }
    } else if (!parent.empty() && !fs::is_directory(parent, ec)) {
      return Status::IOError(fmt::format("cannot create database {}: folder {} does not exist",
                                         ctx.db.path, parent.string()));
    }
  }
  return OpenStore(ctx.db, options);
}

}  // namespace flowsync::cli
