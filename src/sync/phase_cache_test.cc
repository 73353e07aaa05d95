#include "flowsync/phase_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "flowsync/catalog.h"
#include "flowsync/store.h"
#include "flowsync/sync.h"
#include "phase/validation.h"
#include "source/phase_file.h"
#include "store/sql_connection.h"
#include "util/hash.h"
#include "util/memory_file_system.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

using Strings = std::vector<std::string>;

// 2100-01-01: every file is older than the racy window, so signatures count.
constexpr int64_t kNow = 4102444800000;
const ManualClock kClock(kNow);
const ManualClock kEpoch(0);

std::string Fixtures() { return test::SharedDir() + "/fixtures/flowlord"; }

std::string ReadAll(const std::string& path) {
  auto text = RealFileSystem().ReadFile(path, 1 << 20);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : "";
}

using Op = MemoryFileSystem::Op;

// The fixtures (or any real tree) in memory, where faults can be injected.
std::unique_ptr<MemoryFileSystem> InMemory(const std::string& root) {
  auto fs = std::make_unique<MemoryFileSystem>();
  EXPECT_OK(fs->CopyFrom(RealFileSystem(), root));
  return fs;
}

MemoryFileSystem::PathMatcher AnyPath() {
  return [](const std::string&) { return true; };
}

Phase P(std::string task, std::string depends_on = "", std::string rule = "") {
  Phase p;
  p.task = std::move(task);
  p.depends_on = std::move(depends_on);
  p.rule = std::move(rule);
  return p;
}

StoredPhaseFile F(std::string key, std::vector<Phase> phases, std::string hash = "") {
  StoredPhaseFile f;
  f.key = std::move(key);
  f.hash = std::move(hash);
  f.phases = std::move(phases);
  return f;
}

Task T(std::string type, std::string job, std::string meta) {
  return Task{std::move(type), std::move(job), std::move(meta)};
}

Strings Tasks(const std::vector<Phase>& phases) {
  Strings out;
  for (const Phase& p : phases) out.push_back(p.task);
  return out;
}

// TOML text of phases, as a phase file holds them.
std::string TomlOf(const std::vector<Phase>& phases) {
  const auto quoted = [](const std::string& v) {
    std::string out = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  };
  std::string text;
  for (const Phase& p : phases) {
    text += "[[phase]]\ntask = " + quoted(p.task) + "\n";
    if (!p.depends_on.empty()) text += "dependsOn = " + quoted(p.depends_on) + "\n";
    if (!p.rule.empty()) text += "rule = " + quoted(p.rule) + "\n";
    if (!p.template_text.empty()) text += "template = " + quoted(p.template_text) + "\n";
    if (p.retry != 0) text += "retry = " + std::to_string(p.retry) + "\n";
  }
  return text;
}

// Every test runs on each backend: the cache is an index over a store's
// phase workflows.
class PhaseCacheTest : public ::testing::TestWithParam<test::TestBackend> {
 protected:
  void SetUp() override {
    store_ = FreshStore();
    if (store_ == nullptr) GTEST_SKIP() << "no PostgreSQL server configured";
  }

  // An empty database of this test's backend (nullptr: not configured).
  std::unique_ptr<Store> FreshStore(StoreOptions options = {}) {
    const std::string db_dir = dir_.path() + "/db" + std::to_string(++stores_);
    std::filesystem::create_directories(db_dir);
    url_ = GetParam().fresh_url(db_dir);
    if (url_.empty()) return nullptr;
    auto store = OpenStore(*ParseDatabaseUrl(url_), options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::unique_ptr<PhaseCache> Open(const std::string& root, PhaseCacheOptions options = {}) {
    if (options.clock == nullptr) options.clock = &kClock;
    root_ = root;
    auto cache = OpenPhaseCache(store_.get(), root, std::move(options));
    EXPECT_TRUE(cache.ok()) << cache.status().ToString();
    return cache.ok() ? std::move(cache).value() : nullptr;
  }

  static RefreshReport Refresh(PhaseCache& cache) {
    auto report = cache.Refresh();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : RefreshReport{};
  }

  static Strings Keys(const PhaseCache& cache) {
    Strings keys;
    for (const StoredPhaseFile& f : cache.Files()) keys.push_back(f.key);
    return keys;
  }

  static Strings Errors(const RefreshReport& report) {
    Strings out;
    for (const PhaseFileError& e : report.errors) out.push_back(e.key + " | " + e.status.message());
    return out;
  }

  // Stores phase files as a sync of a tree holding them would (a file
  // without phases gets one, so that it is a phase file).
  void Preload(const std::vector<StoredPhaseFile>& files) {
    const std::string tree = dir_.path() + "/preload" + std::to_string(++preloads_);
    std::filesystem::create_directories(tree);
    for (const StoredPhaseFile& f : files) {
      dir_.Write("preload" + std::to_string(preloads_) + "/" + f.key,
                 f.phases.empty() ? TomlOf({P("placeholder")}) : TomlOf(f.phases));
    }
    SyncOptions sync;
    sync.root = tree;
    sync.scope.format = Format::kPhase;
    sync.clock = &kClock;
    auto report = RunSync(*store_, sync);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_EQ(report->counts.errors, 0);
  }

  // What the store holds: the files a new cache over it (and the root last
  // opened) loads.
  std::vector<StoredPhaseFile> Stored() {
    auto cache = OpenPhaseCache(store_.get(), root_);
    EXPECT_TRUE(cache.ok()) << cache.status().ToString();
    return cache.ok() ? (*cache)->Files() : std::vector<StoredPhaseFile>{};
  }

  // The store and the index agree.
  void ExpectStored(const PhaseCache& cache) { EXPECT_EQ(Stored(), cache.Files()); }

  std::string Root() const { return dir_.path() + "/root"; }
  void Write(const std::string& rel, const std::string& text) { dir_.Write("root/" + rel, text); }
  void Remove(const std::string& rel) { dir_.Remove("root/" + rel); }

  test::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::string url_;
  std::string root_;
  int stores_ = 0;
  int preloads_ = 0;
};

// ---- flowlord workflow/workflow_test.go and apps/flowlord/sqlite/workflow_test.go

// TestLoadFile "read file". flowlord stores the md5
// (4422274d9c9f7e987c609687a7702651); flowsync hashes with XXH3-128, as
// everywhere else, so the expected value is HashHex of the same bytes.
TEST_P(PhaseCacheTest, FlowlordLoadFileReadFile) {
  const std::string path = Fixtures() + "/workflow/f1.toml";
  auto cache = Open(path);
  const RefreshReport report = Refresh(*cache);
  EXPECT_EQ(report.changed, (Strings{"f1.toml"}));
  EXPECT_TRUE(report.errors.empty());
  const std::vector<StoredPhaseFile> files = cache->Files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].hash, HashHex(ReadAll(path)));
  EXPECT_EQ(files[0].loaded_at_ms, kNow);
  EXPECT_EQ(files[0].last_modified_ms, RealFileSystem().Stat(path)->mtime_ns / 1'000'000);
  EXPECT_EQ(Tasks(files[0].phases),
            (Strings{"task1:t2", "task2", "task3", "task4", "task1:t4", "task5:t5", "task6"}));
  ExpectStored(*cache);
}

