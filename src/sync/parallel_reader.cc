#include "sync/parallel_reader.h"

namespace flowsync {

ParallelReader::ParallelReader(const FileSystem& fs,
                               const std::vector<const SourceCandidate*>& candidates,
                               const SourceLimits& limits, int threads, size_t window)
    : fs_(fs), candidates_(candidates), limits_(limits), window_(window < 1 ? 1 : window) {
  slots_.resize(candidates.size());
  if (threads < 1) threads = 1;
  if (candidates.size() < 4) threads = 0;  // not worth a thread: read inline in Take()
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

ParallelReader::~ParallelReader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  advance_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ParallelReader::Work() {
  while (true) {
    size_t i;
    {
      std::unique_lock<std::mutex> lock(mu_);
      advance_.wait(lock, [&] {
        return stop_ || next_ >= candidates_.size() ||
               (next_ < consumed_ + window_ &&
                (held_ == 0 || held_ + Cost(next_) <= limits_.read_memory));
      });
      if (stop_ || next_ >= candidates_.size()) return;
      i = next_++;
      held_ += Cost(i);
    }
    ReadOutcome outcome = ReadSourceWorkflows(fs_, *candidates_[i], limits_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      slots_[i].emplace(std::move(outcome));
    }
    ready_.notify_all();
  }
}

uint64_t ParallelReader::Cost(size_t i) const { return candidates_[i]->bytes * kReadMemoryPerByte; }

ReadOutcome ParallelReader::Take(size_t i) {
  if (workers_.empty()) return ReadSourceWorkflows(fs_, *candidates_[i], limits_);
  std::optional<ReadOutcome> out;
  {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [&] { return slots_[i].has_value(); });
    out = std::move(slots_[i]);
    slots_[i].reset();
    consumed_ = i + 1;
    held_ -= Cost(i);
  }
  advance_.notify_all();
  return std::move(*out);
}

}  // namespace flowsync
