#include "phase/file_match.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>

#include "util/edit_distance.h"

namespace flowsync::phase {
namespace {

// The last `parts` '/'-separated parts of `key` ("a/b/c.toml", 2: "b/c.toml").
std::string_view LastParts(std::string_view key, size_t parts) {
  size_t start = key.size();
  for (size_t i = 0; i < parts; ++i) {
    size_t slash = start == 0 ? std::string_view::npos : key.rfind('/', start - 1);
    if (slash == std::string_view::npos) return key;
    start = slash;
  }
  return key.substr(start + 1);
}

}  // namespace

Result<std::string> MatchPhaseFile(std::string_view name, const std::vector<std::string>& keys) {
  while (name.starts_with("./")) name.remove_prefix(2);
  if (name == "*" || std::find(keys.begin(), keys.end(), name) != keys.end()) {
    return std::string(name);
  }
  const size_t parts = static_cast<size_t>(std::count(name.begin(), name.end(), '/')) + 1;
  std::vector<std::string> endings, matches;
  for (const std::string& key : keys) {
    std::string_view ending = LastParts(key, parts);
    if (ending == name && ending.size() < key.size()) matches.push_back(key);
    endings.emplace_back(ending);
  }
  if (matches.size() == 1) return matches[0];
  if (matches.size() > 1) {
    return Status::InvalidArgument(
        fmt::format("phase file '{}' is ambiguous: {} (give the path below the root)", name,
                    JoinAlternatives(matches)));
  }
  std::vector<std::string> near_endings = NearestWords(name, endings);
  std::vector<std::string> near;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (std::find(near_endings.begin(), near_endings.end(), endings[i]) != near_endings.end()) {
      near.push_back(keys[i]);
    }
  }
  return Status::NotFound(
      fmt::format("no phase file '{}'{}", name,
                  near.empty() ? "" : "; did you mean " + JoinAlternatives(near) + "?"));
}

}  // namespace flowsync::phase