// TestLoadFile "stat error" (nop://stat_err).
TEST_P(PhaseCacheTest, FlowlordLoadFileStatError) {
  const std::string path = Fixtures() + "/workflow/f1.toml";
  auto fs = InMemory(path);
  fs->InjectFault(Op::kStat, path, Status::IOError("nop stat error"));
  auto cache = OpenPhaseCache(store_.get(), path, {.fs = fs.get()});
  ASSERT_FALSE(cache.ok());
  EXPECT_EQ(cache.status().message(), "nop stat error");

  // A stat error at refresh time changes nothing.
  auto later = InMemory(path);
  auto open = Open(path, {.fs = later.get()});
  Refresh(*open);
  later->InjectFault(Op::kStat, path, Status::IOError("nop stat error"));
  auto report = open->Refresh();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().message(), "nop stat error");
  EXPECT_EQ(Keys(*open), (Strings{"f1.toml"}));
}

// TestLoadFile "dir error" (nop://stat_dir): flowlord reads every listed path
// and fails on a folder. flowsync walks folders, whatever their name, so the
// analogue is a folder named like a phase file: it is walked, not read.
TEST_P(PhaseCacheTest, FlowlordLoadFileDirIsWalked) {
  Write("d.toml/x.toml", "[[phase]]\ntask = \"x\"\n");
  auto cache = Open(Root());
  const RefreshReport report = Refresh(*cache);
  EXPECT_EQ(report.changed, (Strings{"d.toml/x.toml"}));
  EXPECT_TRUE(report.errors.empty());
}

// TestLoadFile "read err" (nop://init_err: stat works, open fails). The
// other files still load.
TEST_P(PhaseCacheTest, FlowlordLoadFileReadError) {
  auto fs = InMemory(Fixtures() + "/workflow");
  const std::string f1 = Fixtures() + "/workflow/f1.toml";
  fs->InjectFault(Op::kRead, f1, Status::IOError(f1 + ": init_err"));
  auto cache = Open(Fixtures() + "/workflow", {.fs = fs.get()});
  const RefreshReport report = Refresh(*cache);
  EXPECT_EQ(Errors(report), (Strings{"f1.toml | f1.toml: init_err"}));
  EXPECT_EQ(report.errors[0].status.code(), StatusCode::kIOError);
  EXPECT_EQ(report.changed, (Strings{"f2.toml", "f3.toml", "jobs.toml"}));
  ExpectStored(*cache);
}

// TestLoadFile "decode error" (internal/test/invalid.toml).
TEST_P(PhaseCacheTest, FlowlordLoadFileDecodeError) {
  auto cache = Open(Fixtures() + "/invalid.toml");
  const RefreshReport report = Refresh(*cache);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].key, "invalid.toml");
  EXPECT_EQ(report.errors[0].status.code(), StatusCode::kCorruption);
  EXPECT_EQ(report.errors[0].status.message(),
            "invalid.toml:1:5: invalid TOML: Error while parsing key-value pair: expected '=', "
            "saw 'b'");
  EXPECT_NE(report.errors[0].status.message().find("invalid TOML"), std::string::npos);
  EXPECT_TRUE(report.changed.empty());
  EXPECT_TRUE(cache->Files().empty());
}

// TestToml.
TEST_P(PhaseCacheTest, FlowlordToml) {
  const std::string text = R"([[phase]]
task = "task1"
rule = "cron=0 * * * *&offset=-4h&job=t2&retry_delay=10ms"
retry = 3
template = "?date={yyyy}-{mm}-{dd}T{hh}"

[[phase]]
task = "task2"
dependsOn = "task1"
rule = ""
retry = 3
template = "{meta:file}?time={yyyy}-{mm}-{dd}"
)";
  auto parsed = ReadPhaseFile(text, "t.toml", "t");
  ASSERT_OK(parsed);
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ((*parsed)->phases.size(), 2u);
  const std::vector<Phase> phases = phase::PhasesFromEntries((*parsed)->phases, {});
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0].task, "task1:t2");
  EXPECT_EQ(phases[0].retry, 3);
  EXPECT_EQ(phases[0].template_text, "?date={yyyy}-{mm}-{dd}T{hh}");
  EXPECT_EQ(phases[1].task, "task2");
  EXPECT_EQ(phases[1].depends_on, "task1");
}

// TestRefresh "single file".
TEST_P(PhaseCacheTest, FlowlordRefreshSingleFile) {
  auto cache = Open(Fixtures() + "/workflow/f1.toml");
  EXPECT_FALSE(cache->IsDir());
  Refresh(*cache);
  EXPECT_EQ(Keys(*cache), (Strings{"f1.toml"}));
}

