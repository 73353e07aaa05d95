#include "flowsync/sync.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

#include "store/sql_connection.h"
#include "sync/identity.h"
#include "sync/pull.h"
#include "util/memory_file_system.h"
#include "util/test_util.h"
#include "util/uuid.h"

namespace flowsync {
namespace {

std::string N8n(const std::string& name, const std::string& extra_node = "Set") {
  return R"({"name": ")" + name + R"(", "nodes": [
    {"id": "1", "name": "Start", "type": "n8n-nodes-base.manualTrigger", "typeVersion": 1, "position": [0, 0], "parameters": {}},
    {"id": "2", "name": ")" +
         extra_node +
         R"(", "type": "n8n-nodes-base.set", "typeVersion": 3, "position": [200, 0], "parameters": {}}],
  "connections": {"Start": {"main": [[{"node": ")" +
         extra_node + R"(", "type": "main", "index": 0}]]}}})";
}

// The workflow `json` with the n8n id `id`, as an element of an export.
std::string WithId(const std::string& id, const std::string& json) {
  return R"({"id": ")" + id + "\", " + json.substr(1);
}

// What `n8n export:workflow --all --output=FILE` writes.
std::string ArrayExport(const std::vector<std::string>& workflows) {
  std::string out = "[\n";
  for (const std::string& w : workflows) out += (out.size() > 2 ? ",\n" : "") + w;
  return out + "\n]\n";
}

// The same JSON, laid out otherwise (`--pretty`).
std::string Pretty(std::string json) {
  for (size_t at = json.find(", "); at != std::string::npos; at = json.find(", ", at)) {
    json.replace(at, 2, ",\n    ");
  }
  return json;
}

TEST(SyncScopeTest, AScopedSourceHoldsTheWorkflowsOfItsElements) {
  SyncScope scope;
  scope.path = "n8n/all.json";
  EXPECT_TRUE(scope.Contains(Format::kN8n, "n8n/all.json"));
  EXPECT_TRUE(scope.Contains(Format::kN8n, "n8n/all.json#4Qv1"));
  EXPECT_FALSE(scope.Contains(Format::kN8n, "n8n/all.json#4.1"));
  EXPECT_FALSE(scope.Contains(Format::kN8n, "n8n/other.json#4Qv1"));
  scope.format = Format::kPhase;
  EXPECT_FALSE(scope.Contains(Format::kN8n, "n8n/all.json#4Qv1"));
}

class SyncTest : public ::testing::TestWithParam<test::TestBackend> {
 protected:
  void SetUp() override {
    ASSERT_OK(fs_.CreateDirs(root_));
    store_ = Open("db.sqlite");
    if (store_ == nullptr) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
  }

  std::unique_ptr<Store> Open(const std::string& name) {
    std::string dir = db_dir_.path() + "/" + name;
    std::filesystem::create_directories(dir);
    std::string fresh = GetParam().fresh_url(dir);
    if (fresh.empty()) return nullptr;
    auto store = OpenStore(*ParseDatabaseUrl(fresh), {});
    EXPECT_OK(store);
    return std::move(store).value();
  }

  // The tree lives in memory; what is written takes the clock's time.
  void Write(const std::string& rel, const std::string& content) {
    ASSERT_OK(fs_.SetFile(root_ + "/" + rel, content));
  }
  void Remove(const std::string& rel) { ASSERT_OK(fs_.RemoveFile(root_ + "/" + rel)); }
  void Move(const std::string& from, const std::string& to) {
    const std::string target = root_ + "/" + to;
    ASSERT_OK(fs_.CreateDirs(target.substr(0, target.rfind('/'))));
    ASSERT_OK(fs_.Rename(root_ + "/" + from, target, FileSystem::RenameMode::kNoReplace));
  }
  // Reads and listings of `path` fail, as for a file or folder without
  // permission, whoever runs the test.
  void Unreadable(const std::string& path) {
    const auto is_path = [path](const std::string& p) { return p == path; };
    fs_.InjectError(MemoryFileSystem::Op::kRead, is_path, EACCES);
    fs_.InjectError(MemoryFileSystem::Op::kList, is_path, EACCES);
  }

  SyncReport Sync(SyncMode mode = SyncMode::kIncremental, bool dry_run = false,
                  Store* store = nullptr) {
    auto r = TrySync(mode, dry_run, store);
    EXPECT_OK(r);
    return r.ok() ? *r : SyncReport{};
  }

