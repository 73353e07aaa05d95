#include "sync/identity.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "flowsync/store.h"
#include "flowsync/sync.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

constexpr char kWorkflow[] = R"({"name": "A", "nodes": [], "connections": {}})";

TEST(NewWorkflowIdTest, ProjectsAndTakenIdsGiveOtherIds) {
  std::string id = NewWorkflowId(kDefaultProject, "a.json", {});
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(NewWorkflowId(kDefaultProject, "a.json", {}), id);
  EXPECT_NE(NewWorkflowId("team", "a.json", {}), id);
  std::string second = NewWorkflowId(kDefaultProject, "a.json", {id});
  EXPECT_NE(second, id);
  EXPECT_NE(NewWorkflowId(kDefaultProject, "a.json", {id, second}), second);
}

class IdForPathTest : public ::testing::Test {
 protected:
  IdForPathTest() {
    auto store = OpenStore(*ParseDatabaseUrl("sqlite:" + db_.path() + "/x.db"), {});
    EXPECT_OK(store);
    store_ = std::move(store).value();
  }
  void Sync() {
    SyncOptions o;
    o.root = tree_.path();
    o.mode = SyncMode::kFull;
    o.force = true;
    ASSERT_OK(RunSync(*store_, o));
  }
  std::string Id(const std::string& path) {
    auto id = IdForPath(store_.get(), kDefaultProject, path);
    EXPECT_OK(id);
    return id.ok() ? *id : "";
  }
  test::TempDir tree_, db_;
  std::unique_ptr<Store> store_;
};

TEST_F(IdForPathTest, WithoutADatabaseTheFirstNewId) {
  auto id = IdForPath(nullptr, "team", "a.json");
  ASSERT_OK(id);
  EXPECT_EQ(*id, NewWorkflowId("team", "a.json", {}));
}

TEST_F(IdForPathTest, TheStoredIdOrOneNobodyHolds) {
  tree_.Write("a.json", kWorkflow);
  Sync();
  const std::string a = Id("a.json");
  EXPECT_EQ(a, NewWorkflowId(kDefaultProject, "a.json", {}));
  EXPECT_EQ(Id("new.json"), NewWorkflowId(kDefaultProject, "new.json", {}));
  // Renamed away, the workflow keeps its id: a new file at the old path
  // gets the next one, as a sync would give it.
  std::filesystem::rename(tree_.path() + "/a.json", tree_.path() + "/b.json");
  Sync();
  EXPECT_EQ(Id("b.json"), a);
  EXPECT_EQ(Id("a.json"), NewWorkflowId(kDefaultProject, "a.json", {a}));
  tree_.Write("a.json", R"({"name": "A2", "nodes": [], "connections": {}})");
  Sync();
  EXPECT_EQ(Id("a.json"), NewWorkflowId(kDefaultProject, "a.json", {a}));
}

}  // namespace
}  // namespace flowsync