// TestRefresh "folder".
TEST_P(PhaseCacheTest, FlowlordRefreshFolder) {
  auto cache = Open(Fixtures() + "/workflow");
  EXPECT_TRUE(cache->IsDir());
  const RefreshReport report = Refresh(*cache);
  EXPECT_EQ(Keys(*cache), (Strings{"f1.toml", "f2.toml", "f3.toml", "jobs.toml"}));
  EXPECT_EQ(report.changed, Keys(*cache));
  EXPECT_TRUE(report.errors.empty());
  ExpectStored(*cache);
}

// TestRefresh "sub-folder".
TEST_P(PhaseCacheTest, FlowlordRefreshSubFolder) {
  auto cache = Open(Fixtures() + "/parent");
  Refresh(*cache);
  EXPECT_EQ(Keys(*cache), (Strings{"f1.toml", "group/f3.toml"}));
}

// TestRefresh "error case" (nop://err: stat and list fail), and a root
// that stats but cannot be listed.
TEST_P(PhaseCacheTest, FlowlordRefreshErrorCase) {
  const std::string root = Fixtures() + "/workflow";
  auto fs = InMemory(root);
  fs->InjectFault(Op::kStat, root, Status::IOError("nop stat error"));
  fs->InjectFault(Op::kList, root, Status::IOError(root + ": Permission denied"));
  EXPECT_FALSE(OpenPhaseCache(store_.get(), root, {.fs = fs.get()}).ok());

  auto unlistable = InMemory(root);
  unlistable->InjectFault(Op::kList, root, Status::IOError(root + ": Permission denied"));
  auto cache = Open(root, {.fs = unlistable.get()});
  auto report = cache->Refresh();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().message(), root + ": Permission denied");
}

// TestRefresh "file removed": pre-loaded missing.toml, f1, f2, f3 (empty).
TEST_P(PhaseCacheTest, FlowlordRefreshFileRemoved) {
  Preload({F("missing.toml", {}), F("f1.toml", {}), F("f2.toml", {}), F("f3.toml", {})});
  auto cache = Open(Fixtures() + "/workflow");
  EXPECT_EQ(Keys(*cache), (Strings{"f1.toml", "f2.toml", "f3.toml", "missing.toml"}));
  const RefreshReport report = Refresh(*cache);
  EXPECT_EQ(Keys(*cache), (Strings{"f1.toml", "f2.toml", "f3.toml", "jobs.toml"}));
  EXPECT_EQ(report.changed,
            (Strings{"f1.toml", "f2.toml", "f3.toml", "jobs.toml", "-missing.toml"}));
  ExpectStored(*cache);
}

// TestRefresh "keep loaded": stale checksums (really the parent/ fixtures'
// md5s) are reloaded; the absolute path (in-memory test) and a relative one
// (SQLite test) key the files alike.
TEST_P(PhaseCacheTest, FlowlordRefreshKeepLoaded) {
  const std::string absolute = std::filesystem::absolute(Fixtures() + "/workflow").string();
  const std::string relative =
      std::filesystem::relative(absolute, std::filesystem::current_path()).string();
  for (const std::string& root : {absolute, relative}) {
    SCOPED_TRACE(root);
    store_ = FreshStore();
    Preload({F("f1.toml", {}, "34cf5142"), F("f2.toml", {}, "eac7716a")});
    auto cache = Open(root);
    const RefreshReport report = Refresh(*cache);
    EXPECT_EQ(Keys(*cache), (Strings{"f1.toml", "f2.toml", "f3.toml", "jobs.toml"}));
    EXPECT_EQ(report.changed, (Strings{"f1.toml", "f2.toml", "f3.toml", "jobs.toml"}));
  }
}