  Result<SyncReport> TrySync(SyncMode mode = SyncMode::kIncremental, bool dry_run = false,
                             Store* store = nullptr, bool force = false) {
    SyncOptions o;
    o.root = root_;
    o.mode = mode;
    o.dry_run = dry_run;
    o.force = force;
    o.prefer = prefer_;
    o.prefer_paths = prefer_paths_;
    o.fs = &fs_;
    o.threads = 2;
    // Pretend the run starts a minute from now, so files just written are
    // not "racily clean" and their signatures are trusted.
    clock_.Advance(60'000);
    o.clock = &clock_;
    return RunSync(store ? *store : *store_, o);
  }

  WorkflowDetail Get(const std::string& path) {
    auto d = store_->catalog().FindWorkflow(path);
    EXPECT_OK(d);
    EXPECT_TRUE(d.ok() && d->has_value()) << path;
    return d.ok() && d->has_value() ? **d : WorkflowDetail{};
  }

  size_t Live() { return store_->catalog().ListWorkflows({})->size(); }

  // An edit made in the database, as a migration or another tool makes it:
  // the workflow at `path` gets n8n content `json` (and `new_path`).
  void EditInDatabase(const std::string& path, const std::string& json,
                      const std::string& new_path = "") {
    auto parsed = ParseSource(SourceContent{Format::kN8n, path, json, {}, {}}, {});
    ASSERT_OK(parsed);
    ASSERT_TRUE(parsed->has_value());
    ASSERT_OK(ConnectionOf(*store_).Query(
        "UPDATE workflows SET content = $1, content_hash = $2, path = $3, "
        "source_sig = '' WHERE path = $4",
        {json, (*parsed)->content_hash, new_path.empty() ? path : new_path, path}));
  }
  void DeleteInDatabase(const std::string& path) {
    ASSERT_OK(ConnectionOf(*store_).Query(
        "UPDATE workflows SET deleted_at = created_at, source_sig = '' WHERE path = $1", {path}));
  }
  // What a sync left at `path`: its content's workflow name, by the stored
  // hash of each candidate content.
  std::string StoredHash(const std::string& path) { return Get(path).summary.content_hash; }
  std::string HashOf(const std::string& json) {
    auto parsed = ParseSource(SourceContent{Format::kN8n, "x.json", json, {}, {}}, {});
    return parsed.ok() && parsed->has_value() ? (*parsed)->content_hash : "";
  }
  // Each change's kind and message.
  static std::vector<std::pair<ChangeKind, std::string>> Outcomes(const SyncReport& r) {
    std::vector<std::pair<ChangeKind, std::string>> out;
    for (const Change& c : r.changes) out.emplace_back(c.kind, c.message);
    return out;
  }

  PullReport Pull(bool dry_run = false, bool keep_deleted = false) {
    PullOptions o;
    o.root = root_;
    o.dry_run = dry_run;
    o.keep_deleted = keep_deleted;
    o.prefer = prefer_;
    o.prefer_paths = prefer_paths_;
    o.fs = &fs_;
    o.threads = 2;
    clock_.Advance(60'000);
    o.clock = &clock_;
    auto r = RunPull(*store_, o);
    EXPECT_OK(r);
    return r.ok() ? *r : PullReport{};
  }
  std::string File(const std::string& rel) {
    auto bytes = fs_.ReadFile(root_ + "/" + rel, 1 << 20);
    return bytes.ok() ? *bytes : "<" + bytes.status().message() + ">";
  }
  bool Exists(const std::string& rel) { return fs_.Lstat(root_ + "/" + rel).ok(); }
  // A pull on one thread through `fs`.
  Result<PullReport> PullThrough(const FileSystem& fs) {
    PullOptions o;
    o.root = root_;
    o.fs = &fs;
    o.threads = 1;
    clock_.Advance(60'000);
    o.clock = &clock_;
    return RunPull(*store_, o);
  }
  static std::vector<std::string> Lines(const PullReport& r) {
    std::vector<std::string> out;
    for (const PullChange& c : r.changes) {
      out.push_back(std::string(PullChangeKindName(c.kind)) + " " + c.path +
                    (c.old_path.empty() ? "" : " <- " + c.old_path) + ": " + c.message);
    }
    return out;
  }

  Prefer prefer_ = Prefer::kNone;
  std::map<std::string, Prefer> prefer_paths_;

  test::TempDir db_dir_;
  const std::string root_ = "/tree";
  ManualClock clock_{1'795'342'500'000};  // 2026-11-22T10:15:00Z
  MemoryFileSystem fs_{&clock_};
  std::unique_ptr<Store> store_;
};

TEST_P(SyncTest, AddsEveryFormatAndIgnoresTheRest) {
  Write("flows/a.json", N8n("A"));
  Write("bundles/b/workflow.json", N8n("B"));
  Write("bundles/b/meta.json", R"({"categories": ["ops"], "author": "me", "extra": 1})");
  Write("bundles/b/README.md", "# B\n");
  Write("bundles/b/nested/ignored.json", N8n("inside a bundle"));
  Write("phases/p.toml", "[[phase]]\ntask = \"t\"\n");
  Write("package.json", R"({"name": "not a workflow"})");
  Write("pyproject.toml", "[tool]\nx = 1\n");
  Write("flowsync.toml", "[sync]\nmax_file_size = \"1MB\"\n");
  Write(".git/x.json", N8n("hidden"));
  Write("notes.txt", "hello");
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.added, 3);
  EXPECT_EQ(r.counts.errors, 0);
  EXPECT_EQ(Get("flows/a.json").summary.format, Format::kN8n);
  WorkflowDetail b = Get("bundles/b");
  EXPECT_EQ(b.summary.format, Format::kBundle);
  EXPECT_EQ(b.summary.categories, std::vector<std::string>{"ops"});
  EXPECT_EQ(b.documentation, "# B\n");
  EXPECT_EQ(Get("phases/p.toml").summary.format, Format::kPhase);
  EXPECT_EQ(Live(), 3u);
}

// A scoped run mirrors only its part of the tree: what is outside is never
// read, missing or deleted, even in full mode.
TEST_P(SyncTest, AScopedRunLeavesTheRestAlone) {
  Write("flows/a.json", N8n("A"));
  Write("phases/p.toml", "[[phase]]\ntask = \"p\"\n");
  Write("phases/q.toml", "[[phase]]\ntask = \"q\"\n");
  Sync();
  Remove("flows/a.json");
  Write("flows/new.json", N8n("New"));
  Write("phases/p.toml", "[[phase]]\ntask = \"p2\"\n");
  Remove("phases/q.toml");

  SyncOptions o;
  o.root = root_;
  o.mode = SyncMode::kFull;
  o.scope.format = Format::kPhase;
  o.fs = &fs_;
  clock_.Advance(60'000);
  o.clock = &clock_;
  auto r = RunSync(*store_, o);
  ASSERT_OK(r);
  EXPECT_EQ(r->counts.updated, 1);
  EXPECT_EQ(r->counts.deleted, 1);
  EXPECT_EQ(r->counts.added, 0);
  EXPECT_EQ(r->scanned, 1);
  EXPECT_EQ(Get("flows/a.json").summary.deleted_at, std::nullopt);
  EXPECT_EQ(Get("phases/p.toml").phases.at(0).task, "p2");

  // One source alone: the tree is not walked.
  Write("phases/p.toml", "[[phase]]\ntask = \"p3\"\n");
  Write("phases/other.toml", "[[phase]]\ntask = \"o\"\n");
  o.scope.path = "phases/p.toml";
  clock_.Advance(60'000);
  // Only the root is listed (the guard rail), no folder below it.
  fs_.InjectError(
      MemoryFileSystem::Op::kList, [this](const std::string& p) { return p != root_; }, EIO);
  r = RunSync(*store_, o);
  fs_.ClearFaults();
  ASSERT_OK(r);
  EXPECT_EQ(r->counts.updated, 1);
  EXPECT_EQ(r->counts.added, 0);
  EXPECT_EQ(Get("phases/p.toml").phases.at(0).task, "p3");
  EXPECT_EQ(Live(), 2u);  // flows/a.json and phases/p.toml
}

TEST_P(SyncTest, IdsDependOnlyOnThePathWhereFirstSeen) {
  Write("flows/a.json", N8n("A"));
  Sync();
  auto other = Open("other.sqlite");
  Sync(SyncMode::kIncremental, false, other.get());
  std::string id = Get("flows/a.json").summary.id;
  EXPECT_EQ(id, UuidV5(kWorkflowIdNamespace, "flows/a.json"));
  EXPECT_EQ((*other->catalog().FindWorkflow("flows/a.json"))->summary.id, id);
}

TEST_P(SyncTest, ContentChangeKeepsPreviousVersionAndLogs) {
  Write("a.json", N8n("A"));
  Sync();
  Write("a.json", N8n("A", "Changed"));
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.updated, 1);
  WorkflowDetail d = Get("a.json");
  EXPECT_EQ(d.summary.version, 2);
  EXPECT_EQ(d.stored_versions, 1);
  auto log = store_->catalog().ReadLog(1, std::nullopt);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(log->at(0).event, SyncEvent::kUpdated);
  EXPECT_NE(log->at(0).old_hash, log->at(0).new_hash);
}

TEST_P(SyncTest, ReformattingIsNotAContentChange) {
  Write("a.json", R"({"nodes": [], "connections": {}, "name": "A"})");
  Sync();
  std::string hash = Get("a.json").summary.content_hash;
  Write("a.json", "{\n  \"name\" : \"A\",\n  \"connections\": {},\n  \"nodes\": [ ]\n}\n");
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.updated, 0);
  EXPECT_EQ(r.counts.unchanged, 1);
  WorkflowDetail d = Get("a.json");
  EXPECT_EQ(d.summary.content_hash, hash);
  EXPECT_EQ(d.summary.version, 1);
  EXPECT_EQ(d.content.substr(0, 3), "{\n ");  // stored text follows the file
}

TEST_P(SyncTest, UnchangedSignatureSkipsTheRead) {
  Write("a.json", N8n("A"));
  Sync();
  // Make the file unreadable: an unchanged signature means it is not read.
  Unreadable(root_ + "/a.json");
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.unchanged, 1);
  EXPECT_EQ(r.counts.errors, 0);
}

TEST_P(SyncTest, RenameKeepsIdAndHistoryInBothModes) {
  Write("a.json", N8n("A"));
  Sync();
  Write("a.json", N8n("A", "v2"));
  Sync();
  std::string id = Get("a.json").summary.id;
  Move("a.json", "moved/a.json");
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.renamed, 1);
  EXPECT_EQ(r.counts.added, 0);
  WorkflowDetail d = Get("moved/a.json");
  EXPECT_EQ(d.summary.id, id);
  EXPECT_EQ(d.stored_versions, 1);
  auto log = store_->catalog().ReadLog(1, std::nullopt);
  EXPECT_EQ(log->at(0).event, SyncEvent::kRenamed);
  EXPECT_EQ(log->at(0).old_path, "a.json");

  Move("moved/a.json", "b.json");
  r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.renamed, 1);
  EXPECT_EQ(r.counts.deleted, 0);
  EXPECT_EQ(Get("b.json").summary.id, id);
}

TEST_P(SyncTest, RenameOfIdenticalCopiesPrefersTheSameFileName) {
  Write("x/one.json", N8n("Same"));
  Write("x/two.json", N8n("Same"));
  Sync();
  std::string one = Get("x/one.json").summary.id;
  std::string two = Get("x/two.json").summary.id;
  Move("x", "y");
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.renamed, 2);
  EXPECT_EQ(Get("y/one.json").summary.id, one);
  EXPECT_EQ(Get("y/two.json").summary.id, two);
}

TEST_P(SyncTest, NewFileAtARenamedPathGetsAFreshId) {
  Write("a.json", N8n("A"));
  Sync();
  std::string first = Get("a.json").summary.id;
  Move("a.json", "b.json");
  Sync();
  Write("a.json", N8n("Another", "Other"));
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.added, 1);
  std::string second = Get("a.json").summary.id;
  EXPECT_NE(second, first);
  EXPECT_EQ(second, UuidV5(kWorkflowIdNamespace, "a.json#2"));
}

