// Reads workflow candidates on worker threads and hands the results back
// in order, keeping at most `window` results in memory at once, and no more
// reads and results at once than limits.read_memory allows (each costs
// kReadMemoryPerByte times the candidate's bytes until it is taken; one
// always proceeds, so a file larger than the budget is read alone).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "flowsync/source.h"

namespace flowsync {

using ReadOutcome = Result<SourceWorkflows>;

class ParallelReader {
 public:
  // REQUIRES: fs and candidates outlive the reader.
  ParallelReader(const FileSystem& fs, const std::vector<const SourceCandidate*>& candidates,
                 const SourceLimits& limits, int threads, size_t window = 128);
  ~ParallelReader();  // joins the workers
  ParallelReader(const ParallelReader&) = delete;
  ParallelReader& operator=(const ParallelReader&) = delete;

  // The outcome for candidates[i]; call with i = 0, 1, 2, ... in order.
  ReadOutcome Take(size_t i);

 private:
  void Work();
  uint64_t Cost(size_t i) const;

  const FileSystem& fs_;
  const std::vector<const SourceCandidate*>& candidates_;
  SourceLimits limits_;
  size_t window_;
  std::mutex mu_;
  std::condition_variable ready_;    // a slot was filled
  std::condition_variable advance_;  // the consumer moved on
  size_t next_ = 0;                  // next index to hand to a worker
  size_t consumed_ = 0;              // indices below this were taken
  uint64_t held_ = 0;                // the estimated memory of reads not yet taken
  bool stop_ = false;
  std::vector<std::optional<ReadOutcome>> slots_;
  std::vector<std::thread> workers_;
};

}  // namespace flowsync
