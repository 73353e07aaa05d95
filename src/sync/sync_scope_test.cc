// A sync scoped to subtrees (what watch mode runs): only the named paths
// are walked and only their stored rows loaded, and every rule of a full
// sync still holds (deletions, renames from anywhere in the tree, bundles,
// the guard rail over every workflow, ids never reused).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "flowsync/clock.h"
#include "flowsync/sync.h"
#include "store/sql_connection.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

class SyncScopeTest : public ::testing::TestWithParam<test::TestBackend> {
 protected:
  void SetUp() override {
    std::string fresh = GetParam().fresh_url(db_dir_.path());
    if (fresh.empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
    auto store = OpenStore(*ParseDatabaseUrl(fresh), {});
    ASSERT_OK(store);
    store_ = std::move(store).value();
  }

  SyncOptions Options(SyncMode mode, std::set<std::string> subtrees = {}) const {
    SyncOptions o;
    o.root = tree_.path();
    o.mode = mode;
    o.threads = 2;
    o.clock = &clock_;  // a minute ahead: files just written are not "racily clean"
    o.scope.subtrees = std::move(subtrees);
    return o;
  }

  // Live workflows: path -> id.
  std::map<std::string, std::string> Live() const {
    std::map<std::string, std::string> out;
    auto listed = store_->catalog().ListWorkflows({});
    EXPECT_OK(listed);
    if (listed.ok()) {
      for (const WorkflowSummary& w : *listed) out[w.path] = w.id;
    }
    return out;
  }

  std::vector<std::pair<ChangeKind, std::string>> Changes(const SyncReport& r) const {
    std::vector<std::pair<ChangeKind, std::string>> out;
    for (const Change& c : r.changes) out.emplace_back(c.kind, c.path);
    return out;
  }

  void Move(const std::string& from, const std::string& to) const {
    std::filesystem::create_directories(
        std::filesystem::path(tree_.path() + "/" + to).parent_path());
    std::filesystem::rename(tree_.path() + "/" + from, tree_.path() + "/" + to);
  }

  test::TempDir tree_;
  test::TempDir db_dir_;
  ManualClock clock_{SystemClock().NowMs() + 60'000};
  std::unique_ptr<Store> store_;
};

using Kinds = std::vector<std::pair<ChangeKind, std::string>>;

TEST_P(SyncScopeTest, OnlyTheScopeIsWalkedAndDecided) {
  tree_.Write("a.json", test::N8nWorkflow("A"));
  tree_.Write("d1/b.json", test::N8nWorkflow("B"));
  tree_.Write("d2/c.json", test::N8nWorkflow("C"));
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull)));
  tree_.Write("d1/b.json", test::N8nWorkflow("B", 2));
  tree_.Write("d2/c.json", test::N8nWorkflow("C", 2));
  tree_.Write("d1/new.json", test::N8nWorkflow("New"));
  auto report = RunSync(*store_, Options(SyncMode::kFull, {"d1"}));
  ASSERT_OK(report);
  EXPECT_EQ(report->scanned, 2);
  EXPECT_EQ(Changes(*report),
            (Kinds{{ChangeKind::kUpdated, "d1/b.json"}, {ChangeKind::kAdded, "d1/new.json"}}));
  // d2/c.json was changed too, but is outside the scope: the next whole
  // sync finds it.
  report = RunSync(*store_, Options(SyncMode::kFull));
  ASSERT_OK(report);
  EXPECT_EQ(Changes(*report), (Kinds{{ChangeKind::kUpdated, "d2/c.json"}}));
}

