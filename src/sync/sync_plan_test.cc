// A sync as a plan and its application: PlanSync writes nothing,
// ApplySyncPlan writes exactly the plan, and refuses a plan that the store
// or the files have moved past.
#include <gtest/gtest.h>

#include "flowsync/clock.h"
#include "flowsync/sync.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

std::string N8n(const std::string& name) {
  return R"({"name": ")" + name + R"(", "nodes": [
    {"id": "1", "name": "Start", "type": "n8n-nodes-base.manualTrigger", "typeVersion": 1,
     "position": [0, 0], "parameters": {}}], "connections": {}})";
}

class SyncPlanTest : public ::testing::TestWithParam<test::TestBackend> {
 protected:
  void SetUp() override {
    std::string fresh = GetParam().fresh_url(db_dir_.path());
    if (fresh.empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
    auto store = OpenStore(*ParseDatabaseUrl(fresh), {});
    ASSERT_OK(store);
    store_ = std::move(store).value();
  }

  SyncOptions Options(SyncMode mode = SyncMode::kIncremental) const {
    SyncOptions o;
    o.root = tree_.path();
    o.mode = mode;
    o.threads = 2;
    // A minute ahead, so files just written are not "racily clean".
    o.clock = &clock_;
    return o;
  }

  std::vector<std::pair<ActionKind, std::string>> Kinds(const SyncPlan& plan) const {
    std::vector<std::pair<ActionKind, std::string>> out;
    for (const SyncAction& a : plan.actions) out.emplace_back(a.kind, a.path);
    return out;
  }

  test::TempDir tree_;
  test::TempDir db_dir_;
  ManualClock clock_{SystemClock().NowMs() + 60'000};
  std::unique_ptr<Store> store_;
};

TEST_P(SyncPlanTest, APlanWritesNothingAndItsApplicationWritesIt) {
  tree_.Write("a.json", N8n("A"));
  tree_.Write("b/workflow.json", N8n("B"));
  tree_.Write("broken.json", "{");
  auto plan = PlanSync(*store_, Options());
  ASSERT_OK(plan);
  EXPECT_EQ(Kinds(*plan),
            (std::vector<std::pair<ActionKind, std::string>>{{ActionKind::kAdd, "a.json"},
                                                             {ActionKind::kAdd, "b"},
                                                             {ActionKind::kError, "broken.json"}}));
  EXPECT_EQ(plan->counts.added, 2);
  EXPECT_EQ(plan->counts.errors, 1);
  EXPECT_TRUE(plan->HasWrites());
  // Nothing stored: no workflow, no run, no log.
  EXPECT_TRUE(store_->catalog().ListWorkflows({})->empty());
  EXPECT_FALSE(store_->catalog().LastRun()->has_value());
  EXPECT_EQ(*store_->catalog().ChangeCursor(), 0);

  SyncReport preview = ReportOfPlan(*plan);
  EXPECT_TRUE(preview.dry_run);
  ASSERT_EQ(preview.changes.size(), 3u);

  auto report = ApplySyncPlan(*store_, *plan, Options());
  ASSERT_OK(report);
  EXPECT_FALSE(report->dry_run);
  EXPECT_GT(report->run_id, 0);
  EXPECT_EQ(report->counts.added, 2);
  EXPECT_EQ(report->counts.errors, 1);
  auto stored = store_->catalog().ListWorkflows({});
  ASSERT_OK(stored);
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].id, plan->actions[0].workflow_id);  // the planned id
  auto log = store_->catalog().ReadLog(0, std::nullopt);
  ASSERT_OK(log);
  EXPECT_EQ(log->size(), 3u);

  // The applied plan left signatures behind: the next plan has nothing to do.
  tree_.Remove("broken.json");
  auto again = PlanSync(*store_, Options());
  ASSERT_OK(again);
  EXPECT_FALSE(again->HasWrites());
  EXPECT_EQ(again->counts.unchanged, 2);
}

TEST_P(SyncPlanTest, UpdatesRenamesAndDeletesApplyAsPlanned) {
  tree_.Write("a.json", N8n("A"));
  tree_.Write("b.json", N8n("B"));
  tree_.Write("c.json", N8n("C"));
  ASSERT_OK(RunSync(*store_, Options()));
  tree_.Write("a.json", N8n("A2"));
  tree_.Remove("b.json");
  tree_.Write("moved/b.json", N8n("B"));
  tree_.Remove("c.json");
  auto plan = PlanSync(*store_, Options(SyncMode::kFull));
  ASSERT_OK(plan);
  EXPECT_EQ(Kinds(*plan),
            (std::vector<std::pair<ActionKind, std::string>>{{ActionKind::kUpdate, "a.json"},
                                                             {ActionKind::kRename, "moved/b.json"},
                                                             {ActionKind::kDelete, "c.json"}}));
  EXPECT_EQ(plan->actions[1].old_path, "b.json");
  auto report = ApplySyncPlan(*store_, *plan, Options(SyncMode::kFull));
  ASSERT_OK(report);
  EXPECT_EQ(report->counts.updated, 1);
  EXPECT_EQ(report->counts.renamed, 1);
  EXPECT_EQ(report->counts.deleted, 1);
  auto a = store_->catalog().FindWorkflow("a.json");
  ASSERT_OK(a);
  EXPECT_EQ((*a)->summary.name, "A2");
  EXPECT_EQ((*a)->summary.version, 2);
  auto b = store_->catalog().FindWorkflow("moved/b.json");
  ASSERT_OK(b);
  ASSERT_TRUE(b->has_value());
  EXPECT_EQ((*b)->summary.id, plan->actions[1].workflow_id);
  ListFilter deleted;
  deleted.deleted = ListFilter::Deleted::kOnly;
  EXPECT_EQ(store_->catalog().ListWorkflows(deleted)->size(), 1u);
}