TEST_P(SyncTest, IncrementalKeepsMissingFullDeletesAndReturnRestores) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B", "Other"));
  Sync();
  Remove("a.json");
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.deleted, 0);
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].kind, ChangeKind::kMissing);
  EXPECT_EQ(Live(), 2u);

  r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.deleted, 1);
  EXPECT_EQ(Live(), 1u);
  WorkflowDetail gone = Get("a.json");
  EXPECT_TRUE(gone.summary.deleted_at.has_value());

  Write("a.json", N8n("A", "Changed while away"));
  r = Sync();  // incremental restores too
  EXPECT_EQ(r.counts.restored, 1);
  WorkflowDetail back = Get("a.json");
  EXPECT_FALSE(back.summary.deleted_at.has_value());
  EXPECT_EQ(back.summary.id, gone.summary.id);
  EXPECT_EQ(back.summary.version, 2);
  EXPECT_EQ(Live(), 2u);
}

TEST_P(SyncTest, MassDeletionNeedsForce) {
  for (int i = 0; i < 30; ++i) {
    Write("f" + std::to_string(i) + ".json", N8n("W", "N" + std::to_string(i)));
  }
  Sync();
  for (int i = 0; i < 16; ++i) Remove("f" + std::to_string(i) + ".json");
  auto refused = TrySync(SyncMode::kFull);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kConflict);
  EXPECT_NE(refused.status().message().find("would delete 16 of 30 workflows"), std::string::npos);
  EXPECT_EQ(Live(), 30u);
  EXPECT_EQ(store_->catalog().LastRun()->value().id, 1);  // the refused run left no trace

  auto forced = TrySync(SyncMode::kFull, false, nullptr, /*force=*/true);
  ASSERT_OK(forced);
  EXPECT_EQ(forced->counts.deleted, 16);
  EXPECT_EQ(Live(), 14u);
}

TEST_P(SyncTest, HalfOrTenAreNotMassDeletion) {
  for (int i = 0; i < 30; ++i) {
    Write("f" + std::to_string(i) + ".json", N8n("W", "N" + std::to_string(i)));
  }
  Sync();
  for (int i = 0; i < 15; ++i) Remove("f" + std::to_string(i) + ".json");
  EXPECT_EQ(Sync(SyncMode::kFull).counts.deleted, 15);  // exactly half: allowed
}

TEST_P(SyncTest, SmallTreesMayLoseMoreThanHalf) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B", "X"));
  Sync();
  Remove("a.json");
  Remove("b.json");
  // Not more than 10: allowed.
  EXPECT_EQ(Sync(SyncMode::kFull).counts.deleted, 2);
}

TEST_P(SyncTest, MissingRootIsRefused) {
  Write("a.json", N8n("A"));
  Sync();
  ASSERT_OK(fs_.RemoveAll(root_));
  for (SyncMode mode : {SyncMode::kIncremental, SyncMode::kFull}) {
    auto r = TrySync(mode);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kConflict);
    EXPECT_NE(r.status().message().find("is missing or unreadable"), std::string::npos);
  }
  EXPECT_EQ(Live(), 1u);
}

TEST_P(SyncTest, UnreadableRootIsRefused) {
  Unreadable(root_);
  auto r = TrySync(SyncMode::kFull);
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
}

TEST_P(SyncTest, DryRunWritesNothing) {
  Write("a.json", N8n("A"));
  SyncReport r = Sync(SyncMode::kIncremental, /*dry_run=*/true);
  EXPECT_EQ(r.counts.added, 1);
  EXPECT_EQ(r.run_id, 0);
  ASSERT_EQ(r.changes.size(), 1u);
  EXPECT_EQ(r.changes[0].kind, ChangeKind::kAdded);
  EXPECT_EQ(Live(), 0u);
  EXPECT_FALSE(store_->catalog().LastRun()->has_value());
}

TEST_P(SyncTest, BrokenFileKeepsLastGoodVersion) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B", "X"));
  Sync();
  std::string hash = Get("a.json").summary.content_hash;
  Write("a.json", R"({"name": "A", "nodes": [)");
  Write("b.json", N8n("B", "Y"));
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.errors, 1);
  EXPECT_EQ(r.counts.updated, 1);  // the rest of the run goes on
  EXPECT_EQ(Get("a.json").summary.content_hash, hash);
  auto log = store_->catalog().ReadLog(0, std::nullopt);
  bool error_logged = false;
  for (const LogRecord& l : *log) {
    if (l.event == SyncEvent::kError && l.path == "a.json") {
      error_logged = true;
      EXPECT_EQ(l.workflow_id, Get("a.json").summary.id);
      EXPECT_EQ(l.message.rfind("a.json:", 0), 0u) << l.message;
    }
  }
  EXPECT_TRUE(error_logged);
  // Still an error next time, since the file was not stored.
  EXPECT_EQ(Sync().counts.errors, 1);
}

// PostgreSQL's text cannot hold bytes that are not UTF-8: such a file name
// is stored as its path text on both backends alike, and later runs go on.
TEST_P(SyncTest, NamesThatAreNotUtf8AreStoredAsPathText) {
  Write("caf\xe9/a\xff.json", N8n("Latin-1"));
  Write("ctl\n\x1b.json", N8n("Control"));
  Write("good.json", N8n("Good"));
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.added, 3);
  EXPECT_EQ(r.counts.errors, 0);
  const std::string text = "caf\\xe9/a\\xff.json";
  WorkflowDetail odd = Get(text);
  EXPECT_EQ(odd.summary.path, text);
  EXPECT_EQ(odd.summary.id, UuidV5(kWorkflowIdNamespace, text));
  EXPECT_EQ(Get("caf\xe9/a\xff.json").summary.id, odd.summary.id);  // the bytes find it too
  EXPECT_EQ(Get("ctl\n\x1b.json").summary.name, "Control");
  EXPECT_EQ(Sync().counts.unchanged, 3);
  Write("caf\xe9/a\xff.json", N8n("Latin-1", "Y"));
  EXPECT_EQ(Sync().counts.updated, 1);
  EXPECT_EQ(Get(text).summary.version, 2);
}

// PostgreSQL's text cannot hold NUL: one in a stored field is a per-file
// error on both backends alike, one in the parameters is kept in the
// content; the rest of the run is stored and later runs go on.
TEST_P(SyncTest, NulInAStoredFieldIsAPerFileError) {
  const std::string nul_param =
      R"({"name": "P", "nodes": [{"parameters": {"x": "\u0000"}}], "connections": {}})";
  Write("nul-param.json", nul_param);
  Write("nul-name.json", R"({"name": "N\u0000", "nodes": [], "connections": {}})");
  Write("good.json", N8n("Good"));
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.added, 2);
  ASSERT_EQ(r.counts.errors, 1);
  for (const Change& c : r.changes) {
    if (c.kind != ChangeKind::kError) continue;
    EXPECT_EQ(c.path, "nul-name.json");
    EXPECT_EQ(c.message,
              "nul-name.json:1:10: 'name' holds a NUL character (\\u0000), which PostgreSQL "
              "cannot store");
  }
  EXPECT_EQ(Get("nul-param.json").content, nul_param);
  SyncReport again = Sync();
  EXPECT_EQ(again.counts.unchanged, 2);
  EXPECT_EQ(again.counts.errors, 1);
  Write("nul-name.json", N8n("N"));
  SyncReport fixed = Sync();
  EXPECT_EQ(fixed.counts.added, 1);
  EXPECT_EQ(fixed.counts.errors, 0);
}

TEST_P(SyncTest, WorkflowTurnedIntoOtherJsonIsAnError) {
  Write("a.json", N8n("A"));
  Sync();
  Write("a.json", R"({"just": "data"})");
  SyncReport r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.errors, 1);
  EXPECT_EQ(r.counts.deleted, 0);
  EXPECT_FALSE(Get("a.json").summary.deleted_at.has_value());
}

TEST_P(SyncTest, UnreadableFileIsAPerFileError) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B", "X"));
  Unreadable(root_ + "/a.json");
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.errors, 1);
  EXPECT_EQ(r.counts.added, 1);
  ASSERT_EQ(r.changes[0].kind, ChangeKind::kError);
  EXPECT_NE(r.changes[0].message.find("Permission denied"), std::string::npos);
}

