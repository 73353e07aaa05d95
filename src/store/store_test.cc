// Store conformance suite: every backend must pass these. Backends register
// a factory in Backends(); PostgreSQL joins when it exists.
#include "flowsync/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "flowsync/clock.h"
#include "store/schema.h"
#include "util/test_util.h"
#include "util/uuid.h"

namespace flowsync {
namespace {

using Backend = test::TestBackend;

std::vector<Backend> Backends() { return test::TestBackends(); }

// Workflow ids are UUIDs on every backend.
std::string Id(const std::string& path) {
  return UuidV5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", path);
}

ParsedWorkflow MakeWorkflow(const std::string& name, const std::string& hash) {
  ParsedWorkflow wf;
  wf.format = Format::kN8n;
  wf.name = name;
  wf.source_id = "1";
  wf.content = "{\"name\":\"" + name + "\"}";
  wf.content_hash = hash;
  wf.metadata_json = "{\"author\":\"me\"}";
  wf.categories = {"ops", "sales"};
  wf.findings = {{Severity::kError, "duplicate-node-name", "nodes[1].name", "duplicate"}};
  return wf;
}

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string fresh = GetParam().fresh_url(dir_.path());
    if (fresh.empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
    auto url = ParseDatabaseUrl(fresh);
    ASSERT_OK(url);
    url_ = *url;
    auto store = OpenStore(url_, {});
    ASSERT_OK(store);
    store_ = std::move(store).value();
  }

  // Adds workflows in one committed run; returns the run id.
  int64_t AddAll(const std::vector<std::pair<std::string, ParsedWorkflow>>& wfs) {
    auto txn = store_->BeginSync(false);
    EXPECT_OK(txn);
    auto run = (*txn)->BeginRun("incremental", "/root", "2026-01-01T00:00:00.000Z");
    EXPECT_OK(run);
    for (const auto& [path, wf] : wfs) {
      EXPECT_OK((*txn)->AddWorkflow(Id(path), path, wf, "sig", "2026-01-01T00:00:00.000Z"));
    }
    EXPECT_OK((*txn)->RefreshSourceIdFindings());
    EXPECT_OK((*txn)->FinishRun(*run, {}, "2026-01-01T00:00:01.000Z"));
    EXPECT_OK((*txn)->Commit());
    return *run;
  }

