// baseline_load: the lower bound that the end-to-end sync bench compares against.
//
//   baseline_load ROOT DB_PATH
//
// Walks ROOT, reads every regular file, parses each *.json file once with
// simdjson (a full DOM parse, which validates the whole text as any sync
// must), hashes every file with XXH3-128 and inserts (path, content, hash)
// into one SQLite table in a single transaction, in WAL mode, on one thread.
// It builds no canonical form, checks no rules and compares nothing, so a
// real sync of the same tree cannot be faster by much; sync_bench.sh reports flowsync's
// times as ratios to this program's, measured in the same run, which keeps
// the comparison meaningful on a shared, noisy machine.
//
// Prints one JSON line:
// {"files": N, "parsed": J, "invalid_json": E, "bytes": B, "duration_ms": T}.
#include <fcntl.h>
#include <simdjson.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace {

int Fail(const char* what, sqlite3* db) {
  std::fprintf(stderr, "baseline_load: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
  return 1;
}

// open + fstat + one read: the cheapest way to get a whole file.
bool ReadWhole(const std::filesystem::path& path, std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool ok = ::fstat(fd, &st) == 0;
  if (ok) {
    out->resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (ok && done < out->size()) {
      const ssize_t n = ::read(fd, out->data() + done, out->size() - done);
      if (n <= 0)
        ok = n == 0 && (out->resize(done), true);
      else
        done += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: baseline_load ROOT DB_PATH\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  const std::filesystem::path root = argv[1];

  sqlite3* db = nullptr;
  if (sqlite3_open(argv[2], &db) != SQLITE_OK) return Fail("open", db);
  const char* setup =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
      "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, content TEXT NOT NULL,"
      " hash TEXT NOT NULL);"
      "BEGIN;";
  if (sqlite3_exec(db, setup, nullptr, nullptr, nullptr) != SQLITE_OK) return Fail("setup", db);
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO files (path, content, hash) VALUES (?, ?, ?)",
                         -1, &insert, nullptr) != SQLITE_OK) {
    return Fail("prepare", db);
  }

  // Sorted, so the insert order (and the B-tree work) matches a sorted tree walk.
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) {
    std::fprintf(stderr, "baseline_load: %s: %s\n", root.c_str(), ec.message().c_str());
    return 1;
  }
  std::sort(files.begin(), files.end());

  uint64_t bytes = 0;
  uint64_t parsed = 0;
  uint64_t invalid = 0;
  std::string content;
  simdjson::dom::parser parser;  // reused: its buffers grow to the largest file
  char hex[33];
  for (const auto& path : files) {
    if (!ReadWhole(path, &content)) {
      std::fprintf(stderr, "baseline_load: cannot read %s\n", path.c_str());
      return 1;
    }
    bytes += content.size();
    if (path.extension() == ".json") {
      // simdjson copies the text into a padded buffer when the string has no
      // room for the padding. A file that is not valid JSON is counted, not
      // fatal: the real corpus has some, and a sync reports them.
      simdjson::dom::element doc;
      if (parser.parse(content).get(doc) == simdjson::SUCCESS) {
        ++parsed;
      } else {
        ++invalid;
      }
    }
    const XXH128_hash_t h = XXH3_128bits(content.data(), content.size());
    std::snprintf(hex, sizeof hex, "%016" PRIx64 "%016" PRIx64, static_cast<uint64_t>(h.high64),
                  static_cast<uint64_t>(h.low64));
    const std::string rel = path.lexically_relative(root).generic_string();
    sqlite3_bind_text(insert, 1, rel.data(), static_cast<int>(rel.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 2, content.data(), static_cast<int>(content.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert, 3, hex, 32, SQLITE_STATIC);
    if (sqlite3_step(insert) != SQLITE_DONE) return Fail("insert", db);
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  if (sqlite3_exec(db, "COMMIT;", nullptr, nullptr, nullptr) != SQLITE_OK)
    return Fail("commit", db);
  sqlite3_close(db);

  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::printf("{\"files\": %zu, \"parsed\": %" PRIu64 ", \"invalid_json\": %" PRIu64
              ", \"bytes\": %" PRIu64 ", \"duration_ms\": %lld}\n",
              files.size(), parsed, invalid, bytes, static_cast<long long>(ms));
  return 0;
}