TEST_P(SyncTest, UnreadableFolderDoesNotDeleteWhatIsBelowIt) {
  Write("team/a.json", N8n("A"));
  Write("b.json", N8n("B", "X"));
  Sync();
  Unreadable(root_ + "/team");
  SyncReport r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.deleted, 0);
  EXPECT_EQ(r.counts.errors, 1);
  EXPECT_EQ(Live(), 2u);
}

TEST_P(SyncTest, SymlinkedFoldersAreNotFollowedAndLoopsAreErrors) {
  Write("a/x.json", N8n("X"));
  ASSERT_OK(fs_.SetSymlink(root_ + "/a/up", ".."));
  ASSERT_OK(fs_.SetSymlink(root_ + "/self", root_));
  ASSERT_OK(fs_.SetSymlink(root_ + "/loop1.json", "loop2.json"));
  ASSERT_OK(fs_.SetSymlink(root_ + "/loop2.json", "loop1.json"));
  ASSERT_OK(fs_.SetSymlink(root_ + "/link.json", "a/x.json"));  // files are read
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.added, 2);
  EXPECT_EQ(r.counts.errors, 2);
  for (const Change& c : r.changes) {
    if (c.kind == ChangeKind::kError) {
      EXPECT_NE(c.message.find("symbolic link loop"), std::string::npos) << c.message;
    }
  }
  EXPECT_EQ(Live(), 2u);
}

TEST_P(SyncTest, RacilyCleanFilesAreHashedAgain) {
  Write("a.json", N8n("A"));
  SyncOptions o;
  o.root = root_;
  o.fs = &fs_;
  // The run "starts" before the file's mtime: its signature is not trusted.
  const ManualClock epoch(0);
  o.clock = &epoch;
  ASSERT_OK(RunSync(*store_, o));
  auto txn = store_->BeginSync(true);
  ASSERT_OK(txn);
  auto index = (*txn)->LoadIndex();
  ASSERT_OK(index);
  ASSERT_EQ(index->size(), 1u);
  EXPECT_EQ(index->at(0).source_sig, "");
}

TEST_P(SyncTest, SourceIdDuplicatesAreKeptWithWarnings) {
  Write("a.json", R"({"id": "1", "name": "A", "nodes": [], "connections": {}})");
  Write("b.json", R"({"id": "1", "name": "B", "nodes": [], "connections": {}})");
  Sync();
  WorkflowDetail a = Get("a.json");
  WorkflowDetail b = Get("b.json");
  EXPECT_NE(a.summary.id, b.summary.id);
  EXPECT_EQ(a.summary.source_id, "1");
  ASSERT_EQ(a.findings.size(), 1u);
  EXPECT_EQ(a.findings[0].code, "duplicate-source-id");
  // Deleting one clears the other's warning.
  Remove("b.json");
  Sync(SyncMode::kFull);
  EXPECT_TRUE(Get("a.json").findings.empty());
}

TEST_P(SyncTest, BundleMemberChangesAreContentChanges) {
  Write("b/workflow.json", N8n("B"));
  Sync();
  Write("b/README.md", "# now documented\n");
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.updated, 1);
  EXPECT_EQ(Get("b").documentation, "# now documented\n");
}

std::vector<std::pair<ChangeKind, std::string>> Changes(const SyncReport& r) {
  std::vector<std::pair<ChangeKind, std::string>> out;
  for (const Change& c : r.changes) out.emplace_back(c.kind, c.path);
  return out;
}

TEST_P(SyncTest, AnArrayExportIsOneWorkflowPerElement) {
  const std::string a = WithId("a", N8n("A")), b = WithId("b", N8n("B", "X")),
                    c = WithId("c", N8n("C", "Y"));
  Write("n8n/all.json", ArrayExport({a, b, c}));
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.added, 3);
  EXPECT_EQ(r.counts.errors, 0);
  EXPECT_TRUE(r.ignored.empty());
  EXPECT_EQ(r.scanned, 1);
  EXPECT_EQ(Changes(r), (std::vector<std::pair<ChangeKind, std::string>>{
                            {ChangeKind::kAdded, "n8n/all.json#a"},
                            {ChangeKind::kAdded, "n8n/all.json#b"},
                            {ChangeKind::kAdded, "n8n/all.json#c"}}));
  WorkflowDetail stored_a = Get("n8n/all.json#a");
  EXPECT_EQ(stored_a.summary.id, UuidV5(kWorkflowIdNamespace, "n8n/all.json#a"));
  EXPECT_EQ(stored_a.summary.name, "A");
  EXPECT_EQ(stored_a.summary.format, Format::kN8n);
  EXPECT_EQ(stored_a.summary.source_id, "a");
  EXPECT_EQ(stored_a.content, a);
  auto id = IdForPath(store_.get(), kDefaultProject, "n8n/all.json#b");
  ASSERT_OK(id);
  EXPECT_EQ(*id, Get("n8n/all.json#b").summary.id);

  // The same file again: one signature for all, none is read.
  Unreadable(root_ + "/n8n/all.json");
  r = Sync();
  fs_.ClearFaults();
  EXPECT_EQ(r.counts.unchanged, 3);
  EXPECT_EQ(r.counts.errors, 0);
  EXPECT_TRUE(r.changes.empty());

  // One element edited: the file is read once, that one is updated.
  const std::string b2 = WithId("b", N8n("B", "X2"));
  Write("n8n/all.json", ArrayExport({a, b2, c}));
  r = Sync();
  EXPECT_EQ(r.counts.updated, 1);
  EXPECT_EQ(r.counts.unchanged, 2);
  EXPECT_EQ(
      Changes(r),
      (std::vector<std::pair<ChangeKind, std::string>>{{ChangeKind::kUpdated, "n8n/all.json#b"}}));
  EXPECT_EQ(Get("n8n/all.json#b").summary.version, 2);
  EXPECT_EQ(Get("n8n/all.json#b").content, b2);

  // One element removed: missing, then deleted by a full sync.
  Write("n8n/all.json", ArrayExport({a, b2}));
  r = Sync();
  EXPECT_EQ(
      Changes(r),
      (std::vector<std::pair<ChangeKind, std::string>>{{ChangeKind::kMissing, "n8n/all.json#c"}}));
  EXPECT_EQ(r.counts.unchanged, 2);
  EXPECT_EQ(Live(), 3u);
  r = Sync(SyncMode::kFull);
  EXPECT_EQ(
      Changes(r),
      (std::vector<std::pair<ChangeKind, std::string>>{{ChangeKind::kDeleted, "n8n/all.json#c"}}));
  EXPECT_EQ(Live(), 2u);
  EXPECT_TRUE(Get("n8n/all.json#c").summary.deleted_at.has_value());
  // The deleted one does not make the unchanged file read again.
  Unreadable(root_ + "/n8n/all.json");
  r = Sync(SyncMode::kFull);
  fs_.ClearFaults();
  EXPECT_EQ(r.counts.unchanged, 2);
  EXPECT_TRUE(r.changes.empty());

  // Back in the export: restored, with its id.
  Write("n8n/all.json", ArrayExport({a, b2, c}));
  r = Sync();
  EXPECT_EQ(
      Changes(r),
      (std::vector<std::pair<ChangeKind, std::string>>{{ChangeKind::kRestored, "n8n/all.json#c"}}));
  EXPECT_EQ(Live(), 3u);
}

TEST_P(SyncTest, AnElementWhoseIdChangesIsAnotherWorkflow) {
  Write("all.json", ArrayExport({WithId("a", N8n("A")), WithId("b", N8n("B", "X"))}));
  Sync();
  // The id is part of the content: nothing to match a rename by.
  Write("all.json", ArrayExport({WithId("a", N8n("A")), WithId("z", N8n("B", "X"))}));
  SyncReport r = Sync(SyncMode::kFull);
  EXPECT_EQ(Changes(r),
            (std::vector<std::pair<ChangeKind, std::string>>{{ChangeKind::kDeleted, "all.json#b"},
                                                             {ChangeKind::kAdded, "all.json#z"}}));
}