TEST_P(SyncScopeTest, ADeletedSubtreeIsDeletedOrMissing) {
  tree_.Write("a.json", test::N8nWorkflow("A"));
  tree_.Write("d1/b.json", test::N8nWorkflow("B"));
  tree_.Write("d1/sub/c.json", test::N8nWorkflow("C"));
  tree_.Write("d2/e.json", test::N8nWorkflow("E"));
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull)));
  std::filesystem::remove_all(tree_.path() + "/d1");
  tree_.Remove("d2/e.json");  // outside the scope: not looked at
  auto report = RunSync(*store_, Options(SyncMode::kIncremental, {"d1"}));
  ASSERT_OK(report);
  EXPECT_EQ(Changes(*report),
            (Kinds{{ChangeKind::kMissing, "d1/b.json"}, {ChangeKind::kMissing, "d1/sub/c.json"}}));
  report = RunSync(*store_, Options(SyncMode::kFull, {"d1"}));
  ASSERT_OK(report);
  EXPECT_EQ(Changes(*report),
            (Kinds{{ChangeKind::kDeleted, "d1/b.json"}, {ChangeKind::kDeleted, "d1/sub/c.json"}}));
  EXPECT_EQ(Live().size(), 2u);  // a.json and d2/e.json
}

TEST_P(SyncScopeTest, RenamesAreFoundAcrossFoldersOutsideTheScope) {
  tree_.Write("old/b.json", test::N8nWorkflow("B"));
  tree_.Write("keep/c.json", test::N8nWorkflow("C"));
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull)));
  const std::map<std::string, std::string> before = Live();
  // Moved to a folder of its own: only the new place is in the scope; the
  // stored workflow whose source is gone is found by its content.
  Move("old/b.json", "new/deeper/b.json");
  auto report = RunSync(*store_, Options(SyncMode::kFull, {"new"}));
  ASSERT_OK(report);
  ASSERT_EQ(report->changes.size(), 1u);
  EXPECT_EQ(report->changes[0].kind, ChangeKind::kRenamed);
  EXPECT_EQ(report->changes[0].old_path, "old/b.json");
  EXPECT_EQ(report->changes[0].path, "new/deeper/b.json");
  EXPECT_EQ(Live().at("new/deeper/b.json"), before.at("old/b.json"));
  // A copy of a workflow whose source is still there is a new workflow.
  tree_.Write("copy/c.json", test::N8nWorkflow("C"));
  report = RunSync(*store_, Options(SyncMode::kFull, {"copy/c.json"}));
  ASSERT_OK(report);
  EXPECT_EQ(Changes(*report), (Kinds{{ChangeKind::kAdded, "copy/c.json"}}));
  EXPECT_NE(Live().at("copy/c.json"), before.at("keep/c.json"));
}

TEST_P(SyncScopeTest, AFolderRenameKeepsEveryId) {
  for (int i = 0; i < 30; ++i) {
    tree_.Write("team/w" + std::to_string(i) + ".json",
                test::N8nWorkflow("W" + std::to_string(i), 1 + i % 4));
  }
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull)));
  const std::map<std::string, std::string> before = Live();
  Move("team", "squad");
  auto report = RunSync(*store_, Options(SyncMode::kFull, {"team", "squad"}));
  ASSERT_OK(report);
  EXPECT_EQ(report->counts.renamed, 30);
  EXPECT_EQ(report->counts.added + report->counts.deleted, 0);
  const std::map<std::string, std::string> after = Live();
  ASSERT_EQ(after.size(), 30u);
  for (int i = 0; i < 30; ++i) {
    const std::string name = "/w" + std::to_string(i) + ".json";
    EXPECT_EQ(after.at("squad" + name), before.at("team" + name)) << name;
  }
}

