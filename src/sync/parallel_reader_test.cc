#include "sync/parallel_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "util/memory_file_system.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

// Eight n8n files, read on four threads, each read held open for a while
// so that reads overlap; returns the most that ran at once.
int MostAtOnce(const std::vector<uint64_t>& bytes, uint64_t read_memory) {
  MemoryFileSystem fs;
  std::vector<SourceCandidate> owned(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    owned[i].key = "w" + std::to_string(i) + ".json";
    owned[i].path = "/t/" + owned[i].key;
    owned[i].bytes = bytes[i];
    EXPECT_OK(fs.SetFile(owned[i].path, R"({"nodes": [], "connections": {}})"));
  }
  std::atomic<int> running{0}, most{0};
  fs.OnRead([&](const std::string&) {
    const int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    --running;
  });
  std::vector<const SourceCandidate*> candidates;
  for (const SourceCandidate& c : owned) candidates.push_back(&c);
  SourceLimits limits;
  limits.read_memory = read_memory;
  ParallelReader reader(fs, candidates, limits, /*threads=*/4);
  for (size_t i = 0; i < candidates.size(); ++i) {
    ReadOutcome outcome = reader.Take(i);
    EXPECT_TRUE(outcome.ok() && outcome->workflows.size() == 1) << i;
  }
  return most.load();
}

TEST(ParallelReader, ReadsInParallelWithinTheMemoryBudget) {
  const std::vector<uint64_t> small(8, 100);
  EXPECT_GT(MostAtOnce(small, 1ull << 30), 1);
  // Room for two reads of 100 bytes (10 x each) at a time.
  EXPECT_LE(MostAtOnce(small, 2 * 100 * kReadMemoryPerByte), 2);
}

TEST(ParallelReader, AFileLargerThanTheBudgetIsReadAlone) {
  std::vector<uint64_t> bytes(8, 100);
  bytes[3] = 1ull << 40;
  EXPECT_EQ(MostAtOnce(bytes, 100 * kReadMemoryPerByte), 1);
}

}  // namespace
}  // namespace flowsync