// n8n's two layouts of the same workflows, one array or a file per
// workflow (`--backup`, pretty-printed): a move from one to the other is a
// rename by content, which keeps ids and history.
TEST_P(SyncTest, SwitchingBetweenExportLayoutsKeepsIds) {
  const std::string a = WithId("a", N8n("A")), b = WithId("b", N8n("B", "X"));
  Write("n8n/all.json", ArrayExport({a, b}));
  Sync();
  const std::string id_a = Get("n8n/all.json#a").summary.id;
  const std::string id_b = Get("n8n/all.json#b").summary.id;

  Remove("n8n/all.json");
  Write("n8n/backup/a.json", Pretty(a));
  Write("n8n/backup/b.json", Pretty(b));
  SyncReport r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.renamed, 2);
  EXPECT_EQ(r.counts.added + r.counts.deleted + r.counts.updated, 0);
  EXPECT_EQ(Get("n8n/backup/a.json").summary.id, id_a);
  EXPECT_EQ(Get("n8n/backup/b.json").summary.id, id_b);
  EXPECT_EQ(Get("n8n/backup/a.json").summary.version, 1);

  Remove("n8n/backup/a.json");
  Remove("n8n/backup/b.json");
  Write("n8n/all.json", ArrayExport({b, a}));
  r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.renamed, 2);
  EXPECT_EQ(Get("n8n/all.json#a").summary.id, id_a);
}

TEST_P(SyncTest, AFileThatBecomesAnArrayExportKeepsItsWorkflow) {
  const std::string x = WithId("x", N8n("A"));
  Write("a.json", x);
  Sync();
  const std::string id = Get("a.json").summary.id;
  Write("a.json", ArrayExport({x, WithId("y", N8n("B", "Z"))}));
  SyncReport r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.renamed, 1);
  EXPECT_EQ(r.counts.added, 1);
  EXPECT_EQ(r.counts.deleted, 0);
  EXPECT_EQ(Get("a.json#x").summary.id, id);
  ASSERT_EQ(r.changes.size(), 2u);
  EXPECT_EQ(r.changes[0].old_path, "a.json");
}

TEST_P(SyncTest, ABrokenElementIsAnErrorOfItsOwn) {
  const std::string a = R"({"id": "a", "name": "A", "nodes": [], "connections": {}})";
  const std::string b = R"({"id": "b", "name": "B", "nodes": [], "connections": {}})";
  const std::string b_broken = R"({"id": "b", "name": "B", "connections": {}})";
  const std::string c = R"({"id": "c", "name": "C", "nodes": [], "connections": {}})";
  Write("all.json", ArrayExport({a, b_broken, c}));
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.added, 2);
  EXPECT_EQ(r.counts.errors, 1);
  ASSERT_EQ(Changes(r),
            (std::vector<std::pair<ChangeKind, std::string>>{{ChangeKind::kAdded, "all.json#a"},
                                                             {ChangeKind::kError, "all.json#b"},
                                                             {ChangeKind::kAdded, "all.json#c"}}));
  EXPECT_EQ(r.changes[1].message, "all.json#b:3:1: missing 'nodes'");
  EXPECT_EQ(r.changes[1].code, StatusCode::kCorruption);

  // The file is read again, and the error reported again, until it is fixed.
  r = Sync();
  EXPECT_EQ(r.counts.errors, 1);
  EXPECT_EQ(r.counts.unchanged, 2);
  Write("all.json", ArrayExport({a, b, c}));
  r = Sync();
  EXPECT_EQ(Changes(r),
            (std::vector<std::pair<ChangeKind, std::string>>{{ChangeKind::kAdded, "all.json#b"}}));
  const std::string hash = Get("all.json#b").summary.content_hash;

  // Broken after it was stored: its last good version stays, in full mode too.
  Write("all.json", ArrayExport({a, b_broken, c}));
  r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.errors, 1);
  EXPECT_EQ(r.counts.deleted, 0);
  WorkflowDetail kept = Get("all.json#b");
  EXPECT_EQ(kept.summary.content_hash, hash);
  EXPECT_FALSE(kept.summary.deleted_at.has_value());
  auto log = store_->catalog().ReadLog(0, std::nullopt);
  ASSERT_OK(log);
  EXPECT_EQ(log->front().event, SyncEvent::kError);
  EXPECT_EQ(log->front().workflow_id, kept.summary.id);
}

// A NUL in a workflow's name cannot be stored on PostgreSQL: on either
// backend that workflow alone is refused, the rest of its export stored.
TEST_P(SyncTest, ANulInAWorkflowOfAnArrayExportRefusesThatOne) {
  const std::string a = R"({"id": "a", "name": "A", "nodes": [], "connections": {}})";
  const std::string b = R"({"id": "b", "name": "B\u0000", "nodes": [], "connections": {}})";
  Write("all.json", ArrayExport({a, b}));
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.added, 1);
  ASSERT_EQ(Changes(r),
            (std::vector<std::pair<ChangeKind, std::string>>{{ChangeKind::kAdded, "all.json#a"},
                                                             {ChangeKind::kError, "all.json#b"}}));
  EXPECT_EQ(r.changes[1].message,
            "all.json#b:3:21: 'name' holds a NUL character (\\u0000), which PostgreSQL cannot "
            "store");
  EXPECT_EQ(Live(), 1u);
}

TEST_P(SyncTest, IgnoredFilesAreListedWithWhy) {
  Write("a.json", N8n("A"));
  Write("package.json", R"({"name": "x"})");
  Write("data.json", "[1, 2]");
  Write("pyproject.toml", "[tool]\nx = 1\n");
  const std::vector<IgnoredSource> ignored = {
      {"data.json",
       R"(not an n8n workflow (an array, and none of its elements has "nodes" or "connections"))"},
      {"package.json", R"(not an n8n workflow (no top-level "nodes" or "connections"))"},
      {"pyproject.toml", "not a phase file (no [[phase]] tables)"},
  };
  EXPECT_EQ(Sync(SyncMode::kIncremental, /*dry_run=*/true).ignored, ignored);
  SyncReport r = Sync();
  EXPECT_EQ(r.ignored, ignored);
  EXPECT_EQ(r.counts.added, 1);
  EXPECT_EQ(r.counts.errors, 0);
  // Nothing is stored for them: every run reads and lists them again.
  r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.ignored, ignored);
  EXPECT_EQ(r.counts.unchanged, 1);
  EXPECT_EQ(Live(), 1u);
}

TEST_P(SyncTest, AnArrayExportTurnedIntoOtherJsonKeepsItsWorkflows) {
  Write("all.json", ArrayExport({WithId("a", N8n("A")), WithId("b", N8n("B", "X"))}));
  Sync();
  Write("all.json", "[]");
  SyncReport r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.deleted, 0);
  EXPECT_EQ(r.counts.errors, 2);
  EXPECT_TRUE(r.ignored.empty());
  ASSERT_EQ(r.changes.size(), 2u);
  EXPECT_EQ(r.changes[0].path, "all.json#a");
  EXPECT_EQ(r.changes[0].message,
            "all.json#a: all.json no longer holds n8n workflows; the stored version is kept "
            "(delete the file to delete its workflows)");
  EXPECT_EQ(Live(), 2u);
}

TEST_P(SyncTest, AnElementAtThePathOfAnotherSourceIsAnError) {
  Write("all.json", ArrayExport({WithId("a", N8n("A"))}));
  Write("all.json#a/workflow.json", N8n("Bundle"));
  SyncReport r = Sync();
  EXPECT_EQ(Changes(r),
            (std::vector<std::pair<ChangeKind, std::string>>{{ChangeKind::kError, "all.json#a"},
                                                             {ChangeKind::kAdded, "all.json#a"}}));
  EXPECT_EQ(r.changes[0].message,
            "all.json#a: names both a workflow of all.json and a source on disk; rename one of "
            "them");
  EXPECT_EQ(Get("all.json#a").summary.format, Format::kBundle);
}

// ---- Three-way: the base both sides last agreed on ---------------------------

TEST_P(SyncTest, AnEditInTheDatabaseIsKeptAndReported) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B"));
  Sync();
  EditInDatabase("a.json", N8n("A", "Edited"));
  for (SyncMode mode : {SyncMode::kIncremental, SyncMode::kFull}) {
    SyncReport r = Sync(mode);
    EXPECT_EQ(r.counts.updated, 0);
    EXPECT_EQ(r.counts.database_changed, 1);
    EXPECT_EQ(r.counts.conflicts, 0);
    EXPECT_EQ(r.counts.unchanged, 1);
    using P = std::pair<ChangeKind, std::string>;
    EXPECT_EQ(Outcomes(r),
              (std::vector<P>{{ChangeKind::kDatabaseChanged, "edited in the database"}}));
    EXPECT_EQ(StoredHash("a.json"), HashOf(N8n("A", "Edited")));
  }
  EXPECT_EQ(Get("a.json").summary.version, 1);
}