// TestNew.
TEST_P(PhaseCacheTest, FlowlordNew) {
  MemoryFileSystem fs;
  fs.InjectFault(Op::kStat, "nop://err", Status::IOError("nop stat error"));
  EXPECT_FALSE(OpenPhaseCache(store_.get(), "nop://err", {.fs = &fs}).ok());
  auto cache = Open(Fixtures() + "/workflow/f1.toml");
  ASSERT_NE(cache, nullptr);
  EXPECT_OK(cache->Close());
  EXPECT_OK(cache->Close());  // flowlord panics on a second Close
  auto missing = OpenPhaseCache(store_.get(), Fixtures() + "/workflow/missing.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

// TestGet: the fixture data of both flowlord tests. Expectations follow the
// in-memory cache (workflow= honoured, an empty job matches any job), with
// the normalized task names of the SQLite one; "wildcard same task in
// different files" is random in memory and `w2job.toml` (first file_path) in
// SQLite: here it is the first file in key order, w2job.toml.
TEST_P(PhaseCacheTest, FlowlordGet) {
  Preload({F("workflow.toml",
             {P("task1"), P("dup"), P("task2", "task1"), P("task3", "task2"), P("task4", "task2")}),
           F("w2job.toml",
             {P("dup"), P("t2", "", "job=j1"), P("t2", "", "job=j2"), P("t2:j3", "", "")})});
  auto cache = Open(Fixtures() + "/workflow");
  struct Case {
    std::string name;
    Task task;
    std::optional<FoundPhase> expected;
  };
  const std::vector<Case> cases = {
      {"no meta", T("task1", "", ""), std::nullopt},
      {"blank task", T("", "", "workflow=workflow.toml"), std::nullopt},
      {"not found", T("missing", "", "workflow=workflow.toml"), std::nullopt},
      {"task_job", T("t2", "j2", "workflow=*"), FoundPhase{"w2job.toml", P("t2:j2", "", "job=j2")}},
      {"task2", T("task2", "", "workflow=workflow.toml"),
       FoundPhase{"workflow.toml", P("task2", "task1")}},
      {"task=t2 with job=j1", T("t2", "", "workflow=w2job.toml&job=j1"),
       FoundPhase{"w2job.toml", P("t2:j1", "", "job=j1")}},
      {"job does not exist", T("t2", "", "workflow=w2job.toml&job=invalid"), std::nullopt},
      {"wildcard search", T("t2", "", "workflow=*&job=j3"), FoundPhase{"w2job.toml", P("t2:j3")}},
      {"wildcard same task in different files", T("dup", "", "workflow=*"),
       FoundPhase{"w2job.toml", P("dup")}},
  };
  for (const Case& c : cases) {
    std::optional<FoundPhase> found = cache->Get(c.task);
    if (found) found->phase.status.clear();  // validation is tested below
    EXPECT_EQ(found, c.expected) << c.name;
  }
}

// TestChildren: the same 7 rows in both flowlord tests.
TEST_P(PhaseCacheTest, FlowlordChildren) {
  Preload({F("workflow.toml", {P("task1"), P("task2", "task1"), P("task3", "task2"),
                               P("task4", "task2"), P("task5", "task1:j4")})});
  auto cache = Open(Fixtures() + "/workflow");
  struct Case {
    std::string name;
    Task task;
    std::vector<Phase> expected;
  };
  const std::vector<Case> cases = {
      {"no meta", T("task1", "", ""), {}},
      {"blank task", T("", "", "workflow=workflow.toml"), {}},
      {"task1", T("task1", "", "workflow=workflow.toml"), {P("task2", "task1")}},
      {"task2",
       T("task2", "", "workflow=workflow.toml"),
       {P("task3", "task2"), P("task4", "task2")}},
      {"task3", T("task3", "", "workflow=workflow.toml"), {}},
      {"task4", T("task4", "", "workflow=workflow.toml"), {}},
      {"task1:j4",
       T("task1", "", "workflow=workflow.toml&job=j4"),
       {P("task2", "task1"), P("task5", "task1:j4")}},
  };
  for (const Case& c : cases) {
    std::vector<Phase> children = cache->Children(c.task);
    for (Phase& p : children) p.status.clear();  // validation is tested below
    EXPECT_EQ(children, c.expected) << c.name;
  }
}

// TestCache_FilePath. flowlord derives keys from listed paths by string
// search; flowsync's walk yields root-relative paths, so each row is a tree.
TEST_P(PhaseCacheTest, FlowlordFilePath) {
  const std::string text = "[[phase]]\ntask = \"x\"\n";
  struct Case {
    std::string file;  // relative to the temporary folder
    std::string root;  // relative to the temporary folder
    std::string key;
  };
  const std::vector<Case> cases = {
      {"path/file.toml", "path", "file.toml"},
      {"path/file.toml", "path/file.toml", "file.toml"},
      {"path/sub/file.toml", "path", "sub/file.toml"},
      {"root/folder/path/file.toml", "root/folder/path", "file.toml"},
      {"root/path/sub/file.toml", "root/path", "sub/file.toml"},
      // flowlord: the deeper "path" wins (LastIndex) and gives file.toml.
      {"deep/path/path/file.toml", "deep/path", "path/file.toml"},
      // A trailing '/' and "./" change nothing.
      {"slash/a/file.toml", "slash/./a/", "file.toml"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.root);
    test::TempDir dir;
    dir.Write(c.file, text);
    std::unique_ptr<Store> store = FreshStore();
    auto cache = OpenPhaseCache(store.get(), dir.path() + "/" + c.root);
    ASSERT_OK(cache);
    auto report = (*cache)->Refresh();
    ASSERT_OK(report);
    EXPECT_EQ(report->changed, (Strings{c.key}));
  }
}

// ---- Refresh behaviours

TEST_P(PhaseCacheTest, RefreshReportsChangedUnchangedAndRemoved) {
  Write("b.toml", "[[phase]]\ntask = \"b\"\nrule = \"cron=0 * * * *\"\n");
  Write("a.toml", "[[phase]]\ntask = \"a\"\nrule = \"cron=0 * * * *\"\n");
  Write("sub/c.toml", "[[phase]]\ntask = \"c\"\n");
  auto cache = Open(Root());
  EXPECT_EQ(Refresh(*cache).changed, (Strings{"a.toml", "b.toml", "sub/c.toml"}));
  EXPECT_TRUE(Refresh(*cache).changed.empty());

  Write("b.toml", "[[phase]]\ntask = \"b2\"\nrule = \"cron=0 * * * *\"\n");
  Remove("a.toml");
  Remove("sub");
  EXPECT_EQ(Refresh(*cache).changed, (Strings{"b.toml", "-a.toml", "-sub/c.toml"}));
  EXPECT_EQ(Keys(*cache), (Strings{"b.toml"}));
  EXPECT_TRUE(cache->Search("b2", "").has_value());
  EXPECT_FALSE(cache->Search("b", "").has_value());
  EXPECT_FALSE(cache->Search("a", "").has_value());
  ExpectStored(*cache);
}

TEST_P(PhaseCacheTest, SameContentIsNoChange) {
  const std::string text = "[[phase]]\ntask = \"a\"\n";
  Write("a.toml", text);
  auto cache = Open(Root(), {.clock = &kEpoch});  // no signature trusted
  EXPECT_EQ(Refresh(*cache).changed, (Strings{"a.toml"}));
  Write("a.toml", text);  // rewritten: new mtime, same bytes
  EXPECT_TRUE(Refresh(*cache).changed.empty());
  Write("a.toml", text + "# comment\n");  // raw bytes: a comment is a change
  EXPECT_EQ(Refresh(*cache).changed, (Strings{"a.toml"}));
}

// flowlord bug: a refresh error drops the updates of the files that did
// load. Here the good files are stored and reported, the broken one keeps
// its last good phases, and its error is reported on every refresh until it
// is fixed.
TEST_P(PhaseCacheTest, BrokenFileKeepsItsLastGoodPhases) {
  Write("a.toml", "[[phase]]\ntask = \"a\"\nrule = \"cron=0 * * * *\"\n");
  Write("b.toml", "[[phase]]\ntask = \"b\"\nrule = \"cron=0 * * * *\"\n");
  auto cache = Open(Root());
  Refresh(*cache);
  const std::string good_hash = cache->Files()[0].hash;

  Write("a.toml", "[[phase]]\ntask = \"a2\"\nretry = \"three\"\n");
  Write("b.toml", "[[phase]]\ntask = \"b2\"\nrule = \"cron=0 * * * *\"\n");
  RefreshReport report = Refresh(*cache);
  EXPECT_EQ(report.changed, (Strings{"b.toml"}));
  EXPECT_EQ(Errors(report),
            (Strings{"a.toml | a.toml:3:9: phase 1: 'retry' must be an integer, got string"}));
  EXPECT_TRUE(cache->Search("a", "").has_value());
  EXPECT_FALSE(cache->Search("a2", "").has_value());
  EXPECT_TRUE(cache->Search("b2", "").has_value());
  EXPECT_EQ(cache->Files()[0].hash, good_hash);
  ExpectStored(*cache);

  report = Refresh(*cache);
  EXPECT_TRUE(report.changed.empty());
  EXPECT_EQ(report.errors.size(), 1u);

  Write("a.toml", "[[phase]]\ntask = \"a2\"\nretry = 3\n");
  report = Refresh(*cache);
  EXPECT_EQ(report.changed, (Strings{"a.toml"}));
  EXPECT_TRUE(report.errors.empty());
  EXPECT_TRUE(cache->Search("a2", "").has_value());
}

TEST_P(PhaseCacheTest, BrokenNewFileIsReportedNotLoaded) {
  Write("bad.toml", "this is not toml\n");
  Write("good.toml", "[[phase]]\ntask = \"g\"\n");
  auto cache = Open(Root());
  const RefreshReport report = Refresh(*cache);
  EXPECT_EQ(report.changed, (Strings{"good.toml"}));
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].key, "bad.toml");
  EXPECT_TRUE(report.errors[0].status.message().starts_with("bad.toml:1:"));
  EXPECT_EQ(Keys(*cache), (Strings{"good.toml"}));
}