  test::TempDir dir_;
  DatabaseUrl url_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, AddedWorkflowReadsBack) {
  AddAll({{"a.json", MakeWorkflow("A", "h1")}});
  auto found = store_->catalog().FindWorkflow("a.json");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  const WorkflowDetail& d = **found;
  EXPECT_EQ(d.summary.id, Id("a.json"));
  EXPECT_EQ(d.summary.name, "A");
  EXPECT_EQ(d.summary.format, Format::kN8n);
  EXPECT_EQ(d.summary.content_hash, "h1");
  EXPECT_EQ(d.summary.source_id, "1");
  EXPECT_EQ(d.summary.categories, (std::vector<std::string>{"ops", "sales"}));
  EXPECT_EQ(d.summary.version, 1);
  // The same document; its text may differ by backend (jsonb normalises it).
  EXPECT_EQ(nlohmann::json::parse(d.metadata_json), nlohmann::json::parse("{\"author\":\"me\"}"));
  EXPECT_EQ(d.content, "{\"name\":\"A\"}");
  ASSERT_EQ(d.findings.size(), 1u);
  EXPECT_EQ(d.findings[0].code, "duplicate-node-name");
  EXPECT_EQ(d.stored_versions, 0);
}

TEST_P(StoreTest, FindByIdPrefixAndAmbiguity) {
  AddAll({{"a.json", MakeWorkflow("A", "h1")}, {"b.json", MakeWorkflow("B", "h2")}});
  auto by_id = store_->catalog().FindWorkflow(Id("b.json"));
  ASSERT_OK(by_id);
  ASSERT_TRUE(by_id->has_value());
  EXPECT_EQ((*by_id)->summary.path, "b.json");
  auto prefix = store_->catalog().FindWorkflow(Id("a.json").substr(0, 8));
  ASSERT_OK(prefix);
  ASSERT_TRUE(prefix->has_value());
  EXPECT_EQ((*prefix)->summary.path, "a.json");
  {
    auto txn = store_->BeginSync(false);
    ASSERT_OK(txn);
    ASSERT_OK((*txn)->AddWorkflow("abcdef00-0000-4000-8000-000000000001", "aa1.json",
                                  MakeWorkflow("C", "h3"), "", "2026-01-01T00:00:00.000Z"));
    ASSERT_OK((*txn)->AddWorkflow("abcdef00-0000-4000-8000-000000000002", "aa2.json",
                                  MakeWorkflow("D", "h4"), "", "2026-01-01T00:00:00.000Z"));
    ASSERT_OK((*txn)->Commit());
  }
  auto ambiguous = store_->catalog().FindWorkflow("abcdef00");
  EXPECT_EQ(ambiguous.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ambiguous.status().message(),
            "id prefix 'abcdef00' is ambiguous; candidates:\n"
            "  abcdef00-0000-4000-8000-000000000001 (aa1.json)\n"
            "  abcdef00-0000-4000-8000-000000000002 (aa2.json)");
  auto too_short = store_->catalog().FindWorkflow("abc");
  ASSERT_OK(too_short);
  EXPECT_FALSE(too_short->has_value());
  auto none = store_->catalog().FindWorkflow("nope.json");
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
}

TEST_P(StoreTest, UpdateKeepsPreviousVersion) {
  int64_t run = AddAll({{"a.json", MakeWorkflow("A", "h1")}});
  {
    auto txn = store_->BeginSync(false);
    ASSERT_OK(txn);
    ParsedWorkflow wf = MakeWorkflow("A2", "h2");
    wf.categories = {"new"};
    wf.findings.clear();
    ASSERT_OK(
        (*txn)->UpdateWorkflow(Id("a.json"), wf, "sig2", true, run, "2026-01-02T00:00:00.000Z"));
    ASSERT_OK((*txn)->Commit());
  }
  auto d = store_->catalog().FindWorkflow("a.json");
  ASSERT_OK(d);
  EXPECT_EQ((*d)->summary.name, "A2");
  EXPECT_EQ((*d)->summary.version, 2);
  EXPECT_EQ((*d)->summary.updated_at, "2026-01-02T00:00:00.000Z");
  EXPECT_EQ((*d)->summary.categories, std::vector<std::string>{"new"});
  EXPECT_TRUE((*d)->findings.empty());
  EXPECT_EQ((*d)->stored_versions, 1);
}

TEST_P(StoreTest, FormattingOnlyUpdateKeepsVersionAndTime) {
  int64_t run = AddAll({{"a.json", MakeWorkflow("A", "h1")}});
  auto txn = store_->BeginSync(false);
  ASSERT_OK(txn);
  ParsedWorkflow wf = MakeWorkflow("A", "h1");
  wf.content = "{ \"name\": \"A\" }";
  ASSERT_OK(
      (*txn)->UpdateWorkflow(Id("a.json"), wf, "sig2", false, run, "2026-01-02T00:00:00.000Z"));
  ASSERT_OK((*txn)->Commit());
  auto d = store_->catalog().FindWorkflow("a.json");
  ASSERT_OK(d);
  EXPECT_EQ((*d)->summary.version, 1);
  EXPECT_EQ((*d)->summary.updated_at, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ((*d)->content, "{ \"name\": \"A\" }");
  EXPECT_EQ((*d)->stored_versions, 0);
}

TEST_P(StoreTest, VersionsListOldestFirstAndReadBackWithContent) {
  int64_t run = AddAll({{"a.json", MakeWorkflow("A", "h1")}});
  for (int i = 2; i <= 3; ++i) {
    auto txn = store_->BeginSync(false);
    ASSERT_OK(txn);
    ParsedWorkflow wf = MakeWorkflow("A" + std::to_string(i), "h" + std::to_string(i));
    ASSERT_OK((*txn)->UpdateWorkflow(Id("a.json"), wf, "sig", true, run,
                                     "2026-01-0" + std::to_string(i) + "T00:00:00.000Z"));
    ASSERT_OK((*txn)->Commit());
  }
  auto list = store_->catalog().ListVersions(Id("a.json"));
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].version, 1);
  EXPECT_EQ((*list)[0].name, "A");
  EXPECT_EQ((*list)[0].content_hash, "h1");
  EXPECT_EQ((*list)[0].valid_from, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ((*list)[0].replaced_at, "2026-01-02T00:00:00.000Z");
  EXPECT_FALSE((*list)[0].current);
  EXPECT_EQ((*list)[0].content, "");  // the list carries no content
  EXPECT_EQ((*list)[2].version, 3);
  EXPECT_EQ((*list)[2].name, "A3");
  EXPECT_EQ((*list)[2].valid_from, "2026-01-03T00:00:00.000Z");
  EXPECT_FALSE((*list)[2].replaced_at.has_value());
  EXPECT_TRUE((*list)[2].current);

  auto first = store_->catalog().ReadVersion(Id("a.json"), 1);
  ASSERT_OK(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->content, "{\"name\":\"A\"}");
  // PostgreSQL keeps metadata as jsonb, which spells it its own way.
  EXPECT_EQ(nlohmann::json::parse((*first)->metadata_json), (nlohmann::json{{"author", "me"}}));
  EXPECT_FALSE((*first)->current);
  auto current = store_->catalog().ReadVersion(Id("a.json"), 3);
  ASSERT_OK(current);
  ASSERT_TRUE(current->has_value());
  EXPECT_EQ((*current)->content, "{\"name\":\"A3\"}");
  EXPECT_TRUE((*current)->current);
  auto none = store_->catalog().ReadVersion(Id("a.json"), 4);
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  auto unknown = store_->catalog().ListVersions(Id("b.json"));
  ASSERT_OK(unknown);
  EXPECT_TRUE(unknown->empty());

  // Another project sees none of them.
  StoreOptions other_options;
  other_options.project = "team-b";
  auto other = OpenStore(url_, other_options);
  ASSERT_OK(other);
  EXPECT_TRUE((*other)->catalog().ListVersions(Id("a.json"))->empty());
  EXPECT_FALSE((*other)->catalog().ReadVersion(Id("a.json"), 1)->has_value());
}

TEST_P(StoreTest, UncommittedTransactionRollsBack) {
  {
    auto txn = store_->BeginSync(false);
    ASSERT_OK(txn);
    ASSERT_OK((*txn)->AddWorkflow(Id("x.json"), "x.json", MakeWorkflow("X", "h"), "s",
                                  "2026-01-01T00:00:00.000Z"));
    // Destroyed without Commit().
  }
  auto list = store_->catalog().ListWorkflows({});
  ASSERT_OK(list);
  EXPECT_TRUE(list->empty());
}

TEST_P(StoreTest, SoftDeleteRestoreAndListFilters) {
  AddAll({{"a.json", MakeWorkflow("A", "h1")}, {"b.json", MakeWorkflow("B", "h2")}});
  {
    auto txn = store_->BeginSync(false);
    ASSERT_OK(txn);
    ASSERT_OK((*txn)->MarkDeleted(Id("a.json"), "2026-01-03T00:00:00.000Z"));
    ASSERT_OK((*txn)->Commit());
  }
  ListFilter live;
  ListFilter only_deleted;
  only_deleted.deleted = ListFilter::Deleted::kOnly;
  ListFilter all;
  all.deleted = ListFilter::Deleted::kInclude;
  EXPECT_EQ(store_->catalog().ListWorkflows(live)->size(), 1u);
  ASSERT_EQ(store_->catalog().ListWorkflows(only_deleted)->size(), 1u);
  EXPECT_EQ(store_->catalog().ListWorkflows(only_deleted)->at(0).deleted_at,
            "2026-01-03T00:00:00.000Z");
  EXPECT_EQ(store_->catalog().ListWorkflows(all)->size(), 2u);
  {
    auto txn = store_->BeginSync(false);
    ASSERT_OK(txn);
    // Deleting twice is a caller bug, reported.
    EXPECT_EQ((*txn)->MarkDeleted(Id("a.json"), "2026-01-03T00:00:00.000Z").code(),
              StatusCode::kInternal);
  }
  {
    auto txn = store_->BeginSync(false);
    ASSERT_OK(txn);
    ASSERT_OK((*txn)->Restore(Id("a.json"), "2026-01-04T00:00:00.000Z"));
    ASSERT_OK((*txn)->Commit());
  }
  EXPECT_EQ(store_->catalog().ListWorkflows(live)->size(), 2u);
}

TEST_P(StoreTest, CategoryFilter) {
  ParsedWorkflow other = MakeWorkflow("B", "h2");
  other.categories = {"finance"};
  AddAll({{"a.json", MakeWorkflow("A", "h1")}, {"b.json", other}});
  ListFilter f;
  f.category = "finance";
  auto rows = store_->catalog().ListWorkflows(f);
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->at(0).path, "b.json");
  EXPECT_EQ(rows->at(0).categories, std::vector<std::string>{"finance"});
}