TEST_P(SyncPlanTest, AFileChangedSinceThePlanStopsTheApplication) {
  tree_.Write("a.json", N8n("A"));
  tree_.Write("b.json", N8n("B"));
  auto plan = PlanSync(*store_, Options());
  ASSERT_OK(plan);
  tree_.Write("b.json", N8n("B, edited after the plan"));
  auto report = ApplySyncPlan(*store_, *plan, Options());
  EXPECT_EQ(report.status().code(), StatusCode::kConflict);
  EXPECT_EQ(report.status().message(),
            "b.json changed since the sync was planned; plan again (nothing was written)");
  EXPECT_TRUE(store_->catalog().ListWorkflows({})->empty());
  EXPECT_FALSE(store_->catalog().LastRun()->has_value());
}

TEST_P(SyncPlanTest, AStoreChangedSinceThePlanStopsTheApplication) {
  tree_.Write("a.json", N8n("A"));
  auto plan = PlanSync(*store_, Options());
  ASSERT_OK(plan);
  ASSERT_OK(RunSync(*store_, Options()));  // another writer got there first
  auto cursor = store_->catalog().ChangeCursor();
  ASSERT_OK(cursor);
  auto report = ApplySyncPlan(*store_, *plan, Options());
  EXPECT_EQ(report.status().code(), StatusCode::kConflict);
  EXPECT_EQ(report.status().message(),
            "the database changed since the sync was planned (add a.json: a workflow is stored "
            "there now); plan again");
  EXPECT_EQ(*store_->catalog().ChangeCursor(), *cursor);  // nothing written
}

// The workflows of an array export are planned and applied one by one,
// from one read of the file.
TEST_P(SyncPlanTest, AnArrayExportAppliesWorkflowByWorkflow) {
  const auto workflow = [](const std::string& id, const std::string& name) {
    return R"({"id": ")" + id + R"(", "name": ")" + name + R"(", "nodes": [], "connections": {}})";
  };
  tree_.Write("all.json", "[" + workflow("a", "A") + ", " + workflow("b", "B") + "]");
  tree_.Write("package.json", "{}");
  auto plan = PlanSync(*store_, Options());
  ASSERT_OK(plan);
  EXPECT_EQ(Kinds(*plan), (std::vector<std::pair<ActionKind, std::string>>{
                              {ActionKind::kAdd, "all.json#a"}, {ActionKind::kAdd, "all.json#b"}}));
  EXPECT_EQ(
      plan->ignored,
      (std::vector<IgnoredSource>{
          {"package.json", R"(not an n8n workflow (no top-level "nodes" or "connections"))"}}));
  EXPECT_EQ(ReportOfPlan(*plan).ignored, plan->ignored);
  auto report = ApplySyncPlan(*store_, *plan, Options());
  ASSERT_OK(report);
  EXPECT_EQ(report->counts.added, 2);
  EXPECT_EQ(report->ignored, plan->ignored);

  // b is edited; a, in the same file, is then changed behind the plan's back.
  tree_.Write("all.json", "[" + workflow("a", "A") + ", " + workflow("b", "B2") + "]");
  plan = PlanSync(*store_, Options());
  ASSERT_OK(plan);
  EXPECT_EQ(Kinds(*plan),
            (std::vector<std::pair<ActionKind, std::string>>{{ActionKind::kRefresh, "all.json#a"},
                                                             {ActionKind::kUpdate, "all.json#b"}}));
  tree_.Write("all.json", "[" + workflow("a", "A2") + ", " + workflow("b", "B2") + "]");
  report = ApplySyncPlan(*store_, *plan, Options());
  EXPECT_EQ(report.status().code(), StatusCode::kConflict);
  EXPECT_EQ(report.status().message(),
            "all.json#a changed since the sync was planned; plan again (nothing was written)");
  plan = PlanSync(*store_, Options());
  ASSERT_OK(plan);
  report = ApplySyncPlan(*store_, *plan, Options());
  ASSERT_OK(report);
  EXPECT_EQ(report->counts.updated, 2);
}

TEST_P(SyncPlanTest, ADryRunIsThePlansReport) {
  tree_.Write("a.json", N8n("A"));
  SyncOptions dry = Options();
  dry.dry_run = true;
  auto report = RunSync(*store_, dry);
  ASSERT_OK(report);
  EXPECT_TRUE(report->dry_run);
  EXPECT_EQ(report->run_id, 0);
  EXPECT_EQ(report->counts.added, 1);
  EXPECT_TRUE(store_->catalog().ListWorkflows({})->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, SyncPlanTest, ::testing::ValuesIn(test::TestBackends()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace flowsync