// flowlord parses every file of the folder and fails on a README or
// .DS_Store (fatal at startup). Only *.toml files are phase files here, and
// dot-names are skipped.
TEST_P(PhaseCacheTest, NonTomlFilesAreIgnored) {
  Write("a.toml", "[[phase]]\ntask = \"a\"\n");
  Write("README.md", "# workflows\n");
  Write(".DS_Store", "\x00\x01binary");
  Write("notes.txt", "[[phase]]\n");
  Write("a.toml.swp", "garbage");
  Write(".hidden.toml", "garbage");
  Write(".git/config.toml", "garbage");
  Write("toml", "garbage");
  auto cache = Open(Root());
  const RefreshReport report = Refresh(*cache);
  EXPECT_TRUE(report.errors.empty()) << Errors(report)[0];
  EXPECT_EQ(report.changed, (Strings{"a.toml"}));
}

// The cache walks the tree as a sync does (one classification rule): the
// root's flowsync.toml is the configuration and a bundle folder's files
// belong to the bundle, so neither holds phases for the cache.
TEST_P(PhaseCacheTest, PhaseFilesAreWhatASyncCallsPhaseFiles) {
  Write("flowsync.toml", "[[phase]]\ntask = \"config\"\n");
  Write("bundle/workflow.json", R"({"nodes": [], "connections": {}})");
  Write("bundle/inside.toml", "[[phase]]\ntask = \"inside\"\n");
  Write("sub/flowsync.toml", "[[phase]]\ntask = \"sub\"\n");
  Write("a.toml", "[[phase]]\ntask = \"a\"\n");
  auto cache = Open(Root());
  const RefreshReport report = Refresh(*cache);
  EXPECT_TRUE(report.errors.empty()) << Errors(report)[0];
  EXPECT_EQ(report.changed, (Strings{"a.toml", "sub/flowsync.toml"}));
  EXPECT_FALSE(cache->Search("config", "").has_value());
  EXPECT_FALSE(cache->Search("inside", "").has_value());
}

TEST_P(PhaseCacheTest, LinksToFilesAreFollowedLinksToFoldersAreNot) {
  Write("real/a.toml", "[[phase]]\ntask = \"a\"\n");
  std::filesystem::create_directories(Root() + "/tree");
  std::filesystem::create_symlink(Root() + "/real/a.toml", Root() + "/tree/link.toml");
  std::filesystem::create_directory_symlink(Root() + "/real", Root() + "/tree/loop");
  std::filesystem::create_symlink(Root() + "/nowhere.toml", Root() + "/tree/broken.toml");
  auto cache = Open(Root() + "/tree");
  const RefreshReport report = Refresh(*cache);
  EXPECT_EQ(report.changed, (Strings{"link.toml"}));
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].key, "broken.toml");
  EXPECT_EQ(report.errors[0].status.code(), StatusCode::kNotFound);
}

// Valid TOML without [[phase]] tables (a pyproject.toml) is not a phase
// file, as a sync sees it; flowlord lists it with no phases. A phase file
// that loses its last phase is an error that keeps its last good phases, as
// a sync treats any workflow that stops being one.
TEST_P(PhaseCacheTest, TomlWithoutPhasesIsNotAPhaseFile) {
  Write("pyproject.toml", "[tool.x]\ny = 1\n");
  Write("empty.toml", "");
  Write("a.toml", "[[phase]]\ntask = \"a\"\n");
  auto cache = Open(Root());
  RefreshReport report = Refresh(*cache);
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(report.changed, (Strings{"a.toml"}));
  Write("a.toml", "[tool.x]\n");
  report = Refresh(*cache);
  EXPECT_TRUE(report.changed.empty());
  EXPECT_EQ(Errors(report),
            (Strings{"a.toml | a.toml: no longer holds a phase workflow; the stored "
                     "version is kept (delete the file to delete the workflow)"}));
  EXPECT_TRUE(cache->Search("a", "").has_value());
}