TEST_P(StoreTest, DuplicateSourceIdsGetWarnings) {
  ParsedWorkflow unique = MakeWorkflow("C", "h3");
  unique.source_id = "unique";
  AddAll({{"a.json", MakeWorkflow("A", "h1")},
          {"b.json", MakeWorkflow("B", "h2")},
          {"c.json", unique}});
  auto a = store_->catalog().FindWorkflow("a.json");
  ASSERT_OK(a);
  int warnings = 0;
  for (const Finding& f : (*a)->findings) {
    if (f.code == "duplicate-source-id") {
      ++warnings;
      EXPECT_EQ(f.severity, Severity::kWarning);
      EXPECT_EQ(f.message,
                "source id \"1\" is also used by 1 other workflow(s), e.g. b.json; flowsync ids "
                "stay distinct");
    }
  }
  EXPECT_EQ(warnings, 1);
  auto c = store_->catalog().FindWorkflow("c.json");
  ASSERT_OK(c);
  EXPECT_TRUE((*c)->findings.size() == 1u);  // only its own error finding
}

// Each holder names the first other holder in path order; deleted
// workflows hold nothing.
TEST_P(StoreTest, DuplicateSourceIdsNameTheFirstOtherHolder) {
  AddAll({{"b.json", MakeWorkflow("B", "h2")},
          {"a.json", MakeWorkflow("A", "h1")},
          {"d.json", MakeWorkflow("D", "h4")},
          {"c.json", MakeWorkflow("C", "h3")}});
  {
    auto txn = store_->BeginSync(false);
    ASSERT_OK(txn);
    ASSERT_OK((*txn)->MarkDeleted(Id("a.json"), "2026-01-02T00:00:00.000Z"));
    ASSERT_OK((*txn)->RefreshSourceIdFindings());
    ASSERT_OK((*txn)->Commit());
  }
  auto message = [&](const std::string& path) {
    auto d = store_->catalog().FindWorkflow(path);
    EXPECT_OK(d);
    std::string out;
    for (const Finding& f : (*d)->findings) {
      if (f.code == "duplicate-source-id") out += f.message;
    }
    return out;
  };
  EXPECT_EQ(message("b.json"),
            "source id \"1\" is also used by 2 other workflow(s), e.g. c.json; flowsync ids stay "
            "distinct");
  EXPECT_EQ(message("c.json"),
            "source id \"1\" is also used by 2 other workflow(s), e.g. b.json; flowsync ids stay "
            "distinct");
  EXPECT_EQ(message("d.json"),
            "source id \"1\" is also used by 2 other workflow(s), e.g. b.json; flowsync ids stay "
            "distinct");
  EXPECT_EQ(message("a.json"), "");
}