TEST_P(SyncTest, AKeptEditIsNotReadAgainByTheNextRun) {
  Write("a.json", N8n("A"));
  Sync();
  EditInDatabase("a.json", N8n("A", "Edited"));  // as a migration: the signature is cleared
  SyncOptions o;
  o.root = root_;
  o.fs = &fs_;
  o.clock = &clock_;
  clock_.Advance(60'000);
  EXPECT_TRUE(*SourcesChanged(*store_, o));
  EXPECT_EQ(Sync().counts.database_changed, 1);
  // The file still holds the base: its signature is stored again, so the
  // next run decides it without reading it.
  EXPECT_FALSE(*SourcesChanged(*store_, o));
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.database_changed, 1);
  EXPECT_EQ(r.counts.unchanged, 0);
}

TEST_P(SyncTest, AnEditInTheFilesStillGoesIn) {
  Write("a.json", N8n("A"));
  Sync();
  Write("a.json", N8n("A", "Edited"));
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.updated, 1);
  EXPECT_EQ(r.counts.database_changed + r.counts.conflicts, 0);
  // The new content is the base now: an edit in the database after it is
  // the database's, not a conflict.
  EditInDatabase("a.json", N8n("A", "Third"));
  r = Sync();
  EXPECT_EQ(r.counts.database_changed, 1);
  EXPECT_EQ(r.counts.conflicts, 0);
}

TEST_P(SyncTest, AnEditOnBothSidesIsAConflictThatTouchesNeither) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B"));
  Sync();
  EditInDatabase("a.json", N8n("A", "InDatabase"));
  Write("a.json", N8n("A", "InFiles"));
  Write("b.json", N8n("B", "InFiles"));
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.conflicts, 1);
  EXPECT_EQ(r.counts.updated, 1);  // b.json, changed in the files only
  using P = std::pair<ChangeKind, std::string>;
  EXPECT_EQ(Outcomes(r), (std::vector<P>{{ChangeKind::kConflict,
                                          "a.json: edited in the files and edited in "
                                          "the database"},
                                         {ChangeKind::kUpdated, ""}}));
  EXPECT_EQ(StoredHash("a.json"), HashOf(N8n("A", "InDatabase")));
  EXPECT_EQ(Get("a.json").summary.version, 1);
  // Again: still a conflict, still nothing written.
  EXPECT_EQ(Sync().counts.conflicts, 1);
  EXPECT_EQ(StoredHash("a.json"), HashOf(N8n("A", "InDatabase")));
}

TEST_P(SyncTest, PreferFilesStoresTheFileAndPreferDatabaseKeepsTheDatabase) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B"));
  Sync();
  EditInDatabase("a.json", N8n("A", "InDatabase"));
  EditInDatabase("b.json", N8n("B", "InDatabase"));
  Write("a.json", N8n("A", "InFiles"));
  Write("b.json", N8n("B", "InFiles"));
  prefer_ = Prefer::kDatabase;
  prefer_paths_["a.json"] = Prefer::kFiles;
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.conflicts, 0);
  EXPECT_EQ(r.counts.updated, 1);
  EXPECT_EQ(r.counts.database_changed, 1);
  EXPECT_EQ(StoredHash("a.json"), HashOf(N8n("A", "InFiles")));
  EXPECT_EQ(Get("a.json").summary.version, 2);  // the database's edit is a version
  EXPECT_EQ(StoredHash("b.json"), HashOf(N8n("B", "InDatabase")));
  prefer_ = Prefer::kNone;
  prefer_paths_.clear();
  r = Sync();
  EXPECT_EQ(r.counts.conflicts, 1);  // b.json: until one side gives way
  EXPECT_EQ(r.counts.database_changed, 0);
}

TEST_P(SyncTest, TheSameEditOnBothSidesConverges) {
  Write("a.json", N8n("A"));
  Sync();
  EditInDatabase("a.json", N8n("A", "Same"));
  Write("a.json", N8n("A", "Same"));
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.conflicts + r.counts.database_changed + r.counts.updated, 0);
  EXPECT_EQ(r.counts.unchanged, 1);
  // Agreed: the next edit in the files is the files' own.
  Write("a.json", N8n("A", "Next"));
  EXPECT_EQ(Sync().counts.updated, 1);
}

TEST_P(SyncTest, ADeletionInTheDatabaseIsKeptUnlessTheFileChanged) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B"));
  Sync();
  DeleteInDatabase("a.json");
  DeleteInDatabase("b.json");
  Write("b.json", N8n("B", "Edited"));
  SyncReport r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.restored, 0);
  EXPECT_EQ(r.counts.database_changed, 1);
  EXPECT_EQ(r.counts.conflicts, 1);
  using P = std::pair<ChangeKind, std::string>;
  EXPECT_EQ(Outcomes(r),
            (std::vector<P>{{ChangeKind::kDatabaseChanged, "deleted in the database"},
                            {ChangeKind::kConflict,
                             "b.json: edited in the files and deleted in the database"}}));
  EXPECT_EQ(Live(), 0u);
  prefer_ = Prefer::kFiles;
  r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.restored, 1);
  EXPECT_EQ(Live(), 1u);
}

TEST_P(SyncTest, ADeletionByASyncIsNoDatabaseChange) {
  Write("a.json", N8n("A"));
  Sync();
  Remove("a.json");
  EXPECT_EQ(Sync(SyncMode::kFull).counts.deleted, 1);
  Write("a.json", N8n("A"));  // back: restored, as before there was a base
  SyncReport r = Sync();
  EXPECT_EQ(r.counts.restored, 1);
  EXPECT_EQ(r.counts.database_changed, 0);
}

TEST_P(SyncTest, AFileDeletedWhileTheDatabaseEditedItIsAConflict) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B"));
  Sync();
  EditInDatabase("a.json", N8n("A", "InDatabase"));
  Remove("a.json");
  SyncReport r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.deleted, 0);
  EXPECT_EQ(r.counts.conflicts, 1);
  EXPECT_EQ(r.changes.at(0).message, "a.json: deleted in the files and edited in the database");
  EXPECT_EQ(Live(), 2u);
  prefer_ = Prefer::kFiles;
  EXPECT_EQ(Sync(SyncMode::kFull).counts.deleted, 1);
  EXPECT_EQ(Live(), 1u);
}

TEST_P(SyncTest, ARenameInTheDatabaseIsKeptAndEditedFilesConflict) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B"));
  Sync();
  EditInDatabase("a.json", N8n("A"), "moved/a.json");
  EditInDatabase("b.json", N8n("B"), "moved/b.json");
  Write("b.json", N8n("B", "InFiles"));
  SyncReport r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.added + r.counts.deleted + r.counts.renamed, 0);
  EXPECT_EQ(r.counts.database_changed, 1);
  EXPECT_EQ(r.counts.conflicts, 1);
  using P = std::pair<ChangeKind, std::string>;
  EXPECT_EQ(
      Outcomes(r),
      (std::vector<P>{{ChangeKind::kConflict,
                       "b.json: edited in the files and renamed in the database to "
                       "moved/b.json"},
                      {ChangeKind::kDatabaseChanged, "renamed in the database from a.json"}}));
  EXPECT_EQ(Live(), 2u);
  EXPECT_EQ(Get("moved/a.json").summary.path, "moved/a.json");
}

TEST_P(SyncTest, AWorkflowAddedInTheDatabaseIsKept) {
  Write("a.json", N8n("A"));
  Sync();
  ASSERT_OK(ConnectionOf(*store_).Query(
      "UPDATE workflows SET base_hash = '', base_path = '', path = 'new.json' WHERE path = "
      "'a.json'"));
  Write("a.json", N8n("A"));
  Remove("a.json");
  SyncReport r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.deleted, 0);
  EXPECT_EQ(r.counts.database_changed, 1);
  EXPECT_EQ(r.changes.at(0).message, "added in the database");
  // A file of other content at its path: a conflict.
  Write("new.json", N8n("New", "Other"));
  r = Sync(SyncMode::kFull);
  EXPECT_EQ(r.counts.conflicts, 1);
  EXPECT_EQ(r.counts.added, 0);
}