TEST_P(SyncScopeTest, AKeyInsideABundleStandsForTheBundle) {
  tree_.Write("flows/bun/workflow.json", test::N8nWorkflow("Bundle"));
  tree_.Write("flows/bun/README.md", "# one\n");
  tree_.Write("flows/other.json", test::N8nWorkflow("Other"));
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull)));
  tree_.Write("flows/bun/README.md", "# two\n");
  auto report = RunSync(*store_, Options(SyncMode::kFull, {"flows/bun/README.md"}));
  ASSERT_OK(report);
  EXPECT_EQ(Changes(*report), (Kinds{{ChangeKind::kUpdated, "flows/bun"}}));
  EXPECT_EQ(report->scanned, 1);
  // A folder inside the bundle is the bundle too.
  tree_.Write("flows/bun/assets/logo.txt", "x");
  tree_.Write("flows/bun/workflow.json", test::N8nWorkflow("Bundle", 2));
  report = RunSync(*store_, Options(SyncMode::kFull, {"flows/bun/assets"}));
  ASSERT_OK(report);
  EXPECT_EQ(Changes(*report), (Kinds{{ChangeKind::kUpdated, "flows/bun"}}));
  // Its main file removed: the folder is no bundle any more.
  tree_.Remove("flows/bun/workflow.json");
  report = RunSync(*store_, Options(SyncMode::kFull, {"flows/bun/workflow.json"}));
  ASSERT_OK(report);
  EXPECT_EQ(Changes(*report), (Kinds{{ChangeKind::kDeleted, "flows/bun"}}));
  EXPECT_EQ(Live().count("flows/other.json"), 1u);
}

TEST_P(SyncScopeTest, TheGuardRailCountsEveryWorkflow) {
  for (int i = 0; i < 12; ++i)
    tree_.Write("gone/w" + std::to_string(i) + ".json", test::N8nWorkflow("G" + std::to_string(i)));
  for (int i = 0; i < 20; ++i)
    tree_.Write("stays/w" + std::to_string(i) + ".json",
                test::N8nWorkflow("S" + std::to_string(i)));
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull)));
  // 12 of the scope's 12, but 12 of 32 in all: allowed.
  std::filesystem::remove_all(tree_.path() + "/gone");
  auto report = RunSync(*store_, Options(SyncMode::kFull, {"gone"}));
  ASSERT_OK(report);
  EXPECT_EQ(report->counts.deleted, 12);
  // 20 of the 20 left: refused, as a whole sync would.
  std::filesystem::remove_all(tree_.path() + "/stays");
  report = RunSync(*store_, Options(SyncMode::kFull, {"stays"}));
  EXPECT_EQ(report.status().code(), StatusCode::kConflict);
  EXPECT_EQ(report.status().message(),
            "this full sync would delete 20 of 20 workflows (more than half); refusing without "
            "--force (is " +
                tree_.path() + " the right root?)");
}

TEST_P(SyncScopeTest, ANewWorkflowNeverTakesTheIdOfOneOutsideTheScope) {
  tree_.Write("a.json", test::N8nWorkflow("A"));
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull)));
  const std::string first = Live().at("a.json");
  Move("a.json", "moved/a.json");
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull, {"a.json", "moved"})));
  EXPECT_EQ(Live().at("moved/a.json"), first);
  // a.json's own id is taken by the moved workflow, which is not in this
  // scope.
  tree_.Write("a.json", test::N8nWorkflow("Another"));
  auto report = RunSync(*store_, Options(SyncMode::kFull, {"a.json"}));
  ASSERT_OK(report);
  EXPECT_EQ(Changes(*report), (Kinds{{ChangeKind::kAdded, "a.json"}}));
  EXPECT_NE(Live().at("a.json"), first);
}

TEST_P(SyncScopeTest, TheRootAsAKeyIsTheWholeTree) {
  tree_.Write("a.json", test::N8nWorkflow("A"));
  tree_.Write("d/b.json", test::N8nWorkflow("B"));
  auto report = RunSync(*store_, Options(SyncMode::kFull, {".", "d"}));
  ASSERT_OK(report);
  EXPECT_EQ(report->counts.added, 2);
  // Hidden folders are never walked, even when named.
  tree_.Write(".hidden/c.json", test::N8nWorkflow("C"));
  report = RunSync(*store_, Options(SyncMode::kFull, {".hidden"}));
  ASSERT_OK(report);
  EXPECT_EQ(report->scanned, 0);
  EXPECT_TRUE(report->changes.empty());
}