TEST_P(StoreTest, MoveKeepsIdAndLogReadsBackNewestFirst) {
  int64_t run = AddAll({{"a.json", MakeWorkflow("A", "h1")}});
  {
    auto txn = store_->BeginSync(false);
    ASSERT_OK(txn);
    ASSERT_OK((*txn)->MoveWorkflow(Id("a.json"), "moved/a.json", "s", "2026-01-05T00:00:00.000Z"));
    LogRecord r;
    r.run_id = run;
    r.event = SyncEvent::kRenamed;
    r.workflow_id = Id("a.json");
    r.path = "moved/a.json";
    r.old_path = "a.json";
    r.time = "2026-01-05T00:00:00.000Z";
    ASSERT_OK((*txn)->AppendLog(r));
    r.event = SyncEvent::kError;
    r.workflow_id.clear();
    r.old_path.clear();
    r.message = "broken";
    ASSERT_OK((*txn)->AppendLog(r));
    ASSERT_OK((*txn)->Commit());
  }
  auto d = store_->catalog().FindWorkflow("moved/a.json");
  ASSERT_OK(d);
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->summary.id, Id("a.json"));
  auto log = store_->catalog().ReadLog(0, std::nullopt);
  ASSERT_OK(log);
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ(log->at(0).event, SyncEvent::kError);
  EXPECT_EQ(log->at(0).message, "broken");
  EXPECT_EQ(log->at(1).event, SyncEvent::kRenamed);
  EXPECT_EQ(log->at(1).old_path, "a.json");
  auto only = store_->catalog().ReadLog(0, std::string(Id("a.json")));
  ASSERT_OK(only);
  EXPECT_EQ(only->size(), 1u);
}

