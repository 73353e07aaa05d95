#include "promote/workflow_selection.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "flowsync/clock.h"
#include "flowsync/sync.h"
#include "source/workflow_path.h"
#include "sync/identity.h"
#include "util/test_util.h"
#include "util/time_format.h"

namespace flowsync {
namespace {

std::string N8n(const std::string& name) {
  return R"({"name": ")" + name + R"(", "nodes": [], "connections": {}})";
}

static_assert(FileFormatForName("a.json") == Format::kN8n);
static_assert(FileFormatForName("a.toml") == Format::kPhase);
static_assert(!FileFormatForName(".json").has_value());
static_assert(!FileFormatForName("a.json.bak").has_value());
static_assert(!FileFormatForName("README.md").has_value());

class WorkflowSelectionTest : public ::testing::Test {
 protected:
  WorkflowSelectionTest()
      : root_(std::filesystem::canonical(tree_.path()).string()),
        url_("sqlite:" + db_.path() + "/x.db"),
        lazy_([this]() -> Result<std::unique_ptr<Store>> {
          StoreOptions o;
          o.create_if_missing = create_;
          return OpenStore(*ParseDatabaseUrl(url_), o);
        }) {
    scope_.root = root_;
    scope_.project = kDefaultProject;
  }

  void Sync() {
    create_ = true;
    Store* store = *lazy_.Get();
    SyncOptions o;
    o.root = root_;
    o.mode = SyncMode::kFull;
    o.force = true;
    ASSERT_OK(RunSync(*store, o));
  }

  Result<SourceCandidate> Candidate(const std::string& rel) {
    std::string path = root_ + "/" + rel;
    auto info = RealFileSystem().Stat(path);
    EXPECT_OK(info);
    return CandidateForArgument(root_, path, *info, RealFileSystem());
  }

