#include "config/config_file.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cctype>
#include <cmath>
#include <functional>

#include "flowsync/store.h"

namespace flowsync::config {
namespace {

// "FILE:LINE" of a node, for messages.
using Where = std::function<std::string(const toml::node*)>;

Status ReadDatabaseSection(const toml::table& db, const std::string& root, const Where& where,
                           ConfigFile& config) {
  for (auto&& [key, value] : db) {
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
  return Status();
}

Status ReadSyncSection(const toml::table& sync, const Where& where, ConfigFile& config) {
  for (auto&& [key, value] : sync) {
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
        return Status::InvalidArgument(
            fmt::format("{}: 'sync.max_file_size' must be a size such as \"64MB\"", where(&value)));
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
  return Status();
}

}  // namespace

Result<ConfigFile> LoadConfigFile(const std::string& root, const FileSystem& file_system) {
  ConfigFile config;
  std::string path = root + "/" + kConfigFileName;
  // A configuration file is small; anything near this is no configuration.
  constexpr uint64_t kMaxConfigSize = 1 << 20;
  // Nothing that can be seen there (no file, or a folder that cannot be
  // searched) is no configuration; the sync's guard rails judge the root.
  if (!file_system.Stat(path).ok()) return config;
  Result<std::string> text = file_system.ReadFile(path, kMaxConfigSize);
  if (!text.ok()) return text.status();
  toml::table table;
  try {
    table = toml::parse(*text, path);
  } catch (const toml::parse_error& err) {
    return Status::InvalidArgument(fmt::format("{}:{}:{}: {}", path, err.source().begin.line,
                                               err.source().begin.column, err.description()));
  }
  Where where = [&](const toml::node* node) {
    return fmt::format("{}:{}", path, node ? node->source().begin.line : 0);
  };
  for (auto&& [key, value] : table) {
    if (key != "database" && key != "sync") {
      return Status::InvalidArgument(fmt::format("{}: unknown section '{}' (known: database, sync)",
                                                 where(&value), key.str()));
    }
  }
  if (const toml::table* db = table["database"].as_table()) {
    FS_TRY(ReadDatabaseSection(*db, root, where, config));
  }
  if (const toml::table* sync = table["sync"].as_table()) {
    FS_TRY(ReadSyncSection(*sync, where, config));
  }
  return config;
}

Result<uint64_t> ParseSize(std::string_view text) {
  std::string s(text);
  auto bad = [&] {
    return Status::InvalidArgument("'" + s + "' is not a size (examples: 64MB, 512KB, 1024)");
  };
  size_t used = 0;
  double number = 0;
  try {
    number = std::stod(s, &used);
  } catch (const std::exception&) {
    return bad();
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
  if (mult == 0 || !(number > 0) || std::isinf(number)) return bad();
  return static_cast<uint64_t>(number * mult);
}

}  // namespace flowsync::config
