// Micro-benchmarks of the library's hot functions, through the public API
// (and the library's in-memory FileSystem, which isolates parsing and
// validation from system calls).
//
//   micro_bench [--benchmark_filter=...]
//
// Inputs: the generated sample made at build time (FLOWSYNC_BENCH_SAMPLE_DIR,
// override with env FLOWSYNC_BENCH_SAMPLE) and the real corpus
// (FLOWSYNC_SHARED_DIR/corpus/n8n/zie619, override the shared folder with env
// FLOWSYNC_SHARED). Benchmarks whose input is missing are skipped with a
// message. Throughput is reported as bytes per second of input JSON.
#include <benchmark/benchmark.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "flowsync/file_system.h"
#include "flowsync/source.h"
#include "flowsync/status.h"
#include "util/memory_file_system.h"

namespace {

namespace fs = std::filesystem;

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

std::string SampleDir() { return EnvOr("FLOWSYNC_BENCH_SAMPLE", FLOWSYNC_BENCH_SAMPLE_DIR); }
std::string CorpusDir() {
  return EnvOr("FLOWSYNC_SHARED", FLOWSYNC_SHARED_DIR) + "/corpus/n8n/zie619";
}

std::string ReadWhole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return std::move(buffer).str();
}

struct Input {
  std::vector<std::string> texts;                     // the main JSON text of each workflow
  std::vector<flowsync::SourceCandidate> candidates;  // paths relative to the FS root ("")
  // Never null; behind a pointer because a file system does not move.
  std::unique_ptr<flowsync::MemoryFileSystem> memory =
      std::make_unique<flowsync::MemoryFileSystem>();
  std::string root;   // for the real file system
  int64_t bytes = 0;  // all files a candidate reads
  bool loaded = false;
};

void Add(flowsync::MemoryFileSystem& fs, const std::string& path, std::string content) {
  flowsync::Status s = fs.SetFile(path, std::move(content));
  if (!s.ok()) {
    std::fprintf(stderr, "micro_bench: %s\n", s.ToString().c_str());
    std::exit(1);
  }
}

// Bundles (folders with workflow.json) or n8n exports (*.json), sorted.
Input Load(const std::string& root) {
  Input input;
  input.root = root;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return input;
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".json" &&
        it->path().filename() != "meta.json") {
      paths.push_back(it->path());
    }
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    const bool bundle = path.filename() == "workflow.json";
    const fs::path unit = bundle ? path.parent_path() : path;
    flowsync::SourceCandidate candidate;
    candidate.format = bundle ? flowsync::Format::kBundle : flowsync::Format::kN8n;
    candidate.key = unit.lexically_relative(root).generic_string();
    candidate.path = candidate.key;
    std::string text = ReadWhole(path);
    input.texts.push_back(text);
    if (bundle) {
      for (const char* extra : {"meta.json", "README.md"}) {
        if (fs::exists(unit / extra)) {
          std::string more = ReadWhole(unit / extra);
          input.bytes += static_cast<int64_t>(more.size());
          Add(*input.memory, candidate.key + "/" + extra, std::move(more));
        }
      }
      Add(*input.memory, candidate.key + "/workflow.json", text);
    } else {
      Add(*input.memory, candidate.key, text);
    }
    input.bytes += static_cast<int64_t>(text.size());
    input.candidates.push_back(std::move(candidate));
  }
  input.loaded = !input.candidates.empty();
  return input;
}

const Input& Sample() {
  static const Input* input = new Input(Load(SampleDir()));
  return *input;
}
const Input& Corpus() {
  static const Input* input = new Input(Load(CorpusDir()));
  return *input;
}

int64_t TextBytes(const Input& input) {
  int64_t total = 0;
  for (const auto& t : input.texts) total += static_cast<int64_t>(t.size());
  return total;
}

// One iteration = every document of the input once.
void CanonicalJsonOver(benchmark::State& state, const Input& input) {
  if (!input.loaded)
    return state.SkipWithError("input not found (see the header of micro_bench.cc)");
  int64_t failures = 0;
  for (auto _ : state) {
    for (const auto& text : input.texts) {
      auto canonical = flowsync::CanonicalJson(text, 512);
      if (!canonical.ok()) ++failures;
      benchmark::DoNotOptimize(canonical);
    }
  }
  state.SetBytesProcessed(state.iterations() * TextBytes(input));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(input.texts.size()));
  state.counters["failed_docs"] =
      static_cast<double>(failures) / std::max<int64_t>(1, state.iterations());
}

void ReadSourceOver(benchmark::State& state, const Input& input, const flowsync::FileSystem& fs,
                    const std::string& root) {
  if (!input.loaded)
    return state.SkipWithError("input not found (see the header of micro_bench.cc)");
  std::vector<flowsync::SourceCandidate> candidates = input.candidates;
  if (!root.empty()) {
    for (auto& c : candidates) c.path = flowsync::JoinPath(root, c.path);
  }
  const flowsync::SourceLimits limits;
  int64_t failures = 0;
  for (auto _ : state) {
    for (const auto& candidate : candidates) {
      auto parsed = flowsync::ReadSource(fs, candidate, limits);
      if (!parsed.ok()) ++failures;
      benchmark::DoNotOptimize(parsed);
    }
  }
  state.SetBytesProcessed(state.iterations() * input.bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(candidates.size()));
  state.counters["failed_docs"] =
      static_cast<double>(failures) / std::max<int64_t>(1, state.iterations());
}

// Reference point: XXH3-128 over the same bytes (what a raw content hash costs).
void Xxh3Over(benchmark::State& state, const Input& input) {
  if (!input.loaded)
    return state.SkipWithError("input not found (see the header of micro_bench.cc)");
  for (auto _ : state) {
    for (const auto& text : input.texts) {
      benchmark::DoNotOptimize(XXH3_128bits(text.data(), text.size()));
    }
  }
  state.SetBytesProcessed(state.iterations() * TextBytes(input));
}

void BM_Xxh3_Generated(benchmark::State& s) { Xxh3Over(s, Sample()); }
void BM_Xxh3_Corpus(benchmark::State& s) { Xxh3Over(s, Corpus()); }
void BM_CanonicalJson_Generated(benchmark::State& s) { CanonicalJsonOver(s, Sample()); }
void BM_CanonicalJson_Corpus(benchmark::State& s) { CanonicalJsonOver(s, Corpus()); }
void BM_ReadSource_Memory_Generated(benchmark::State& s) {
  ReadSourceOver(s, Sample(), *Sample().memory, "");
}
void BM_ReadSource_Memory_Corpus(benchmark::State& s) {
  ReadSourceOver(s, Corpus(), *Corpus().memory, "");
}
void BM_ReadSource_Disk_Generated(benchmark::State& s) {
  ReadSourceOver(s, Sample(), flowsync::RealFileSystem(), Sample().root);
}
void BM_ReadSource_Disk_Corpus(benchmark::State& s) {
  ReadSourceOver(s, Corpus(), flowsync::RealFileSystem(), Corpus().root);
}

BENCHMARK(BM_Xxh3_Generated)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Xxh3_Corpus)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CanonicalJson_Generated)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CanonicalJson_Corpus)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadSource_Memory_Generated)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadSource_Memory_Corpus)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadSource_Disk_Generated)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadSource_Disk_Corpus)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
