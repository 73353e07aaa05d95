// Which paths hold workflow definitions, and in which format: the naming
// rule shared by everything that meets a path before reading it.
//
//   a folder holding workflow.json     a bundle (the folder is the workflow;
//                                      workflow.json, meta.json, README.md)
//   NAME.json                          an n8n export candidate
//   NAME.toml                          a phase file candidate
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

}  // namespace flowsync