// Unknown keys are ignored, as flowlord does, but reported. A top-level
// `checksum` (which overrides flowlord's md5) is just another unknown key.
TEST_P(PhaseCacheTest, UnknownKeysAreReportedAsFindings) {
  const std::string text =
      "checksum = \"abc\"\n[[phase]]\ntask = \"a\"\ndepends_on = \"x\"\nDependsOn = \"p\"\n";
  Write("a.toml", text);
  auto cache = Open(Root());
  Refresh(*cache);
  auto stored = store_->catalog().FindWorkflow("a.toml");
  ASSERT_OK(stored);
  ASSERT_TRUE(stored->has_value());
  const std::vector<Finding>& findings = (*stored)->findings;
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].location, "a.toml:1");
  EXPECT_EQ(findings[0].message, "unknown top-level key 'checksum' (ignored)");
  EXPECT_EQ(findings[1].code, "unknown-key");
  EXPECT_EQ(findings[1].location, "a.toml:4");
  EXPECT_EQ(findings[1].message, "phase 1: unknown key 'depends_on' (ignored)");
  EXPECT_EQ(cache->Files()[0].hash, HashHex(text));
  EXPECT_EQ(cache->Files()[0].phases[0].depends_on, "p");
}

// Cheap check first: an unchanged signature (size, mtime, inode) means no
// read at all; a file modified within the racy window is read again.
TEST_P(PhaseCacheTest, UnchangedFilesAreNotRead) {
  const ManualClock written(1'000);  // files written at 1 s, long before kNow
  MemoryFileSystem fs(&written);
  ASSERT_OK(fs.SetFile(Root() + "/a.toml", "[[phase]]\ntask = \"a\"\n"));
  ASSERT_OK(fs.SetFile(Root() + "/b.toml", "[[phase]]\ntask = \"b\"\n"));
  auto cache = Open(Root(), {.fs = &fs});
  Refresh(*cache);
  EXPECT_EQ(fs.reads(), 2);
  Refresh(*cache);
  EXPECT_EQ(fs.reads(), 2);

  std::unique_ptr<Store> store = FreshStore();
  const int64_t mtime_ms = fs.Stat(Root() + "/a.toml")->mtime_ns / 1'000'000;
  const ManualClock racy_clock(mtime_ms + 50);
  auto racy = OpenPhaseCache(store.get(), Root(), {.fs = &fs, .clock = &racy_clock});
  ASSERT_OK(racy);
  ASSERT_OK((*racy)->Refresh());
  ASSERT_OK((*racy)->Refresh());
  EXPECT_EQ(fs.reads(), 2 + 4);
}

// A restart costs one load from the store: answers come before any file
// is read, and a refresh then reads nothing that did not change (the
// signatures are stored).
TEST_P(PhaseCacheTest, RestartAnswersFromTheStore) {
  Write("w.toml",
        "[[phase]]\ntask = \"p\"\nrule = \"cron=0 * * * *\"\n[[phase]]\ntask = \"c\"\n"
        "dependsOn = \"p\"\n");
  auto fs = InMemory(Root());
  {
    auto cache = Open(Root(), {.fs = fs.get()});
    Refresh(*cache);
  }
  const int64_t reads = fs->reads();
  fs->InjectError(Op::kRead, AnyPath(), EIO);
  auto restarted = Open(Root(), {.fs = fs.get()});
  EXPECT_EQ(Tasks(restarted->Children(T("p", "", "workflow=w.toml"))), (Strings{"c"}));
  EXPECT_EQ(restarted->Get(T("c", "", "workflow=w.toml"))->phase.depends_on, "p");
  EXPECT_EQ(fs->reads(), reads);
  fs->ClearFaults();
  const RefreshReport report = Refresh(*restarted);
  EXPECT_TRUE(report.changed.empty());
  EXPECT_EQ(fs->reads(), reads);
}

TEST_P(PhaseCacheTest, StoreFailureChangesNothing) {
  Write("a.toml", "[[phase]]\ntask = \"a\"\n");
  auto cache = Open(Root());
  Refresh(*cache);
  Write("a.toml", "[[phase]]\ntask = \"a2\"\n");
  Write("b.toml", "[[phase]]\ntask = \"b\"\n");
  // Another writer holds the lock past the store's timeout.
  StoreOptions impatient;
  impatient.lock_timeout_ms = 50;
  auto patient = std::move(store_);
  store_ = OpenStore(*ParseDatabaseUrl(url_), impatient).value();
  auto holder = patient->BeginSync(/*read_only=*/false);
  ASSERT_OK(holder);
  auto reopened = Open(Root());
  auto report = reopened->Refresh();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kBusy);
  EXPECT_EQ(Keys(*reopened), (Strings{"a.toml"}));
  EXPECT_TRUE(reopened->Search("a", "").has_value());
  ASSERT_OK((*holder)->Commit());
  cache = std::move(reopened);
  EXPECT_EQ(Keys(*cache), (Strings{"a.toml"}));
  EXPECT_TRUE(cache->Search("a", "").has_value());
  ExpectStored(*cache);
  // The next refresh does it all.
  EXPECT_EQ(Refresh(*cache).changed, (Strings{"a.toml", "b.toml"}));
  EXPECT_TRUE(cache->Search("a2", "").has_value());
  ExpectStored(*cache);
}

