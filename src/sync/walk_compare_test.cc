// A sync of the whole tree compares the walk with the stored index streamed
// row by row and plans only what that leaves (CompareWalk, sync_planner.h).
// It must decide exactly as planning against the whole index does: the
// same report (counts, changes, ids, messages) and the same stored state,
// run after run of random edits to the files and to the database.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

#include "flowsync/clock.h"
#include "flowsync/sync.h"
#include "store/sql_connection.h"
#include "sync/sync_planner.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

constexpr int kRounds = 80;

// The random steps' seed: FLOWSYNC_TEST_SEED, to try others, or a fixed one.
unsigned Seed() {
  const char* given = std::getenv("FLOWSYNC_TEST_SEED");
  return given != nullptr ? static_cast<unsigned>(std::strtoul(given, nullptr, 10)) : 20261204u;
}

// One random step after another, applied to a tree that two databases
// mirror: one planned against the whole index, one through the comparison.
class WalkCompareTest : public ::testing::TestWithParam<test::TestBackend> {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      std::string fresh = GetParam().fresh_url(dbs_[i].path());
      if (fresh.empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
      auto store = OpenStore(*ParseDatabaseUrl(fresh), {});
      ASSERT_OK(store);
      stores_[i] = std::move(store).value();
    }
  }

  std::string Root() const { return tree_.path(); }
  bool Exists(const std::string& rel) const { return std::filesystem::exists(Root() + "/" + rel); }

  // Every source of the tree, relative to the root (bundles as folders).
  std::vector<std::string> Sources() const {
    std::vector<std::string> out;
    for (auto it = std::filesystem::recursive_directory_iterator(Root());
         it != std::filesystem::recursive_directory_iterator(); ++it) {
      const std::string rel = std::filesystem::relative(it->path(), Root()).string();
      if (it->is_directory() && std::filesystem::exists(it->path() / "workflow.json")) {
        out.push_back(rel);
        it.disable_recursion_pending();
      } else if (it->is_regular_file() && it->path().extension() == ".json") {
        out.push_back(rel);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string Pick(const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng_)];
  }
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  // The file that holds a source's workflow: itself, or a bundle's main file.
  std::string MainFile(const std::string& source) const {
    return std::filesystem::is_directory(Root() + "/" + source) ? source + "/workflow.json"
                                                                : source;
  }

  std::string NewName() { return "w" + std::to_string(next_++); }

  // One random change to the files or to both databases.
  void Step() {
    std::vector<std::string> sources = Sources();
    const int op = sources.empty() ? 0 : Int(0, 13);
    const std::string folder = "d" + std::to_string(Int(0, 3));
    switch (op) {
      case 0:  // a new file, sometimes with a stored workflow's content
      case 1: {
        const std::string name = Int(0, 2) == 0 ? "same" : NewName();
        tree_.Write(folder + "/" + NewName() + ".json", test::N8nWorkflow(name, Int(1, 3)));
        break;
      }
      case 2: {  // a new bundle
        const std::string bundle = folder + "/" + NewName();
        tree_.Write(bundle + "/workflow.json", test::N8nWorkflow(NewName(), 2));
        if (Int(0, 1)) tree_.Write(bundle + "/meta.json", "{}");
        break;
      }
      case 3:  // an array export
        tree_.Write(folder + "/" + NewName() + ".json",
                    "[" + test::N8nWorkflow(NewName(), 1, "e" + std::to_string(next_)) + ", " +
                        test::N8nWorkflow(NewName(), 2, "f" + std::to_string(next_)) + "]");
        break;
      case 4:  // an edit
        tree_.Write(MainFile(Pick(sources)), test::N8nWorkflow(NewName(), Int(1, 3)));
        break;
      case 5: {  // the same content in other text: a refresh
        const std::string file = MainFile(Pick(sources));
        tree_.Write(file, tree_.Read(file) + "\n\n");
        break;
      }
      case 6: {  // a rename or move, across folders too
        const std::string from = Pick(sources);
        const std::string to = folder + "/m" + std::to_string(next_++) +
                               std::filesystem::path(from).extension().string();
        std::filesystem::create_directories(std::filesystem::path(Root() + "/" + to).parent_path());
        std::filesystem::rename(Root() + "/" + from, Root() + "/" + to);
        break;
      }
      case 7: {  // a folder renamed
        const std::string from = "d" + std::to_string(Int(0, 3));
        if (Exists(from)) std::filesystem::rename(Root() + "/" + from, Root() + "/" + NewName());
        break;
      }
      case 8:  // a deletion
        std::filesystem::remove_all(Root() + "/" + Pick(sources));
        break;
      case 9:  // no longer a workflow: an error, the stored version kept
        tree_.Write(MainFile(Pick(sources)), R"({"not": "a workflow"})");
        break;
      case 10:  // a file that never held one: ignored
        tree_.Write(folder + "/" + NewName() + ".json", "[1, 2]");
        break;
      case 11:  // edited in the database (both alike)
      case 12:
      case 13: {
        auto listed = stores_[0]->catalog().ListWorkflows({});
        ASSERT_OK(listed);
        if (listed->empty()) break;
        const WorkflowSummary& w =
            (*listed)[static_cast<size_t>(Int(0, static_cast<int>(listed->size()) - 1))];
        if (w.format != Format::kN8n) break;
        const std::string json = test::N8nWorkflow(NewName(), 1);
        const std::string new_path =
            op == 12 ? folder + "/db" + std::to_string(next_++) + ".json" : w.path;
        for (auto& store : stores_) {
          if (op == 13) {
            ASSERT_OK(ConnectionOf(*store).Query(
                "UPDATE workflows SET deleted_at = created_at, source_sig = '' WHERE path = $1",
                {w.path}));
            continue;
          }
          auto parsed = ParseSource(SourceContent{Format::kN8n, w.path, json, {}, {}}, {});
          ASSERT_OK(parsed);
          ASSERT_TRUE(parsed->has_value());
          ASSERT_OK(ConnectionOf(*store).Query(
              "UPDATE workflows SET content = $1, content_hash = $2, path = $3, "
              "source_sig = '' WHERE path = $4",
              {json, (*parsed)->content_hash, new_path, w.path}));
        }
        break;
      }
    }
  }

  Result<SyncReport> Sync(int which, SyncMode mode, Prefer prefer, size_t chunk = 0) {
    SyncOptions o;
    o.root = Root();
    o.mode = mode;
    o.prefer = prefer;
    o.threads = 2;
    o.clock = &clock_;
    o.whole_index = which == 0;
    // In parts of one to three sources now and then (a run plans in parts
    // when more keys are left than one part holds).
    if (chunk > 0) {
      o.plan_chunk = chunk;
    } else if (which == 1 && Int(0, 1) == 0) {
      o.plan_chunk = static_cast<size_t>(Int(1, 3));
    }
    return RunSync(*stores_[which], o);
  }

  // A store's workflows, deleted ones too: path -> id, hash, deleted.
  std::map<std::string, std::string> State(Store& store) {
    std::map<std::string, std::string> out;
    auto rows = ConnectionOf(store).Query(
        "SELECT path, id, content_hash, deleted_at IS NOT NULL, source_sig, base_hash, base_path "
        "FROM workflows",
        {});
    EXPECT_OK(rows);
    if (!rows.ok()) return out;
    for (const SqlRow& r : *rows) {
      out[SqlText(r[0])] = SqlText(r[1]) + " " + SqlText(r[2]) +
                           (SqlBool(r[3]) ? " deleted " : " ") + SqlText(r[4]) + " " +
                           SqlText(r[5]) + " " + SqlText(r[6]);
    }
    return out;
  }

  static std::string Describe(const Result<SyncReport>& r) {
    if (!r.ok()) return "error: " + r.status().ToString();
    const RunCounts& c = r->counts;
    std::string out =
        "added " + std::to_string(c.added) + " updated " + std::to_string(c.updated) + " renamed " +
        std::to_string(c.renamed) + " deleted " + std::to_string(c.deleted) + " restored " +
        std::to_string(c.restored) + " unchanged " + std::to_string(c.unchanged) + " errors " +
        std::to_string(c.errors) + " db " + std::to_string(c.database_changed) + " conflicts " +
        std::to_string(c.conflicts) + " scanned " + std::to_string(r->scanned) + "\n";
    for (const Change& ch : r->changes) {
      out += std::to_string(static_cast<int>(ch.kind)) + " " + ch.path + " " + ch.old_path + " " +
             ch.workflow_id + " " + ch.message + "\n";
    }
    for (const IgnoredSource& i : r->ignored) out += "ignored " + i.path + "\n";
    return out;
  }

  test::TempDir tree_;
  test::TempDir dbs_[2];
  std::unique_ptr<Store> stores_[2];
  ManualClock clock_{SystemClock().NowMs() + 60'000};
  const unsigned seed_ = Seed();
  std::mt19937 rng_{seed_};
  int next_ = 0;
};

TEST_P(WalkCompareTest, DecidesAsTheWholeIndexDoesRunAfterRun) {
  for (int i = 0; i < 12; ++i) Step();
  for (int round = 0; round < kRounds; ++round) {
    for (int i = Int(1, 4); i > 0; --i) Step();
    const SyncMode mode = Int(0, 2) == 0 ? SyncMode::kIncremental : SyncMode::kFull;
    const Prefer prefer = round % 5 == 4 ? Prefer::kFiles : Prefer::kNone;
    clock_.Advance(1000);
    Result<SyncReport> whole = Sync(0, mode, prefer);
    Result<SyncReport> compared = Sync(1, mode, prefer);
    ASSERT_EQ(Describe(whole), Describe(compared)) << "seed " << seed_ << ", round " << round;
    ASSERT_EQ(State(*stores_[0]), State(*stores_[1])) << "seed " << seed_ << ", round " << round;
  }
}

TEST_P(WalkCompareTest, AnUnchangedTreeIsSettledWithoutPlanning) {
  tree_.Write("a.json", test::N8nWorkflow("A", 1));
  tree_.Write("f/b.json", test::N8nWorkflow("B", 2));
  tree_.Write("f/c/workflow.json", test::N8nWorkflow("C", 1));
  tree_.Write("x.json", "[" + test::N8nWorkflow("X1", 1, "x1") + ", " +
                            test::N8nWorkflow("X2", 1, "x2") + "]");
  tree_.Write("ignored.json", "[1]");
  ASSERT_OK(Sync(1, SyncMode::kFull, Prefer::kNone));
  WalkDigest walk;
  auto compare = [&]() -> Result<WalkComparison> {
    auto txn = stores_[1]->BeginSync(/*read_only=*/true);
    if (!txn.ok()) return txn.status();
    walk = DigestTree(RealFileSystem(), Root(), 1);
    return CompareWalk(walk, **txn);
  };
  auto plain = [&](const WalkComparison& c) {
    std::set<std::string> out;
    for (uint32_t i : c.plain) out.emplace(walk.Key(i));
    return out;
  };
  auto compared = compare();
  ASSERT_OK(compared);
  // What holds no workflow is read every time, on its own.
  EXPECT_EQ(compared->keys, std::set<std::string>{});
  EXPECT_EQ(plain(*compared), std::set<std::string>{"ignored.json"});
  EXPECT_EQ(compared->settled_sources, 4);
  EXPECT_EQ(compared->settled_workflows, 5);
  EXPECT_EQ(compared->live, 5);
  EXPECT_EQ(compared->rows, 5);

  // A file rewritten, one deleted, a workflow edited in the database: those
  // keys alone are left.
  tree_.Write("f/b.json", test::N8nWorkflow("B2", 2));
  tree_.Remove("a.json");
  ASSERT_OK(
      ConnectionOf(*stores_[1])
          .Query("UPDATE workflows SET content_hash = 'edited' WHERE path = 'x.json#x2'", {}));
  compared = compare();
  ASSERT_OK(compared);
  // The array export whose workflow the database edited, and the gone
  // file, are planned together; the rewritten file on its own.
  EXPECT_EQ(compared->keys, (std::set<std::string>{"a.json", "x.json"}));
  EXPECT_EQ(plain(*compared), (std::set<std::string>{"f/b.json", "ignored.json"}));
  EXPECT_EQ(compared->settled_sources, 1);
  EXPECT_EQ(compared->settled_workflows, 1);
}

// A source planned in a part on its own that loses its stored workflow (a
// file that becomes an array export: the workflow may have moved to a file
// a later part reads) sends the run back to the whole index.
TEST_P(WalkCompareTest, APartThatLosesAWorkflowIsPlannedWhole) {
  tree_.Write("a.json", test::N8nWorkflow("A", 1));
  tree_.Write("b.json", test::N8nWorkflow("B", 1));
  for (int which : {0, 1}) ASSERT_OK(Sync(which, SyncMode::kFull, Prefer::kNone));
  // a.json becomes an export of two new workflows, and its workflow moves
  // to z.json, which a later part reads: a rename, as the whole index sees.
  tree_.Write("a.json",
              "[" + test::N8nWorkflow("E", 1, "e1") + ", " + test::N8nWorkflow("F", 1, "f1") + "]");
  tree_.Write("b.json", test::N8nWorkflow("B", 2));
  tree_.Write("z.json", test::N8nWorkflow("A", 1));
  clock_.Advance(1000);
  Result<SyncReport> whole = Sync(0, SyncMode::kFull, Prefer::kNone);
  Result<SyncReport> parts = Sync(1, SyncMode::kFull, Prefer::kNone, /*chunk=*/1);
  ASSERT_OK(parts);
  EXPECT_EQ(parts->counts.renamed, 1);
  EXPECT_EQ(Describe(whole), Describe(parts));
  EXPECT_EQ(State(*stores_[0]), State(*stores_[1]));
}

// A scope may name one source twice: a folder and a file in it, or a stored
// path of raw bytes and the path text of the same file.
TEST(ScanSubtreesTest, NamesEachSourceOnce) {
  test::TempDir tree;
  tree.Write("a/x.json", test::N8nWorkflow("X", 1));
  tree.Write("a/b/workflow.json", test::N8nWorkflow("B", 1));
  const ScanResult scan = ScanSubtrees(RealFileSystem(), tree.path(), {"a", "a/x.json", "a/b"}, 2);
  std::vector<std::string> keys;
  for (const ScannedSource& s : scan.sources) keys.push_back(s.candidate.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a/b", "a/x.json"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, WalkCompareTest, ::testing::ValuesIn(test::TestBackends()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace flowsync