TEST_P(StoreTest, RatingsOneVotePerUser) {
  AddAll({{"a.json", MakeWorkflow("A", "h1")}});
  const char* t = "2026-01-01T00:00:00.000Z";
  ASSERT_OK(store_->Rate(Id("a.json"), "ann", 1, t));
  ASSERT_OK(store_->Rate(Id("a.json"), "bob", 1, t));
  ASSERT_OK(store_->Rate(Id("a.json"), "ann", -1, t));
  auto d = store_->catalog().FindWorkflow("a.json");
  ASSERT_OK(d);
  EXPECT_EQ((*d)->thumbs_up, 1);
  EXPECT_EQ((*d)->thumbs_down, 1);
  EXPECT_EQ(store_->Rate(Id("a.json"), "ann", 2, t).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(store_->Rate(Id("no-such.json"), "ann", 1, "2026-01-01T00:00:00.000Z").ok());
}

TEST_P(StoreTest, SecondWriterWaitsThenFailsBusy) {
  StoreOptions quick;
  quick.lock_timeout_ms = 200;
  auto other = OpenStore(url_, quick);
  ASSERT_OK(other);
  auto holder = store_->BeginSync(false);
  ASSERT_OK(holder);
  auto blocked = (*other)->BeginSync(false);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), StatusCode::kBusy) << blocked.status().ToString();
  EXPECT_NE(blocked.status().message().find("locked by another writer"), std::string::npos);
  // Readers are not blocked by the writer.
  auto reader = (*other)->BeginSync(true);
  ASSERT_OK(reader);
  EXPECT_OK((*reader)->LoadIndex());
}

TEST_P(StoreTest, ReadOnlyTransactionRefusesWrites) {
  auto txn = store_->BeginSync(true);
  ASSERT_OK(txn);
  EXPECT_EQ((*txn)
                ->AddWorkflow(Id("x"), "x", MakeWorkflow("X", "h"), "", "2026-01-01T00:00:00.000Z")
                .code(),
            StatusCode::kInternal);
}

TEST_P(StoreTest, ReopenKeepsDataAndSchemaVersion) {
  AddAll({{"a.json", MakeWorkflow("A", "h1")}});
  int version = store_->SchemaVersion();
  store_.reset();
  auto again = OpenStore(url_, {});
  ASSERT_OK(again);
  EXPECT_EQ((*again)->SchemaVersion(), version);
  EXPECT_EQ((*again)->catalog().ListWorkflows({})->size(), 1u);
}

TEST_P(StoreTest, MissingDatabaseIsNotFoundWhenNotCreating) {
  StoreOptions options;
  options.create_if_missing = false;
  auto url = ParseDatabaseUrl(GetParam().fresh_url(dir_.path() + "/nowhere"));
  ASSERT_OK(url);
  auto store = OpenStore(*url, options);
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
}

TEST_P(StoreTest, ProjectsAreIsolated) {
  AddAll({{"a.json", MakeWorkflow("A", "h1")}});
  StoreOptions other_options;
  other_options.project = "team-b";
  auto other = OpenStore(url_, other_options);
  ASSERT_OK(other);
  EXPECT_EQ((*other)->project(), "team-b");
  EXPECT_TRUE((*other)->catalog().ListWorkflows({})->empty());
  EXPECT_FALSE((*other)->catalog().FindWorkflow("a.json")->has_value());
  EXPECT_FALSE((*other)->catalog().FindWorkflow(Id("a.json"))->has_value());
  {
    // The same path in another project is another workflow.
    auto txn = (*other)->BeginSync(false);
    ASSERT_OK(txn);
    auto index = (*txn)->LoadIndex();
    ASSERT_OK(index);
    EXPECT_TRUE(index->empty());
    auto run = (*txn)->BeginRun("incremental", "/b", "2026-01-01T00:00:00.000Z");
    ASSERT_OK(run);
    ASSERT_OK((*txn)->AddWorkflow(Id("b:a.json"), "a.json", MakeWorkflow("B's A", "h9"), "",
                                  "2026-01-01T00:00:00.000Z"));
    ASSERT_OK((*txn)->RefreshSourceIdFindings());
    ASSERT_OK((*txn)->FinishRun(*run, {}, "2026-01-01T00:00:00.000Z"));
    ASSERT_OK((*txn)->Commit());
  }
  EXPECT_EQ((*other)->catalog().FindWorkflow("a.json")->value().summary.name, "B's A");
  EXPECT_EQ(store_->catalog().FindWorkflow("a.json")->value().summary.name, "A");
  EXPECT_EQ(store_->catalog().ListWorkflows({})->size(), 1u);
  // Runs and log rows are per project too; a shared source id across
  // projects is no duplicate.
  EXPECT_EQ((*other)->catalog().LastRun()->value().root, "/b");
  EXPECT_EQ(store_->catalog().LastRun()->value().root, "/root");
  EXPECT_TRUE((*other)->catalog().FindWorkflow("a.json")->value().findings.size() == 1u);
}

