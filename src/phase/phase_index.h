// The in-memory index behind PhaseCache: every stored phase file, with
// lookup tables so that Get, Search and Children cost O(log files + matches)
// rather than a scan over every phase.
//
// Per file: phases in file order; topic -> phases; dependsOn topic ->
// phases. Across files: topic -> files holding it, and topic+job -> files
// holding it, both in key order (so "first file" is the first in key order).
//
// Thread-safety: none; PhaseCache guards it with a reader/writer lock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flowsync/phase_cache.h"

namespace flowsync::phase {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// One file, ready to answer lookups. Immutable once built.
struct IndexedFile {
  // Normalizes task names (stored files already are; this keeps data from
  // elsewhere consistent) and builds the tables.
  explicit IndexedFile(StoredPhaseFile stored);

  StoredPhaseFile file;
  std::vector<std::string> topics;                   // Topic() per phase
  std::vector<std::string> jobs;                     // Job() per phase
  std::vector<std::string> parent_jobs;              // job part of dependsOn per phase
  StringMap<std::vector<uint32_t>> by_topic;         // in file order
  StringMap<std::vector<uint32_t>> by_parent_topic;  // in file order
};

class PhaseIndex {
 public:
  // Adds `file`, replacing a file with the same key.
  void Put(std::shared_ptr<const IndexedFile> file);
  void Remove(std::string_view key);
  void Clear();

  const IndexedFile* Find(std::string_view key) const;
  // The first phase of `file` (in file order) with that topic and, when job
  // is non-empty, that job.
  std::optional<FoundPhase> First(std::string_view file, std::string_view topic,
                                  std::string_view job) const;
  // The same over every file, the first file in key order.
  std::optional<FoundPhase> FirstInAnyFile(std::string_view topic, std::string_view job) const;
  // The phases of `file` whose dependsOn names topic with an empty job or
  // `job`, in file order.
  std::vector<Phase> Children(std::string_view file, std::string_view topic,
                              std::string_view job) const;

  // Keys in key order.
  std::vector<std::string> Keys() const;
  std::vector<StoredPhaseFile> Files() const;
  size_t size() const { return files_.size(); }

 private:
  std::optional<FoundPhase> FirstIn(const IndexedFile& file, std::string_view topic,
                                    std::string_view job) const;
  void Unlink(const IndexedFile& file);

  std::map<std::string, std::shared_ptr<const IndexedFile>, std::less<>> files_;
  // The views point at the keys of files_ (stable until erased).
  StringMap<std::set<std::string_view>> files_by_topic_;
  StringMap<std::set<std::string_view>> files_by_topic_job_;  // topic '\0' job
};

}  // namespace flowsync::phase
