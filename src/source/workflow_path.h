// Which paths hold workflow definitions, and in which format: the naming
// rule shared by everything that meets a path before reading it.
//
//   a folder holding workflow.json     a bundle (the folder is the workflow;
//                                      workflow.json, meta.json, README.md)
//   NAME.json                          an n8n export candidate
//   NAME.toml                          a phase file candidate
//   NAME.json#ID                       one workflow of an n8n array export
//                                      (`n8n export:workflow --all`): the
//                                      key of the element whose `id` is ID
//
// NAME is not empty: ".json" alone is a hidden file, not a candidate. The
// tree walk (sync/scan.h), which every reader of a tree uses, applies this
// rule to what it lists, and also skips hidden names and flowsync.toml at
// the root; `migration create` applies it to the paths it is given.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "flowsync/workflow.h"

namespace flowsync {

// The file whose presence makes a folder a bundle.
inline constexpr std::string_view kBundleMainFile = "workflow.json";
// A bundle's member files, main file first; only the main file is required.
inline constexpr std::array<std::string_view, 3> kBundleMembers = {kBundleMainFile, "meta.json",
                                                                   "README.md"};

// The format a regular file named `name` (no folder part) is a candidate
// for: kN8n for NAME.json, kPhase for NAME.toml, nullopt otherwise.
constexpr std::optional<Format> FileFormatForName(std::string_view name) {
  auto has = [name](std::string_view ext) {
    return name.size() > ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (has(".json")) return Format::kN8n;
  if (has(".toml")) return Format::kPhase;
  return std::nullopt;
}

// Separates an array export's file from the id of one of its workflows.
inline constexpr char kElementSeparator = '#';
inline constexpr size_t kMaxElementIdSize = 128;

// Whether an n8n `id` can name a workflow of an array export: 1 to 128
// letters, digits, '-' and '_' (n8n writes 16-character nanoids, numbers
// or UUIDs). Without '/', '#' and '.', an element key is never a file or
// folder name the walk reports, and its file is found again unambiguously.
constexpr bool IsElementId(std::string_view id) {
  if (id.empty() || id.size() > kMaxElementIdSize) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// "all.json#ID": the key of the workflow with `id` ID in array export `file`.
// REQUIRES: IsElementId(id).
inline std::string ElementKey(std::string_view file, std::string_view id) {
  std::string key(file);
  key += kElementSeparator;
  key += id;
  return key;
}

// The array export an element key names ("n8n/all.json" for
// "n8n/all.json#4Qv1"); nullopt when `key` has not that shape.
constexpr std::optional<std::string_view> ElementFile(std::string_view key) {
  const size_t at = key.rfind(kElementSeparator);
  if (at == std::string_view::npos || !IsElementId(key.substr(at + 1))) return std::nullopt;
  const std::string_view file = key.substr(0, at);
  const size_t slash = file.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? file : file.substr(slash + 1);
  if (FileFormatForName(name) != Format::kN8n) return std::nullopt;
  return file;
}

}  // namespace flowsync