  test::TempDir tree_, db_;
  std::string root_, url_;
  bool create_ = false;
  LazyStore lazy_;
  SelectionScope scope_;
};

TEST_F(WorkflowSelectionTest, CandidatesByName) {
  tree_.Write("flows/a.json", N8n("A"));
  tree_.Write("p.toml", "[[phase]]\ntask = \"t\"\n");
  tree_.Write("b/workflow.json", N8n("B"));
  tree_.Write("notes.txt", "");
  tree_.Write("empty/x.md", "");

  auto a = Candidate("flows/a.json");
  ASSERT_OK(a);
  EXPECT_EQ(a->format, Format::kN8n);
  EXPECT_EQ(a->key, "flows/a.json");
  EXPECT_EQ(a->path, root_ + "/flows/a.json");
  EXPECT_EQ(Candidate("p.toml")->format, Format::kPhase);
  for (const char* bundle : {"b", "b/", "b/workflow.json"}) {
    auto b = Candidate(bundle);
    ASSERT_OK(b);
    EXPECT_EQ(b->format, Format::kBundle);
    EXPECT_EQ(b->key, "b");
    EXPECT_EQ(b->path, root_ + "/b");
  }
  EXPECT_EQ(Candidate("notes.txt").status().message(),
            root_ +
                "/notes.txt: not a workflow file (an n8n .json export, a phase .toml file or a "
                "bundle folder)");
  EXPECT_EQ(
      Candidate("empty").status().message(),
      root_ + "/empty: a folder without workflow.json (name a workflow file or a bundle folder)");
}

TEST_F(WorkflowSelectionTest, CandidatesOutsideTheRootAreRefused) {
  tree_.Write("a.json", N8n("A"));
  scope_.root = root_ + "/sub";
  auto info = RealFileSystem().Stat(root_ + "/a.json");
  auto outside = CandidateForArgument(scope_.root, root_ + "/a.json", *info, RealFileSystem());
  EXPECT_EQ(outside.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(outside.status().message(),
            root_ + "/a.json: outside the sync root " + root_ +
                "/sub (ids are derived from paths relative to it; see --root)");
}

TEST_F(WorkflowSelectionTest, FilesGetTheIdsASyncGives) {
  tree_.Write("a.json", N8n("A"));
  tree_.Write("b/workflow.json", N8n("B"));
  tree_.Write("b/README.md", "# B\n");
  tree_.Write("not.json", R"({"just": "data"})");
  // No database yet: new ids.
  auto selected = SelectWorkflows(RealFileSystem(), scope_, lazy_,
                                  {root_ + "/a.json", root_ + "/b", root_ + "/a.json"});
  ASSERT_OK(selected);
  ASSERT_EQ(selected->size(), 2u);  // a.json once
  EXPECT_EQ((*selected)[0].id, NewWorkflowId(kDefaultProject, "a.json", {}));
  EXPECT_EQ((*selected)[0].workflow.name, "A");
  EXPECT_EQ((*selected)[1].path, "b");
  EXPECT_EQ((*selected)[1].workflow.documentation, "# B\n");
  auto mtime = RealFileSystem().Stat(root_ + "/a.json")->mtime_ns;
  EXPECT_EQ((*selected)[0].updated_at, FormatTimestampMs(mtime / 1'000'000));

  auto not_a_workflow = SelectWorkflows(RealFileSystem(), scope_, lazy_, {root_ + "/not.json"});
  EXPECT_EQ(not_a_workflow.status().message(),
            "not.json: not a workflow (an n8n export needs 'nodes' and 'connections', a phase "
            "file [[phase]] tables)");
}

// A workflow of an array export is FILE#ID, with the id a sync gives it.
TEST_F(WorkflowSelectionTest, AWorkflowOfAnArrayExportIsNamedByItsId) {
  const std::string a = R"({"id": "a", "name": "A", "nodes": [], "connections": {}})";
  const std::string b = R"({"id": "b", "name": "B", "connections": {}})";
  tree_.Write("n8n/all.json", "[" + a + ", " + b + "]");
  tree_.Write("one.json", N8n("One"));
  auto selected = SelectWorkflows(RealFileSystem(), scope_, lazy_, {root_ + "/n8n/all.json#a"});
  ASSERT_OK(selected);
  ASSERT_EQ(selected->size(), 1u);
  EXPECT_EQ((*selected)[0].path, "n8n/all.json#a");
  EXPECT_EQ((*selected)[0].id, NewWorkflowId(kDefaultProject, "n8n/all.json#a", {}));
  EXPECT_EQ((*selected)[0].workflow.name, "A");
  EXPECT_EQ((*selected)[0].workflow.content, a);

  const auto error = [&](const std::string& arg) {
    auto r = SelectWorkflows(RealFileSystem(), scope_, lazy_, {root_ + "/" + arg});
    return r.ok() ? std::string("<ok>") : r.status().message();
  };
  EXPECT_EQ(error("n8n/all.json"),
            "n8n/all.json: holds 2 n8n workflows (an array export); name one as n8n/all.json#ID: "
            "n8n/all.json#a");
  EXPECT_EQ(error("n8n/all.json#b"), "n8n/all.json#b:1:60: missing 'nodes'");
  EXPECT_EQ(error("n8n/all.json#c"),
            "n8n/all.json#c: n8n/all.json holds no workflow with id c (it holds n8n/all.json#a)");
  EXPECT_EQ(error("one.json#a"),
            "one.json#a: one.json is no n8n array export; name the file itself");

  // After a sync, the stored workflow's id.
  LazyStore synced([this]() { return OpenStore(*ParseDatabaseUrl(url_), {}); });
  ASSERT_OK(synced.Get());
  SyncOptions o;
  o.root = root_;
  ASSERT_OK(RunSync(**synced.Get(), o));
  selected = SelectWorkflows(RealFileSystem(), scope_, synced, {root_ + "/n8n/all.json#a"});
  ASSERT_OK(selected);
  auto stored = (*synced.Get())->catalog().FindWorkflow("n8n/all.json#a");
  ASSERT_OK(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*selected)[0].id, (*stored)->summary.id);
}

TEST_F(WorkflowSelectionTest, StoredWorkflowsNeedADatabase) {
  auto no_db = ExportStoredWorkflow(lazy_, "A");
  EXPECT_EQ(no_db.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(no_db.status().message().starts_with(
      "'A' is no file, and there is no database to look it up in ("));
  EXPECT_FALSE(std::filesystem::exists(db_.path() + "/x.db"));
}

TEST_F(WorkflowSelectionTest, StoredWorkflowsByIdPathOrName) {
  tree_.Write("a.json", N8n("A"));
  tree_.Write("twin1.json", N8n("Twin"));
  tree_.Write("twin2.json", N8n("Twin"));
  tree_.Write("gone.json", N8n("Gone"));
  Sync();
  std::filesystem::remove(root_ + "/gone.json");
  Sync();

  const std::string id = NewWorkflowId(kDefaultProject, "a.json", {});
  for (const std::string& query :
       {id, id.substr(0, 8), std::string("./a.json"), std::string("A")}) {
    auto wf = ExportStoredWorkflow(lazy_, query);
    ASSERT_OK(wf);
    EXPECT_EQ(wf->id, id);
    EXPECT_EQ(wf->path, "a.json");
    EXPECT_EQ(wf->workflow.name, "A");
  }
  auto twins = ExportStoredWorkflow(lazy_, "Twin");
  EXPECT_EQ(twins.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(twins.status().message().starts_with(
      "name 'Twin' is ambiguous: 2 workflows have it; give an id or a path:\n  "));
  EXPECT_EQ(ExportStoredWorkflow(lazy_, "Gone").status().code(), StatusCode::kConflict);
  EXPECT_EQ(ExportStoredWorkflow(lazy_, "gone.json").status().code(), StatusCode::kConflict);
  auto nothing = ExportStoredWorkflow(lazy_, "nothing");
  EXPECT_EQ(nothing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(nothing.status().message().starts_with(
      "no workflow 'nothing': not a file, and no id, unique id prefix, path or name in "));
}

TEST_F(WorkflowSelectionTest, ChangedSinceTakesLiveWorkflowsUpdatedInTheWindow) {
  tree_.Write("a.json", N8n("A"));
  tree_.Write("gone.json", N8n("Gone"));
  Sync();
  std::filesystem::remove(root_ + "/gone.json");
  Sync();
  Store& store = **lazy_.Get();
  const int64_t now = SystemClock().NowMs();
  auto recent = ExportChangedSince(store, now - 3'600'000);
  ASSERT_OK(recent);
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ((*recent)[0].path, "a.json");
  EXPECT_EQ((*recent)[0].project, kDefaultProject);
  auto future = ExportChangedSince(store, now + 3'600'000);
  ASSERT_OK(future);
  EXPECT_TRUE(future->empty());
}

TEST(ParseWindowMsTest, NumberAndUnit) {
  EXPECT_EQ(*ParseWindowMs("90s"), 90'000);
  EXPECT_EQ(*ParseWindowMs("5m"), 300'000);
  EXPECT_EQ(*ParseWindowMs("12h"), 43'200'000);
  EXPECT_EQ(*ParseWindowMs("7d"), 604'800'000);
  EXPECT_EQ(*ParseWindowMs("2w"), 1'209'600'000);
  EXPECT_EQ(*ParseWindowMs("0d"), 0);
  for (const char* bad : {"", "d", "7", "7x", "-1d", "1.5h", "7 d", "99999999999w"}) {
    auto w = ParseWindowMs(bad);
    ASSERT_FALSE(w.ok()) << bad;
    EXPECT_EQ(w.status().message(), "'" + std::string(bad) +
                                        "': expected a whole number and a unit s, m, h, d or w "
                                        "(e.g. 7d, 12h)");
  }
}

}  // namespace
}  // namespace flowsync