TEST_P(StoreTest, BadProjectNameIsRefused) {
  StoreOptions bad;
  bad.project = "Team A";
  EXPECT_EQ(OpenStore(url_, bad).status().code(), StatusCode::kInvalidArgument);
}

// A runner that waits names the holder and since when, by the holder's
// store clock.
TEST_P(StoreTest, AMigrationLockHolderIsNamedWithItsClock) {
  ManualClock clock(1'795'342'500'000);  // 2026-11-22T10:15:00Z
  StoreOptions holder_options;
  holder_options.clock = &clock;
  auto holder = OpenStore(url_, holder_options);
  ASSERT_OK(holder);
  auto held = (*holder)->OpenMigrationHistory();
  ASSERT_OK(held);
  StoreOptions waiter_options;
  waiter_options.lock_timeout_ms = 200;
  auto waiter = OpenStore(url_, waiter_options);
  ASSERT_OK(waiter);
  auto waited = (*waiter)->OpenMigrationHistory();
  EXPECT_EQ(waited.status().code(), StatusCode::kBusy);
  EXPECT_NE(waited.status().message().find("since=2026-11-22T10:15:00.000Z"), std::string::npos)
      << waited.status().message();
}

TEST_P(StoreTest, ChangeCursorFollowsTheAuditLog) {
  Catalog& catalog = store_->catalog();
  auto empty = catalog.ChangeCursor();
  ASSERT_OK(empty);
  EXPECT_EQ(*empty, 0);
  auto nothing = catalog.ChangesSince(0, 10);
  ASSERT_OK(nothing);
  EXPECT_TRUE(nothing->changes.empty());
  EXPECT_EQ(nothing->cursor, 0);
  EXPECT_FALSE(nothing->more);

  auto log = [&](int64_t run, SyncEvent event, const std::string& path) {
    LogRecord r;
    r.run_id = run;
    r.event = event;
    r.workflow_id = event == SyncEvent::kError ? "" : Id(path);
    r.path = path;
    r.new_hash = "h";
    r.time = "2026-01-01T00:00:00.000Z";
    return r;
  };
  int64_t run = AddAll({{"a.json", MakeWorkflow("A", "h1")}, {"b.json", MakeWorkflow("B", "h2")}});
  {
    auto txn = store_->BeginSync(false);
    ASSERT_OK(txn);
    ASSERT_OK((*txn)->AppendLog(log(run, SyncEvent::kAdded, "a.json")));
    ASSERT_OK((*txn)->AppendLog(log(run, SyncEvent::kError, "broken.json")));
    ASSERT_OK((*txn)->AppendLog(log(run, SyncEvent::kAdded, "b.json")));
    ASSERT_OK((*txn)->Commit());
  }
  auto all = catalog.ChangesSince(0, 0);
  ASSERT_OK(all);
  ASSERT_EQ(all->changes.size(), 2u);  // the error is no change
  EXPECT_EQ(all->changes[0].path, "a.json");
  EXPECT_EQ(all->changes[1].path, "b.json");
  EXPECT_LT(all->changes[0].id, all->changes[1].id);
  EXPECT_EQ(all->cursor, all->changes[1].id);
  EXPECT_FALSE(all->more);

  auto first = catalog.ChangesSince(0, 1);
  ASSERT_OK(first);
  ASSERT_EQ(first->changes.size(), 1u);
  EXPECT_TRUE(first->more);
  auto rest = catalog.ChangesSince(first->cursor, 1);
  ASSERT_OK(rest);
  ASSERT_EQ(rest->changes.size(), 1u);
  EXPECT_EQ(rest->changes[0].path, "b.json");
  EXPECT_FALSE(rest->more);

  auto now = catalog.ChangeCursor();
  ASSERT_OK(now);
  EXPECT_GE(*now, all->cursor);  // the error row counts for the cursor
  auto after = catalog.ChangesSince(*now, 10);
  ASSERT_OK(after);
  EXPECT_TRUE(after->changes.empty());
  EXPECT_EQ(after->cursor, *now);
}

