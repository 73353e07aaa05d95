#include "phase/phase_index.h"

#include <utility>

#include "phase/phase.h"

namespace flowsync::phase {
namespace {

std::string TopicJobKey(std::string_view topic, std::string_view job) {
  std::string key;
  key.reserve(topic.size() + job.size() + 1);
  key += topic;
  key += '\0';
  key += job;
  return key;
}

}  // namespace

IndexedFile::IndexedFile(StoredPhaseFile stored) : file(std::move(stored)) {
  const size_t n = file.phases.size();
  topics.reserve(n);
  jobs.reserve(n);
  parent_jobs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Phase& phase = file.phases[i];
    topics.push_back(phase.Topic());
    jobs.push_back(phase.Job());
    phase.task = NormalizedTask(phase);
    by_topic[topics.back()].push_back(static_cast<uint32_t>(i));
    if (!phase.depends_on.empty()) {
      const TopicJob parent = SplitTopicJob(phase.depends_on);
      parent_jobs.emplace_back(parent.job);
      by_parent_topic[std::string(parent.topic)].push_back(static_cast<uint32_t>(i));
    } else {
      parent_jobs.emplace_back();
    }
  }
}

void PhaseIndex::Unlink(const IndexedFile& file) {
  const std::string_view key = files_.find(file.file.key)->first;
  for (size_t i = 0; i < file.topics.size(); ++i) {
    if (auto it = files_by_topic_.find(file.topics[i]); it != files_by_topic_.end()) {
      it->second.erase(key);
      if (it->second.empty()) files_by_topic_.erase(it);
    }
    if (file.jobs[i].empty()) continue;
    if (auto it = files_by_topic_job_.find(TopicJobKey(file.topics[i], file.jobs[i]));
        it != files_by_topic_job_.end()) {
      it->second.erase(key);
      if (it->second.empty()) files_by_topic_job_.erase(it);
    }
  }
}

void PhaseIndex::Put(std::shared_ptr<const IndexedFile> file) {
  auto it = files_.find(file->file.key);
  if (it != files_.end()) {
    Unlink(*it->second);
    it->second = std::move(file);
  } else {
    std::string key = file->file.key;
    it = files_.emplace(std::move(key), std::move(file)).first;
  }
  const std::string_view key = it->first;
  const IndexedFile& f = *it->second;
  for (size_t i = 0; i < f.topics.size(); ++i) {
    files_by_topic_[f.topics[i]].insert(key);
    if (!f.jobs[i].empty()) files_by_topic_job_[TopicJobKey(f.topics[i], f.jobs[i])].insert(key);
  }
}

void PhaseIndex::Remove(std::string_view key) {
  auto it = files_.find(key);
  if (it == files_.end()) return;
  Unlink(*it->second);
  files_.erase(it);
}

void PhaseIndex::Clear() {
  files_by_topic_.clear();
  files_by_topic_job_.clear();
  files_.clear();
}

const IndexedFile* PhaseIndex::Find(std::string_view key) const {
  auto it = files_.find(key);
  return it == files_.end() ? nullptr : it->second.get();
}

std::optional<FoundPhase> PhaseIndex::FirstIn(const IndexedFile& file, std::string_view topic,
                                              std::string_view job) const {
  auto it = file.by_topic.find(topic);
  if (it == file.by_topic.end()) return std::nullopt;
  for (uint32_t i : it->second) {
    if (job.empty() || file.jobs[i] == job) return FoundPhase{file.file.key, file.file.phases[i]};
  }
  return std::nullopt;
}

std::optional<FoundPhase> PhaseIndex::First(std::string_view file, std::string_view topic,
                                            std::string_view job) const {
  const IndexedFile* f = Find(file);
  if (f == nullptr) return std::nullopt;
  return FirstIn(*f, topic, job);
}

std::optional<FoundPhase> PhaseIndex::FirstInAnyFile(std::string_view topic,
                                                     std::string_view job) const {
  const std::set<std::string_view>* holders = nullptr;
  if (job.empty()) {
    auto it = files_by_topic_.find(topic);
    if (it != files_by_topic_.end()) holders = &it->second;
  } else {
    auto it = files_by_topic_job_.find(TopicJobKey(topic, job));
    if (it != files_by_topic_job_.end()) holders = &it->second;
  }
  if (holders == nullptr || holders->empty()) return std::nullopt;
  return First(*holders->begin(), topic, job);
}

std::vector<Phase> PhaseIndex::Children(std::string_view file, std::string_view topic,
                                        std::string_view job) const {
  std::vector<Phase> children;
  const IndexedFile* f = Find(file);
  if (f == nullptr) return children;
  auto it = f->by_parent_topic.find(topic);
  if (it == f->by_parent_topic.end()) return children;
  for (uint32_t i : it->second) {
    if (f->parent_jobs[i].empty() || f->parent_jobs[i] == job) {
      children.push_back(f->file.phases[i]);
    }
  }
  return children;
}

std::vector<std::string> PhaseIndex::Keys() const {
  std::vector<std::string> keys;
  keys.reserve(files_.size());
  for (const auto& [key, file] : files_) keys.push_back(key);
  return keys;
}

std::vector<StoredPhaseFile> PhaseIndex::Files() const {
  std::vector<StoredPhaseFile> files;
  files.reserve(files_.size());
  for (const auto& [key, file] : files_) files.push_back(file->file);
  return files;
}

}  // namespace flowsync::phase
