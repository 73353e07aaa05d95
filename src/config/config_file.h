// flowsync.toml: the settings a project keeps beside its workflows.
//
//   [database]
//   url = "sqlite:state/flowsync.db"   # relative SQLite paths: to this file
//   project = "team-a"
//   [sync]
//   max_file_size = "64MB"             # or a number of bytes
//   lock_timeout = 30                  # seconds
//
// Unknown sections and keys are errors (a typo must not be ignored), named
// by file and line: "ROOT/flowsync.toml:3: unknown key 'database.ulr' ...".
//
// Thread-safety: pure functions apart from reading the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flowsync/file_system.h"
#include "flowsync/status.h"

namespace flowsync::config {

// The name of the configuration file at the sync root.
inline constexpr char kConfigFileName[] = "flowsync.toml";

// What flowsync.toml says; unset where it says nothing.
struct ConfigFile {
  // [database] url, with a relative SQLite path made relative to the root.
  std::optional<std::string> db_url;
  std::optional<std::string> project;     // [database] project
  std::optional<uint64_t> max_file_size;  // [sync] max_file_size, bytes
  std::optional<double> lock_timeout_s;   // [sync] lock_timeout
  bool operator==(const ConfigFile&) const = default;
};

// Reads ROOT/flowsync.toml; an empty ConfigFile when there is none.
// InvalidArgument naming file, line (and column for syntax errors) otherwise.
Result<ConfigFile> LoadConfigFile(const std::string& root, const FileSystem& fs = RealFileSystem());

// "64MB", "10KB", "1.5M", "1024" (bytes); K, M, G are powers of 1024 (KiB,
// MiB, GiB are accepted too, in any case). InvalidArgument for anything
// else, zero and negative sizes.
Result<uint64_t> ParseSize(std::string_view text);

}  // namespace flowsync::config