// flowlord never removes anything in single-file mode, so rows of a
// previously configured root stay in its database and get scheduled. Here
// a single-file cache answers for its file alone.
TEST_P(PhaseCacheTest, SingleFileModeAnswersForItsFileAlone) {
  Preload({F("old/x.toml", {P("x", "", "cron=0 * * * *")})});
  Write("f.toml", "[[phase]]\ntask = \"f\"\n");
  auto cache = Open(Root() + "/f.toml");
  EXPECT_TRUE(cache->Files().empty());
  EXPECT_EQ(Refresh(*cache).changed, (Strings{"f.toml"}));
  EXPECT_FALSE(cache->Search("x", "").has_value());
  // The file itself vanishing is an error, not a removal.
  Remove("f.toml");
  auto report = cache->Refresh();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Keys(*cache), (Strings{"f.toml"}));
}

// A file name that is not UTF-8 is keyed by its path text, in a folder and
// as the one file of the cache (PostgreSQL's text cannot hold the bytes).
TEST_P(PhaseCacheTest, NamesThatAreNotUtf8AreKeyedByTheirPathText) {
  Write("caf\xe9.toml", "[[phase]]\ntask = \"c\"\n");
  auto folder = Open(Root());
  EXPECT_EQ(Refresh(*folder).changed, (Strings{"caf\\xe9.toml"}));
  ASSERT_TRUE(folder->Search("c", "").has_value());
  EXPECT_EQ(folder->Search("c", "")->file, "caf\\xe9.toml");
  auto single = Open(Root() + "/caf\xe9.toml");
  EXPECT_EQ(Keys(*single), (Strings{"caf\\xe9.toml"}));
  Write("caf\xe9.toml", "[[phase]]\ntask = \"dd\"\n");
  EXPECT_EQ(Refresh(*single).changed, (Strings{"caf\\xe9.toml"}));
  EXPECT_TRUE(single->Search("dd", "").has_value());
}

TEST_P(PhaseCacheTest, UnlistableFolderKeepsItsFiles) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.SetFile(Root() + "/a.toml", "[[phase]]\ntask = \"a\"\n"));
  ASSERT_OK(fs.SetFile(Root() + "/sub/b.toml", "[[phase]]\ntask = \"b\"\n"));
  auto cache = Open(Root(), {.fs = &fs});
  Refresh(*cache);
  fs.InjectError(
      Op::kList, [&](const std::string& p) { return p == Root() + "/sub"; }, EACCES);
  ASSERT_OK(fs.RemoveFile(Root() + "/a.toml"));
  const RefreshReport report = Refresh(*cache);
  EXPECT_EQ(report.changed, (Strings{"-a.toml"}));
  EXPECT_EQ(Errors(report),
            (Strings{"sub | cannot read folder: " + Root() + "/sub: Permission denied"}));
  EXPECT_EQ(Keys(*cache), (Strings{"sub/b.toml"}));
}

// ---- Lookups

// Where flowlord's in-memory cache visits files in random (map) order, the
// first file in key order wins: "a.toml" < "a/x.toml" < "b.toml".
TEST_P(PhaseCacheTest, AnyFileMeansTheFirstInKeyOrder) {
  Write("b.toml", "[[phase]]\ntask = \"t\"\nrule = \"job=j\"\n");
  Write("a/x.toml", "[[phase]]\ntask = \"t:j\"\n[[phase]]\ntask = \"t:k\"\n");
  Write("a.toml", "[[phase]]\ntask = \"t:k\"\n[[phase]]\ntask = \"u\"\n");
  auto cache = Open(Root());
  EXPECT_EQ(Refresh(*cache).changed, (Strings{"a.toml", "a/x.toml", "b.toml"}));
  EXPECT_EQ(cache->Search("t", "")->file, "a.toml");
  EXPECT_EQ(cache->Search("t", "j")->file, "a/x.toml");
  EXPECT_EQ(cache->Search("t", "k")->file, "a.toml");
  EXPECT_EQ(cache->Search("t", "k")->phase.task, "t:k");
  EXPECT_EQ(cache->Get(T("t", "j", "workflow=*"))->file, "a/x.toml");
  EXPECT_EQ(cache->Get(T("t", "", "workflow=*"))->file, "a.toml");
  EXPECT_EQ(cache->Get(T("t", "", "workflow=b.toml"))->phase.task, "t:j");
  EXPECT_EQ(cache->Search("t", "nope"), std::nullopt);
  EXPECT_EQ(cache->Search("", ""), std::nullopt);
  Remove("a.toml");
  Refresh(*cache);
  EXPECT_EQ(cache->Search("t", "")->file, "a/x.toml");
  EXPECT_EQ(cache->Search("t", "k")->file, "a/x.toml");
  EXPECT_EQ(cache->Search("u", ""), std::nullopt);
}

TEST_P(PhaseCacheTest, GetJobSources) {
  Preload({F("w.toml", {P("t", "", "job=a"), P("t", "", "job=b"), P("x:y")})});
  auto cache = Open(dir_.path());
  // The task's job first, then meta job; an empty job matches the first.
  EXPECT_EQ(cache->Get(T("t", "b", "workflow=w.toml&job=a"))->phase.task, "t:b");
  EXPECT_EQ(cache->Get(T("t", "", "workflow=w.toml&job=b"))->phase.task, "t:b");
  EXPECT_EQ(cache->Get(T("t", "", "workflow=w.toml"))->phase.task, "t:a");
  // A type holding ':' never matches; meta parse errors are ignored.
  EXPECT_EQ(cache->Get(T("x:y", "", "workflow=w.toml")), std::nullopt);
  EXPECT_EQ(cache->Get(T("x", "", "workflow=w.toml&bad=%zz"))->phase.task, "x:y");
  // Unknown file: nothing.
  EXPECT_EQ(cache->Get(T("t", "", "workflow=other.toml")), std::nullopt);
}