TEST_P(StoreTest, ListFiltersByNameAndUpdateTime) {
  AddAll({{"a.json", MakeWorkflow("Same", "h1")},
          {"b.json", MakeWorkflow("Same", "h2")},
          {"c.json", MakeWorkflow("Other", "h3")}});
  ListFilter by_name;
  by_name.name = "Same";
  auto named = store_->catalog().ListWorkflows(by_name);
  ASSERT_OK(named);
  ASSERT_EQ(named->size(), 2u);
  EXPECT_EQ((*named)[0].path, "a.json");
  EXPECT_EQ((*named)[1].path, "b.json");

  ListFilter recent;
  recent.updated_since = "2026-01-01T00:00:00.000Z";  // AddAll's time: included
  auto all = store_->catalog().ListWorkflows(recent);
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 3u);
  recent.updated_since = "2026-01-01T00:00:00.001Z";
  auto none = store_->catalog().ListWorkflows(recent);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(Backends()),
                         [](const auto& param_info) { return param_info.param.name; });

// ---- SQLite specifics ------------------------------------------------------

TEST(SqliteStore, NewerSchemaIsRefusedAndLeftUntouched) {
  test::TempDir dir;
  std::string path = dir.path() + "/s.db";
  { ASSERT_OK(OpenStore(*ParseDatabaseUrl(path), {})); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE flowsync_meta SET value = '99' WHERE key = 'schema_version'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = OpenStore(*ParseDatabaseUrl(path), {});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(store.status().message(),
            "database sqlite:" + path +
                " has schema version 99, newer than this flowsync supports (" +
                std::to_string(kSchemaVersion) +
                "); upgrade flowsync "
                "to use it (the database was not changed)");
}

// Regression: a reader opening a database while another process creates it
// used to hit SQLite's lock-upgrade deadlock, and the creator failed with
// Busy instead of waiting.
TEST(SqliteStore, CreatorAndReadersRaceSafely) {
  for (int round = 0; round < 20; ++round) {
    test::TempDir dir;
    DatabaseUrl url = *ParseDatabaseUrl(dir.path() + "/race.db");
    std::atomic<bool> created{false};
    std::vector<std::thread> readers;
    std::atomic<int> reader_failures{0};
    for (int r = 0; r < 3; ++r) {
      readers.emplace_back([&] {
        StoreOptions ro;
        ro.create_if_missing = false;
        while (!created) {
          auto store = OpenStore(url, ro);
          if (!store.ok() && store.status().code() != StatusCode::kNotFound) ++reader_failures;
        }
      });
    }
    auto creator = OpenStore(url, {});
    created = true;
    for (std::thread& t : readers) t.join();
    ASSERT_OK(creator);
    EXPECT_EQ(reader_failures, 0);
    EXPECT_EQ((*creator)->SchemaVersion(), kSchemaVersion);
  }
}

TEST(SqliteStore, ReaderDoesNotInitialiseAnEmptyFile) {
  test::TempDir dir;
  dir.Write("empty.db", "");
  StoreOptions ro;
  ro.create_if_missing = false;
  auto store = OpenStore(*ParseDatabaseUrl(dir.path() + "/empty.db"), ro);
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(dir.Read("empty.db"), "");
}

TEST(SqliteStore, ForeignDatabaseIsRefused) {
  test::TempDir dir;
  std::string path = dir.path() + "/other.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE users (id INTEGER)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = OpenStore(*ParseDatabaseUrl(path), {});
  EXPECT_EQ(store.status().code(), StatusCode::kUnsupported);
}

TEST(SqliteStore, NotADatabaseIsCorruption) {
  test::TempDir dir;
  dir.Write("junk.db", std::string(4096, 'x'));
  auto store = OpenStore(*ParseDatabaseUrl(dir.path() + "/junk.db"), {});
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace flowsync
