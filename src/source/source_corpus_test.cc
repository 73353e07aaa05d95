// ReadSource over the real n8n corpus (../shared/corpus/n8n). Some files hold
// live-looking secrets: these tests print counts, keys and finding codes only,
// never file contents or parameter values.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "flowsync/source.h"
#include "util/memory_file_system.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

// Relative paths of every *.json file under `root`, sorted.
std::vector<std::string> JsonFiles(const std::string& root) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(std::filesystem::relative(entry.path(), root).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct CorpusStats {
  size_t files = 0;
  size_t bytes = 0;
  size_t ignored = 0;
  size_t errors = 0;
  size_t with_error_findings = 0;
  std::map<std::string, size_t> files_per_code;
  std::map<std::string, size_t> files_per_id;
};

CorpusStats ReadCorpus(const std::string& root, const std::vector<std::string>& keys,
                       const FileSystem& fs = RealFileSystem()) {
  CorpusStats stats;
  for (const std::string& key : keys) {
    ++stats.files;
    SourceCandidate candidate{Format::kN8n, key, JoinPath(root, key)};
    auto result = ReadSource(fs, candidate, SourceLimits());
    if (!result.ok()) {
      ++stats.errors;
      ADD_FAILURE() << result.status().ToString();
      continue;
    }
    if (!result->has_value()) {
      ++stats.ignored;
      continue;
    }
    const ParsedWorkflow& workflow = **result;
    stats.bytes += workflow.content.size();
    std::vector<std::string> codes;
    for (const Finding& finding : workflow.findings) {
      if (finding.severity == Severity::kError) codes.push_back(finding.code);
    }
    if (!codes.empty()) ++stats.with_error_findings;
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    for (const std::string& code : codes) ++stats.files_per_code[code];
    if (workflow.source_id) ++stats.files_per_id[*workflow.source_id];
  }
  return stats;
}

CorpusStats ReadCorpus(const std::string& root) { return ReadCorpus(root, JsonFiles(root)); }

std::string CodeSummary(const CorpusStats& stats) {
  std::string out;
  for (const auto& [code, count] : stats.files_per_code) {
    out += code + "=" + std::to_string(count) + " ";
  }
  return out;
}

TEST(SourceCorpusTest, Zie619) {
  const CorpusStats stats = ReadCorpus(test::SharedDir() + "/corpus/n8n/zie619");
  EXPECT_EQ(stats.files, 2057u);
  EXPECT_EQ(stats.errors, 0u);
  // 2,047 workflows and 10 other JSON files (the corpus README says so).
  EXPECT_EQ(stats.ignored, 10u);
  // The corpus README: 15 workflows fail n8n's own structure check.
  EXPECT_EQ(stats.with_error_findings, 15u) << CodeSummary(stats);

  size_t sharing = 0;
  for (const auto& [id, count] : stats.files_per_id) {
    if (count > 1) sharing += count;
  }
  EXPECT_EQ(sharing, 427u);
  EXPECT_EQ(stats.files_per_id.count(""), 1u);
  EXPECT_EQ(stats.files_per_id.count("1"), 1u);
}

// Each of the 10 files that are no workflows says why: 9 have their keys
// encoded twice ("\"nodes\"": "["), one is `{}`.
TEST(SourceCorpusTest, Zie619IgnoredFilesSayWhy) {
  const std::string root = test::SharedDir() + "/corpus/n8n/zie619";
  std::map<std::string, size_t> reasons;
  for (const std::string& key : JsonFiles(root)) {
    auto read = ReadSourceWorkflows(RealFileSystem(), {Format::kN8n, key, JoinPath(root, key)},
                                    SourceLimits());
    ASSERT_TRUE(read.ok()) << key;
    EXPECT_FALSE(read->array_export) << key;
    if (read->workflows.empty()) ++reasons[read->ignored];
  }
  EXPECT_EQ(reasons, (std::map<std::string, size_t>{
                         {R"(not an n8n workflow (no top-level "nodes" or "connections"))", 1},
                         {R"(not an n8n workflow (no top-level "nodes" or "connections"; its keys )"
                          R"(have quotes inside them, as "\"nodes\""))",
                          9},
                     }));
}

TEST(SourceCorpusTest, Zie619CorruptedAllHaveErrorFindings) {
  const CorpusStats stats = ReadCorpus(test::SharedDir() + "/corpus/n8n/zie619-corrupted");
  EXPECT_EQ(stats.files, 60u);
  EXPECT_EQ(stats.errors, 0u);
  EXPECT_EQ(stats.ignored, 0u);
  EXPECT_EQ(stats.with_error_findings, 60u) << CodeSummary(stats);
}

// ReadSource is called from several sync workers at once.
TEST(SourceCorpusTest, ConcurrentReadsAgree) {
  const std::string root = test::SharedDir() + "/corpus/n8n/zie619";
  std::vector<std::string> keys = JsonFiles(root);
  keys.resize(std::min<size_t>(keys.size(), 300));
  const auto hashes = [&] {
    std::vector<std::string> out;
    for (const std::string& key : keys) {
      auto result =
          ReadSource(RealFileSystem(), {Format::kN8n, key, JoinPath(root, key)}, SourceLimits());
      out.push_back(!result.ok()           ? "error"
                    : !result->has_value() ? "none"
                                           : (*result)->content_hash);
    }
    return out;
  };
  const std::vector<std::string> expected = hashes();
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (auto& out : got) threads.emplace_back([&out, &hashes] { out = hashes(); });
  for (std::thread& thread : threads) thread.join();
  for (const auto& out : got) EXPECT_TRUE(out == expected);
}

// Throughput of ReadSource over the corpus, by hand only (it is no timed
// test): ./flowsync_tests --gtest_also_run_disabled_tests
//     --gtest_filter='*DISABLED_Throughput*'
// "disk" reads through RealFileSystem (page cache warm); "memory" serves the
// files from memory, which leaves the parse, canonical form, hash and checks.
TEST(SourceCorpusTest, DISABLED_Throughput) {
  const std::string root = test::SharedDir() + "/corpus/n8n/zie619";
  const std::vector<std::string> keys = JsonFiles(root);
  // Serves the files from memory, to time the readers without the kernel.
  MemoryFileSystem memory;
  ASSERT_OK(memory.CopyFrom(RealFileSystem(), root));
  for (const FileSystem* fs : {&RealFileSystem(), static_cast<const FileSystem*>(&memory)}) {
    ReadCorpus(root, keys, *fs);  // warm up
    for (int round = 0; round < 3; ++round) {
      const auto start = std::chrono::steady_clock::now();
      const CorpusStats stats = ReadCorpus(root, keys, *fs);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("%s: %zu files, %.1f MB in %.3f s: %.0f MB/s, %.0f files/s\n",
                  fs == &memory ? "memory" : "disk", stats.files,
                  static_cast<double>(stats.bytes) / 1e6, seconds,
                  static_cast<double>(stats.bytes) / 1e6 / seconds,
                  static_cast<double>(stats.files) / seconds);
    }
  }
}

}  // namespace
}  // namespace flowsync