TEST_P(PhaseCacheTest, ChildrenMatching) {
  Preload({F("w.toml", {P("p", "", "job=a"), P("any", "p"), P("only_a", "p:a"), P("only_b", "p:b"),
                        P("grand", "any")}),
           F("other.toml", {P("elsewhere", "p")})});
  auto cache = Open(dir_.path());
  EXPECT_EQ(Tasks(cache->Children(T("p", "a", "workflow=w.toml"))), (Strings{"any", "only_a"}));
  EXPECT_EQ(Tasks(cache->Children(T("p", "", "workflow=w.toml&job=b"))),
            (Strings{"any", "only_b"}));
  // task.job wins over meta job; no job matches only "any job" children.
  EXPECT_EQ(Tasks(cache->Children(T("p", "b", "workflow=w.toml&job=a"))),
            (Strings{"any", "only_b"}));
  EXPECT_EQ(Tasks(cache->Children(T("p", "", "workflow=w.toml"))), (Strings{"any"}));
  // Only the parent's file; no `*`; the child's own task plays no part.
  EXPECT_EQ(Tasks(cache->Children(T("p", "", "workflow=other.toml"))), (Strings{"elsewhere"}));
  EXPECT_TRUE(cache->Children(T("p", "", "workflow=*")).empty());
  EXPECT_EQ(Tasks(cache->Children(T("any", "", "workflow=w.toml"))), (Strings{"grand"}));
  EXPECT_TRUE(cache->Children(T("p:a", "", "workflow=w.toml")).empty());
}

// A duplicate task is stored once (the key is file + task): the first
// phase, whose status names the ignored ones.
TEST_P(PhaseCacheTest, DuplicateTaskIsStoredOnce) {
  Write("w.toml",
        "[[phase]]\ntask = \"p\"\nrule = \"cron=0 * * * *\"\n"
        "[[phase]]\ntask = \"c\"\ndependsOn = \"p\"\ntemplate = \"first\"\n"
        "[[phase]]\ntask = \"c\"\ndependsOn = \"p\"\ntemplate = \"second\"\n");
  auto cache = Open(Root());
  Refresh(*cache);
  const std::vector<Phase> children = cache->Children(T("p", "", "workflow=w.toml"));
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(children[0].template_text, "first");
  EXPECT_EQ(children[0].status, "duplicate task: c (ignored at line 8)");
  EXPECT_EQ(Stored()[0].phases.size(), 2u);
}

TEST_P(PhaseCacheTest, StatusesAreStored) {
  Write("w.toml",
        "[[phase]]\ntask = \"a\"\ndependsOn = \"b\"\n"
        "[[phase]]\ntask = \"b\"\ndependsOn = \"a\"\nretry = 11\n"
        "[[phase]]\ntask = \"c\"\ndependsOn = \"gone\"\n");
  auto cache = Open(Root());
  Refresh(*cache);
  const StoredPhaseFile stored = Stored().at(0);
  ASSERT_EQ(stored.phases.size(), 3u);
  EXPECT_EQ(stored.phases[0].status, "dependency cycle: a -> b -> a");
  EXPECT_EQ(stored.phases[1].status,
            "dependency cycle: b -> a -> b; warning: retry count 11 exceeds recommended limit 10");
  EXPECT_EQ(stored.phases[2].status, "parent task not found: gone");
  EXPECT_EQ(cache->Get(T("c", "", "workflow=w.toml"))->phase.status, "parent task not found: gone");
}

TEST_P(PhaseCacheTest, RetryLimitIsConfigurable) {
  Write("w.toml", "[[phase]]\ntask = \"a\"\nrule = \"files=*\"\nretry = 4\n");
  auto cache = Open(Root(), {.max_retry = 3});
  Refresh(*cache);
  EXPECT_EQ(cache->Files()[0].phases[0].status,
            "warning: retry count 4 exceeds recommended limit 3");
}

TEST_P(PhaseCacheTest, CloseStopsEverything) {
  Write("a.toml", "[[phase]]\ntask = \"a\"\n");
  auto cache = Open(Root());
  Refresh(*cache);
  ASSERT_OK(cache->Close());
  EXPECT_EQ(cache->Search("a", ""), std::nullopt);
  auto report = cache->Refresh();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kConflict);
  EXPECT_EQ(report.status().message(), "phase cache is closed");
  EXPECT_EQ(Stored().size(), 1u);  // closing keeps what is stored
}

// Lookups run while a refresh swaps files in: every answer is one whole
// version of the file.
TEST_P(PhaseCacheTest, LookupsDuringRefresh) {
  const auto version = [](int v) {
    return "[[phase]]\ntask = \"p\"\nrule = \"cron=0 * * * *\"\ntemplate = \"v" +
           std::to_string(v) + "\"\n[[phase]]\ntask = \"c\"\ndependsOn = \"p\"\ntemplate = \"v" +
           std::to_string(v) + "\"\n";
  };
  Write("w.toml", version(0));
  auto cache = Open(Root(), {.clock = &kEpoch});
  Refresh(*cache);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop) {
        auto p = cache->Get(T("p", "", "workflow=w.toml"));
        const std::vector<Phase> children = cache->Children(T("p", "", "workflow=*"));
        auto c = cache->Search("c", "");
        if (!p || !c || !children.empty() || p->phase.template_text.size() < 2) ++bad;
      }
    });
  }
  for (int v = 1; v <= 30; ++v) {
    Write("w.toml", version(v));
    EXPECT_EQ(Refresh(*cache).changed, (Strings{"w.toml"}));
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(cache->Get(T("c", "", "workflow=w.toml"))->phase.template_text, "v30");
}

TEST_P(PhaseCacheTest, OpenFailsOnAStoreError) {
  ASSERT_OK(ConnectionOf(*store_).Query("DROP TABLE phase_entries"));
  auto cache = OpenPhaseCache(store_.get(), Fixtures());
  ASSERT_FALSE(cache.ok());
  EXPECT_NE(cache.status().message().find("reading phase entries"), std::string::npos)
      << cache.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Backends, PhaseCacheTest, ::testing::ValuesIn(test::TestBackends()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace flowsync