TEST_P(SyncTest, ADryRunAndAPlanSayTheSameAsTheRun) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B"));
  Sync();
  EditInDatabase("a.json", N8n("A", "InDatabase"));
  EditInDatabase("b.json", N8n("B", "InDatabase"));
  Write("b.json", N8n("B", "InFiles"));
  SyncReport dry = Sync(SyncMode::kFull, /*dry_run=*/true);
  SyncReport run = Sync(SyncMode::kFull);
  EXPECT_EQ(Outcomes(dry), Outcomes(run));
  EXPECT_EQ(dry.counts.database_changed, 1);
  EXPECT_EQ(dry.counts.conflicts, 1);
}

TEST_P(SyncTest, RunsAreListedNewestFirstPageByPage) {
  Write("a.json", N8n("A"));
  Sync();
  Write("a.json", N8n("A", "Two"));
  Sync(SyncMode::kFull);
  Write("a.json", N8n("A", "Three"));
  Sync();
  auto ids = [&](int64_t limit, std::optional<int64_t> before) {
    std::vector<int64_t> out;
    auto runs = store_->catalog().ListRuns(limit, before);
    EXPECT_OK(runs);
    if (runs.ok()) {
      for (const RunRecord& r : *runs) out.push_back(r.id);
    }
    return out;
  };
  EXPECT_EQ(ids(2, std::nullopt), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(ids(2, 2), (std::vector<int64_t>{1}));
  EXPECT_EQ(ids(10, 1), std::vector<int64_t>{});
  auto runs = store_->catalog().ListRuns(3, std::nullopt);
  ASSERT_OK(runs);
  EXPECT_EQ((*runs)[1].mode, "full");
  EXPECT_EQ((*runs)[1].counts.updated, 1);
  EXPECT_EQ(store_->catalog().LastRun()->value().id, 3);
}

// ---- Pull: the database's changes into the files ----------------------------

// A file system that edits `path` just before its `nth` read: someone saving
// the file while a pull works.
class EditsBeforeARead final : public FileSystem {
 public:
  EditsBeforeARead(MemoryFileSystem& inner, std::string path, int nth, std::string bytes)
      : inner_(inner), path_(std::move(path)), nth_(nth), bytes_(std::move(bytes)) {}
  Result<FileInfo> Stat(const std::string& p) const override { return inner_.Stat(p); }
  Result<FileInfo> Lstat(const std::string& p) const override { return inner_.Lstat(p); }
  Result<std::vector<DirEntry>> ListDir(const std::string& p) const override {
    return inner_.ListDir(p);
  }
  Result<std::string> ReadFile(const std::string& p, uint64_t max) const override {
    if (p == path_ && ++reads_ == nth_) EXPECT_OK(inner_.SetFile(p, bytes_));
    return inner_.ReadFile(p, max);
  }
  Status CreateDirs(const std::string& p) const override { return inner_.CreateDirs(p); }
  Status WriteNewFile(const std::string& p, std::string_view b, bool sync) const override {
    return inner_.WriteNewFile(p, b, sync);
  }
  Status Rename(const std::string& f, const std::string& t, RenameMode m) const override {
    return inner_.Rename(f, t, m);
  }
  Status RemoveFile(const std::string& p) const override { return inner_.RemoveFile(p); }
  Status SyncDir(const std::string& p) const override { return inner_.SyncDir(p); }
  Status SyncFileSystem(const std::string& p) const override { return inner_.SyncFileSystem(p); }

 private:
  MemoryFileSystem& inner_;
  std::string path_;
  int nth_;
  std::string bytes_;
  mutable int reads_ = 0;
};

TEST_P(SyncTest, PullRefusesToWriteOverAFileEditedWhileItWorks) {
  Write("a.json", N8n("A"));
  Sync();
  EditInDatabase("a.json", N8n("A", "InDatabase"));
  // The plan reads a.json once; the pull's check before writing is the
  // second read.
  EditsBeforeARead fs(fs_, root_ + "/a.json", 2, N8n("A", "SavedMeanwhile"));
  auto r = PullThrough(fs);
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r), std::vector<std::string>{
                           "refused a.json: a.json: changed in the files while pulling; run it "
                           "again"});
  EXPECT_EQ(File("a.json"), N8n("A", "SavedMeanwhile"));
  // Nothing lost: now it is a conflict, which the next sync reports.
  EXPECT_EQ(Sync().counts.conflicts, 1);
}

TEST_P(SyncTest, PullWritesWhatTheDatabaseEditedAndThenBothAgree) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B"));
  Sync();
  EditInDatabase("a.json", N8n("A", "InDatabase"));
  PullReport dry = Pull(/*dry_run=*/true);
  EXPECT_EQ(Lines(dry), std::vector<std::string>{"written a.json: edited in the database"});
  EXPECT_EQ(File("a.json"), N8n("A"));
  PullReport r = Pull();
  EXPECT_EQ(Lines(r), std::vector<std::string>{"written a.json: edited in the database"});
  EXPECT_EQ(File("a.json"), N8n("A", "InDatabase"));  // byte for byte
  SyncReport after = Sync(SyncMode::kFull);
  EXPECT_TRUE(after.changes.empty());
  EXPECT_EQ(after.counts.unchanged, 2);
  EXPECT_EQ(Pull().changes.size(), 0u);
  // Agreed again: the files' next edit is theirs alone.
  Write("a.json", N8n("A", "Next"));
  EXPECT_EQ(Sync().counts.updated, 1);
}

TEST_P(SyncTest, PullMovesRenamesRemovesDeletionsAndAddsNewWorkflows) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B"));
  Write("c.json", N8n("C"));
  Sync();
  EditInDatabase("a.json", N8n("A", "Edited"), "moved/a.json");
  DeleteInDatabase("b.json");
  ASSERT_OK(ConnectionOf(*store_).Query(
      "UPDATE workflows SET base_hash = '', base_path = '', path = 'new/c.json' WHERE path = "
      "'c.json'"));
  Remove("c.json");  // as if the workflow had come from elsewhere
  PullReport r = Pull();
  EXPECT_EQ(Lines(r), (std::vector<std::string>{
                          "removed b.json: deleted in the database",
                          "moved moved/a.json <- a.json: renamed in the database from a.json and "
                          "edited",
                          "written new/c.json: added in the database",
                      }));
  EXPECT_FALSE(Exists("a.json"));
  EXPECT_EQ(File("moved/a.json"), N8n("A", "Edited"));
  EXPECT_FALSE(Exists("b.json"));
  EXPECT_EQ(File("new/c.json"), N8n("C"));
  SyncReport after = Sync(SyncMode::kFull);
  EXPECT_TRUE(after.changes.empty()) << after.changes.size();
  EXPECT_EQ(Live(), 2u);
}

TEST_P(SyncTest, PullKeepsDeletedFilesWhenAsked) {
  Write("a.json", N8n("A"));
  Sync();
  DeleteInDatabase("a.json");
  EXPECT_EQ(Pull(false, /*keep_deleted=*/true).changes.size(), 0u);
  EXPECT_TRUE(Exists("a.json"));
}

TEST_P(SyncTest, PullLeavesConflictsUnlessTheDatabaseIsPreferred) {
  Write("a.json", N8n("A"));
  Sync();
  EditInDatabase("a.json", N8n("A", "InDatabase"));
  Write("a.json", N8n("A", "InFiles"));
  PullReport r = Pull();
  EXPECT_EQ(Lines(r),
            std::vector<std::string>{
                "conflict a.json: a.json: edited in the files and edited in the database"});
  EXPECT_EQ(File("a.json"), N8n("A", "InFiles"));
  prefer_paths_["a.json"] = Prefer::kDatabase;
  r = Pull();
  EXPECT_EQ(r.written, 1);
  EXPECT_EQ(File("a.json"), N8n("A", "InDatabase"));
  prefer_paths_.clear();
  EXPECT_TRUE(Sync().changes.empty());
}

TEST_P(SyncTest, PullRefusesPathsItCannotWriteAndLosesNothing) {
  Write("a.json", N8n("A"));
  Write("b.json", N8n("B"));
  Sync();
  ASSERT_OK(ConnectionOf(*store_).Query(
      "UPDATE workflows SET base_hash = '', base_path = '', path = '../escape.json' WHERE path = "
      "'a.json'"));
  EditInDatabase("b.json", N8n("B"), "taken.json");
  Write("taken.json/notes.txt", "someone's folder");
  PullReport r = Pull();
  EXPECT_EQ(Lines(r), (std::vector<std::string>{
                          "refused ../escape.json: ../escape.json: cannot be written into the "
                          "files: it has a '..' part",
                          "refused taken.json: taken.json: something else is there already; move "
                          "it away, or rename the workflow in the database",
                      }));
  EXPECT_EQ(r.refused, 2);
  EXPECT_EQ(File("taken.json/notes.txt"), "someone's folder");
  EXPECT_EQ(File("b.json"), N8n("B"));
  EXPECT_FALSE(fs_.Lstat("/escape.json").ok());
}

