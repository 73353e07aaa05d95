// PhaseStore conformance: the phase cache's persistence behaves the same on
// every backend.
#include <gtest/gtest.h>

#include "flowsync/phase_cache.h"
#include "flowsync/store.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

Phase MakePhase(std::string task, std::string depends_on = "", int64_t retry = 0) {
  Phase p;
  p.task = std::move(task);
  p.depends_on = std::move(depends_on);
  p.rule = "cron=0 * * * *&offset=-1h";
  p.template_text = "s3://bucket/{yyyy}/{mm}/\ttab\\slash\nnewline";
  p.retry = retry;
  p.status = retry > 10 ? "retry 11 is above the limit 10" : "";
  return p;
}

StoredPhaseFile MakeFile(std::string key, std::vector<Phase> phases) {
  StoredPhaseFile f;
  f.key = std::move(key);
  f.hash = "h-" + f.key;
  f.loaded_at_ms = 1795317169123;
  f.last_modified_ms = 1795317100000;
  f.phases = std::move(phases);
  return f;
}

class PhaseStoreTest : public ::testing::TestWithParam<test::TestBackend> {
 protected:
  void SetUp() override {
    std::string fresh = GetParam().fresh_url(dir_.path());
    if (fresh.empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
    url_ = *ParseDatabaseUrl(fresh);
    auto store = OpenStore(url_, {});
    ASSERT_OK(store);
    store_ = std::move(store).value();
    auto phases = store_->OpenPhaseStore();
    ASSERT_OK(phases);
    phases_ = std::move(phases).value();
  }

  test::TempDir dir_;
  DatabaseUrl url_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<PhaseStore> phases_;
};

TEST_P(PhaseStoreTest, RoundTripKeepsFileOrderAndEveryField) {
  // Phases out of alphabetical order: file order must survive.
  StoredPhaseFile a = MakeFile("a.toml", {MakePhase("zeta"), MakePhase("alpha", "zeta", 3),
                                          MakePhase("mid:job", "alpha", 11)});
  StoredPhaseFile b = MakeFile("group/b.toml", {MakePhase("t")});
  StoredPhaseFile empty = MakeFile("empty.toml", {});
  ASSERT_OK(phases_->Apply({b, a, empty}, {}));
  auto loaded = phases_->LoadAll();
  ASSERT_OK(loaded);
  std::sort(loaded->begin(), loaded->end(),
            [](const auto& x, const auto& y) { return x.key < y.key; });
  ASSERT_EQ(loaded->size(), 3u);
  EXPECT_EQ(loaded->at(0), a);
  EXPECT_EQ(loaded->at(1), empty);
  EXPECT_EQ(loaded->at(2), b);
}

TEST_P(PhaseStoreTest, UpsertReplacesAndRemoveDeletes) {
  ASSERT_OK(phases_->Apply(
      {MakeFile("a.toml", {MakePhase("x"), MakePhase("y")}), MakeFile("b.toml", {MakePhase("t")})},
      {}));
  StoredPhaseFile a2 = MakeFile("a.toml", {MakePhase("y", "x")});
  a2.hash = "h2";
  ASSERT_OK(phases_->Apply({a2}, {"b.toml", "never-stored.toml"}));
  auto loaded = phases_->LoadAll();
  ASSERT_OK(loaded);
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ(loaded->at(0), a2);
}

TEST_P(PhaseStoreTest, FailedApplyChangesNothing) {
  StoredPhaseFile a = MakeFile("a.toml", {MakePhase("x")});
  ASSERT_OK(phases_->Apply({a}, {}));
  // A task twice in one file breaks the (file, task) key: the whole Apply,
  // including the removal and the other file, must roll back.
  StoredPhaseFile bad = MakeFile("bad.toml", {MakePhase("dup"), MakePhase("dup")});
  StoredPhaseFile good = MakeFile("good.toml", {MakePhase("g")});
  EXPECT_FALSE(phases_->Apply({good, bad}, {"a.toml"}).ok());
  auto loaded = phases_->LoadAll();
  ASSERT_OK(loaded);
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ(loaded->at(0), a);
  // The store still works afterwards.
  ASSERT_OK(phases_->Apply({good}, {}));
  EXPECT_EQ(phases_->LoadAll()->size(), 2u);
}

TEST_P(PhaseStoreTest, ProjectsAreSeparate) {
  ASSERT_OK(phases_->Apply({MakeFile("a.toml", {MakePhase("x")})}, {}));
  StoreOptions other_options;
  other_options.project = "other";
  auto other = OpenStore(url_, other_options);
  ASSERT_OK(other);
  auto other_phases = (*other)->OpenPhaseStore();
  ASSERT_OK(other_phases);
  EXPECT_TRUE((*other_phases)->LoadAll()->empty());
  ASSERT_OK((*other_phases)->Apply({MakeFile("a.toml", {MakePhase("different")})}, {}));
  EXPECT_EQ(phases_->LoadAll()->at(0).phases.at(0).task, "x");
}

INSTANTIATE_TEST_SUITE_P(Backends, PhaseStoreTest, ::testing::ValuesIn(test::TestBackends()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace flowsync