// A small sync recomputes the duplicate-source-id warnings of only the
// source ids it touched (before and after); they must read as a whole
// recomputation would write them.
TEST_P(SyncScopeTest, SourceIdWarningsFollowASmallSync) {
  auto with_id = [](const std::string& id, const std::string& name) {
    return R"({"id": ")" + id + R"(", "name": ")" + name + R"(", "nodes": [], "connections": {}})";
  };
  auto warnings = [&](const std::string& path) {
    std::string out;
    auto found = store_->catalog().FindWorkflow(path);
    EXPECT_OK(found);
    if (found.ok() && found->has_value()) {
      for (const Finding& f : (*found)->findings) {
        if (f.code == "duplicate-source-id") out += f.message;
      }
    }
    return out;
  };
  tree_.Write("a.json", with_id("S", "A"));
  tree_.Write("b.json", with_id("S", "B"));
  tree_.Write("c.json", with_id("S", "C"));
  tree_.Write("d.json", with_id("T", "D"));
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull)));
  EXPECT_EQ(
      warnings("a.json"),
      R"(source id "S" is also used by 2 other workflow(s), e.g. b.json; flowsync ids stay distinct)");
  EXPECT_EQ(warnings("d.json"), "");
  // c moves from S to T: a and b lose one holder, d gains one.
  tree_.Write("c.json", with_id("T", "C"));
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull, {"c.json"})));
  EXPECT_EQ(
      warnings("a.json"),
      R"(source id "S" is also used by 1 other workflow(s), e.g. b.json; flowsync ids stay distinct)");
  EXPECT_EQ(
      warnings("c.json"),
      R"(source id "T" is also used by 1 other workflow(s), e.g. d.json; flowsync ids stay distinct)");
  EXPECT_EQ(
      warnings("d.json"),
      R"(source id "T" is also used by 1 other workflow(s), e.g. c.json; flowsync ids stay distinct)");
  // b renamed: a's example follows it; then deleted: a's warning goes.
  Move("b.json", "z/b.json");
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull, {"b.json", "z"})));
  EXPECT_EQ(
      warnings("a.json"),
      R"(source id "S" is also used by 1 other workflow(s), e.g. z/b.json; flowsync ids stay distinct)");
  std::filesystem::remove_all(tree_.path() + "/z");
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull, {"z"})));
  EXPECT_EQ(warnings("a.json"), "");
}

TEST_P(SyncScopeTest, AWorkflowRenamedInTheDatabaseOutOfTheScopeIsKeptNotAddedAgain) {
  tree_.Write("a/x.json", test::N8nWorkflow("X"));
  tree_.Write("a/y.json", test::N8nWorkflow("Y"));
  tree_.Write("b/z.json", test::N8nWorkflow("Z"));
  ASSERT_OK(RunSync(*store_, Options(SyncMode::kFull)));
  const std::map<std::string, std::string> before = Live();
  // Renamed in the database to a path outside the scope: x only, y edited
  // too.
  ASSERT_OK(ConnectionOf(*store_).Query(
      "UPDATE workflows SET path = 'b/x.json', source_sig = '' WHERE path = 'a/x.json'"));
  ASSERT_OK(ConnectionOf(*store_).Query(
      "UPDATE workflows SET path = 'b/y.json', content_hash = 'edited', source_sig = '' WHERE "
      "path = 'a/y.json'"));
  // A watch event in a/ (the files there are as the base says).
  auto r = RunSync(*store_, Options(SyncMode::kFull, {"a"}));
  ASSERT_OK(r);
  EXPECT_EQ(r->counts.database_changed, 2);
  EXPECT_EQ(r->counts.added + r->counts.renamed + r->counts.updated, 0);
  std::map<std::string, std::string> after = Live();
  EXPECT_EQ(after.size(), 3u);
  EXPECT_EQ(after["b/x.json"], before.at("a/x.json"));
  EXPECT_EQ(after["b/y.json"], before.at("a/y.json"));
}

INSTANTIATE_TEST_SUITE_P(Backends, SyncScopeTest, ::testing::ValuesIn(test::TestBackends()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace flowsync
