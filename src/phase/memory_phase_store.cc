// MemoryPhaseStore (flowsync/phase_cache.h).
#include <algorithm>
#include <utility>

#include "flowsync/phase_cache.h"

namespace flowsync {

Result<std::vector<StoredPhaseFile>> MemoryPhaseStore::LoadAll() { return files_; }

Status MemoryPhaseStore::Apply(const std::vector<StoredPhaseFile>& upserts,
                               const std::vector<std::string>& removed) {
  if (!next_apply_error_.ok()) return std::exchange(next_apply_error_, Status::OK());
  const auto by_key = [](const StoredPhaseFile& f, const std::string& key) { return f.key < key; };
  for (const std::string& key : removed) {
    auto it = std::lower_bound(files_.begin(), files_.end(), key, by_key);
    if (it != files_.end() && it->key == key) files_.erase(it);
  }
  for (const StoredPhaseFile& file : upserts) {
    auto it = std::lower_bound(files_.begin(), files_.end(), file.key, by_key);
    if (it != files_.end() && it->key == file.key) {
      *it = file;
    } else {
      files_.insert(it, file);
    }
  }
  return Status::OK();
}

std::vector<StoredPhaseFile> MemoryPhaseStore::Files() const { return files_; }

}  // namespace flowsync