TEST_P(SyncTest, PullWritesABundleAsItsThreeFiles) {
  Write("bundles/b/workflow.json", N8n("B"));
  Write("bundles/b/meta.json", R"({"categories": ["ops"]})");
  Sync();
  ASSERT_OK(ConnectionOf(*store_).Query(
      "UPDATE workflows SET documentation = '# B\n', metadata = '{\"categories\":[\"sales\"]}', "
      "content_hash = 'edited', source_sig = '' WHERE path = 'bundles/b'"));
  // What a pull killed before its renames left behind (no such process now).
  Write("bundles/b/.workflow.json.tmp-999999999-1", "half");
  PullReport r = Pull();
  EXPECT_FALSE(Exists("bundles/b/.workflow.json.tmp-999999999-1"));
  EXPECT_EQ(r.written, 1);
  EXPECT_EQ(File("bundles/b/workflow.json"), N8n("B"));
  // As the database gives it back (PostgreSQL's jsonb spaces it out).
  const std::string meta = File("bundles/b/meta.json");
  EXPECT_TRUE(meta == "{\"categories\":[\"sales\"]}\n" || meta == "{\"categories\": [\"sales\"]}\n")
      << meta;
  EXPECT_EQ(File("bundles/b/README.md"), "# B\n");
}

TEST_P(SyncTest, PullWritesAnArrayExportsWorkflowsIntoTheirFile) {
  // As n8n's export:workflow --all --pretty writes it, plus one of our own.
  const std::string a = WithId("A1", N8n("A"));
  const std::string b = WithId("B1", N8n("B"));
  const std::string c = WithId("C1", N8n("C"));
  Write("all.json", "[\n  " + a + ",\n  " + b + ",\n  " + c + "\n]\n");
  Sync();
  const std::string b2 = WithId("B1", N8n("B", "InDatabase"));
  EditInDatabase("all.json#B1", b2);
  EXPECT_EQ(Lines(Pull(/*dry_run=*/true)),
            std::vector<std::string>{"written all.json#B1: edited in the database"});
  PullReport r = Pull();
  EXPECT_EQ(Lines(r), std::vector<std::string>{"written all.json#B1: edited in the database"});
  // The others byte for byte, and the layout kept.
  EXPECT_EQ(File("all.json"), "[\n  " + a + ",\n  " + b2 + ",\n  " + c + "\n]\n");
  EXPECT_TRUE(Sync(SyncMode::kFull).changes.empty());
  // Deleted in the database: left out, with its separator; first and last
  // too.
  DeleteInDatabase("all.json#A1");
  DeleteInDatabase("all.json#C1");
  EXPECT_EQ(Sync().counts.database_changed, 2);  // the file unchanged: only the rows say so
  r = Pull();
  EXPECT_EQ(Lines(r), (std::vector<std::string>{"removed all.json#A1: deleted in the database",
                                                "removed all.json#C1: deleted in the database"}));
  EXPECT_EQ(File("all.json"), "[\n  " + b2 + "\n]\n");
  EXPECT_TRUE(Sync(SyncMode::kFull).changes.empty());
  EXPECT_EQ(Pull().changes.size(), 0u);
}

TEST_P(SyncTest, PullOfAnArrayExportKeepsTheFilesEdits) {
  const std::string a = WithId("A1", N8n("A"));
  const std::string b = WithId("B1", N8n("B"));
  Write("all.json", "[" + a + "," + b + "]");
  Sync();
  // A edited in both: a conflict, left alone; B edited in the database
  // only: pulled, and the file's edit of A stays.
  const std::string a_files = WithId("A1", N8n("A", "InFiles"));
  Write("all.json", "[" + a_files + "," + b + "]");
  EditInDatabase("all.json#A1", WithId("A1", N8n("A", "InDatabase")));
  const std::string b2 = WithId("B1", N8n("B", "InDatabase"));
  EditInDatabase("all.json#B1", b2);
  PullReport r = Pull();
  EXPECT_EQ(Lines(r),
            (std::vector<std::string>{
                "conflict all.json#A1: all.json#A1: edited in the files and edited in the database",
                "written all.json#B1: edited in the database"}));
  EXPECT_EQ(File("all.json"), "[" + a_files + "," + b2 + "]");
  // Moved into the export in the database: not pulled, said why.
  Write("c.json", N8n("C"));
  Sync();
  EditInDatabase("c.json", WithId("C1", N8n("C")), "all.json#C1");
  r = Pull();
  ASSERT_EQ(r.changes.size(), 2u);
  EXPECT_EQ(r.changes[1].kind, PullChangeKind::kRefused);
  EXPECT_NE(r.changes[1].message.find("a workflow of an n8n array export is pulled when"),
            std::string::npos)
      << r.changes[1].message;
  EXPECT_TRUE(Exists("c.json"));
}

TEST_P(SyncTest, PullRefusesAnArrayExportEditedWhileItWorks) {
  const std::string a = WithId("A1", N8n("A"));
  Write("all.json", "[" + a + "]");
  Sync();
  EditInDatabase("all.json#A1", WithId("A1", N8n("A", "InDatabase")));
  // Read by the plan, then by the staging; saved before the check.
  const std::string saved = "[" + WithId("A1", N8n("A", "SavedMeanwhile")) + "]";
  EditsBeforeARead fs(fs_, root_ + "/all.json", 3, saved);
  auto r = PullThrough(fs);
  ASSERT_OK(r);
  EXPECT_EQ(Lines(*r),
            std::vector<std::string>{"refused all.json#A1: all.json#A1: changed in the files while "
                                     "pulling; run it again"});
  EXPECT_EQ(File("all.json"), saved);
  EXPECT_EQ(Sync().counts.conflicts, 1);
}

TEST_P(SyncTest, PullRecordsTheAgreementAKilledPullLeftUnrecorded) {
  Write("a.json", N8n("A"));
  Sync();
  EditInDatabase("a.json", N8n("A", "InDatabase"));
  // A pull killed after its renames, before recording the base: the file
  // holds the database's side, the base is the old one.
  Write("a.json", N8n("A", "InDatabase"));
  auto base = [&]() {
    auto rows = ConnectionOf(*store_).Query(
        "SELECT CASE WHEN base_hash = content_hash THEN 1 ELSE 0 END FROM workflows WHERE path = "
        "'a.json'");
    EXPECT_OK(rows);
    return rows.ok() && SqlInt((*rows)[0][0]) != 0;
  };
  EXPECT_FALSE(base());
  EXPECT_TRUE(Pull().changes.empty());
  EXPECT_TRUE(base());
  // From there the files' next edit is theirs alone.
  Write("a.json", N8n("A", "Next"));
  EXPECT_EQ(Sync().counts.updated, 1);
}

TEST_P(SyncTest, PullLeavesAFileThatAlreadyHoldsItsBytesAsItIs) {
  Write("bundles/b/workflow.json", N8n("B"));
  Write("bundles/b/README.md", "# B\n");
  Sync();
  ASSERT_OK(ConnectionOf(*store_).Query(
      "UPDATE workflows SET documentation = '# B, edited\n', content_hash = 'edited', "
      "source_sig = '' WHERE path = 'bundles/b'"));
  auto inode = [&](const std::string& key) {
    Result<FileInfo> info = fs_.Lstat(root_ + "/" + key);
    EXPECT_OK(info);
    return info.ok() ? info->inode : 0;
  };
  const uint64_t workflow = inode("bundles/b/workflow.json");
  const uint64_t readme = inode("bundles/b/README.md");
  EXPECT_EQ(Pull().written, 1);
  EXPECT_EQ(File("bundles/b/README.md"), "# B, edited\n");
  EXPECT_NE(inode("bundles/b/README.md"), readme);        // replaced
  EXPECT_EQ(inode("bundles/b/workflow.json"), workflow);  // the same bytes: untouched
}

INSTANTIATE_TEST_SUITE_P(Backends, SyncTest, ::testing::ValuesIn(test::TestBackends()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace flowsync
