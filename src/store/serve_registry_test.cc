// The serve registry on both backends: tokens, webhooks, deliveries.
#include "flowsync/serve_registry.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "flowsync/store.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

using Backend = test::TestBackend;

class ServeRegistryTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    fresh_ = GetParam().fresh_url(dir_.path());
    if (fresh_.empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
    store_ = Open();
    auto registry = OpenServeRegistry(*store_);
    ASSERT_OK(registry);
    registry_ = std::move(registry).value();
  }

  std::unique_ptr<Store> Open(const std::string& project = kDefaultProject) {
    auto url = ParseDatabaseUrl(fresh_);
    EXPECT_OK(url);
    StoreOptions options;
    options.project = project;
    auto store = OpenStore(*url, options);
    EXPECT_OK(store);
    return std::move(store).value();
  }

  static WebhookRegistration Hook(const std::string& path) {
    WebhookRegistration h;
    h.path = path;
    h.task = "ingest";
    h.secret_env = "HOOK_SECRET";
    h.created_ms = 1000;
    return h;
  }

  static NewExecution Execution() {
    NewExecution e;
    e.workflow = "etl.toml";
    e.topic = "ingest";
    e.trigger = Trigger::kWebhook;
    e.info = "ingest";
    e.meta = "workflow=etl.toml";
    return e;
  }

  test::TempDir dir_;
  std::string fresh_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ServeRegistry> registry_;
};

TEST_P(ServeRegistryTest, TokensAreFoundByTheirHashAndTouchedAtMostOnceAMinute) {
  ApiToken t{"ab12", "team-a", true, 5000, std::nullopt};
  ASSERT_OK(registry_->AddToken(t));
  auto found = registry_->FindToken("ab12");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->project, "team-a");
  EXPECT_TRUE((*found)->write);
  EXPECT_FALSE((*found)->last_used_ms.has_value());
  ASSERT_OK(registry_->TouchToken("ab12", 100'000));
  ASSERT_OK(registry_->TouchToken("ab12", 130'000));  // within a minute: not written
  found = registry_->FindToken("ab12");
  ASSERT_OK(found);
  EXPECT_EQ((*found)->last_used_ms, 100'000);
  found = registry_->FindToken("cd34");
  ASSERT_OK(found);
  EXPECT_FALSE(found->has_value());
  // Tokens are the database's: another project's store finds them too.
  auto other = Open("team-b");
  auto other_registry = OpenServeRegistry(*other);
  ASSERT_OK(other_registry);
  found = (*other_registry)->FindToken("ab12");
  ASSERT_OK(found);
  EXPECT_TRUE(found->has_value());
}

TEST_P(ServeRegistryTest, TokensAreListedOldestFirstAndRemoved) {
  ASSERT_OK(registry_->AddToken({"ff01", "team-b", false, 7000, std::nullopt}));
  ASSERT_OK(registry_->AddToken({"ab12", "team-a", true, 5000, std::nullopt}));
  ASSERT_OK(registry_->TouchToken("ab12", 100'000));
  auto listed = registry_->ListTokens();
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].sha256, "ab12");
  EXPECT_EQ((*listed)[0].last_used_ms, std::optional<int64_t>(100'000));
  EXPECT_EQ((*listed)[1].project, "team-b");
  EXPECT_FALSE((*listed)[1].write);
  auto removed = registry_->RemoveToken("ab12");
  ASSERT_OK(removed);
  EXPECT_TRUE(*removed);
  removed = registry_->RemoveToken("ab12");
  ASSERT_OK(removed);
  EXPECT_FALSE(*removed);
  auto found = registry_->FindToken("ab12");
  ASSERT_OK(found);
  EXPECT_FALSE(found->has_value());
  EXPECT_EQ(registry_->ListTokens()->size(), 1u);
}

TEST_P(ServeRegistryTest, WebhooksAreAddedListedAndRemovedPerProject) {
  ASSERT_OK(registry_->AddWebhook(Hook("b/push")));
  WebhookRegistration filed = Hook("a");
  filed.secret_env.reset();
  filed.secret_file = "/run/secret";
  filed.workflow = "etl.toml";
  ASSERT_OK(registry_->AddWebhook(filed));
  auto again = registry_->AddWebhook(Hook("b/push"));
  EXPECT_EQ(again.status().ToString(),
            "Conflict: webhook POST /hooks/b/push is registered already (task ingest)");
  auto listed = registry_->ListWebhooks();
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].path, "a");
  EXPECT_EQ((*listed)[0].secret_file, "/run/secret");
  EXPECT_FALSE((*listed)[0].secret_env.has_value());
  EXPECT_EQ((*listed)[0].workflow, "etl.toml");
  EXPECT_EQ((*listed)[1].path, "b/push");
  EXPECT_EQ((*listed)[1].method, "POST");
  EXPECT_FALSE((*listed)[1].secret_sealed.has_value());

  WebhookRegistration sealed = Hook("c");
  sealed.secret_env.reset();
  sealed.secret_sealed = "sealed:v1:AAAA";
  ASSERT_OK(registry_->AddWebhook(sealed));
  auto found_sealed = registry_->FindWebhook("c", "POST");
  ASSERT_OK(found_sealed);
  ASSERT_TRUE(found_sealed->has_value());
  EXPECT_EQ((*found_sealed)->secret_sealed, "sealed:v1:AAAA");
  EXPECT_FALSE((*found_sealed)->secret_env.has_value());
  ASSERT_OK(registry_->RemoveWebhook("c"));

  auto other = Open("team-b");
  auto other_registry = OpenServeRegistry(*other);
  ASSERT_OK(other_registry);
  auto none = (*other_registry)->FindWebhook("a", "POST");
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());

  auto removed = registry_->RemoveWebhook("a");
  ASSERT_OK(removed);
  EXPECT_TRUE(*removed);
  removed = registry_->RemoveWebhook("a");
  ASSERT_OK(removed);
  EXPECT_FALSE(*removed);
}

TEST_P(ServeRegistryTest, OneDeliveryKeyStartsOneExecution) {
  auto id = registry_->AddWebhook(Hook("h"));
  ASSERT_OK(id);
  auto first = registry_->AcceptDelivery(*id, "k1", "{\"a\":1}", Execution(), 2000);
  ASSERT_OK(first);
  EXPECT_TRUE(first->created);
  auto second = registry_->AcceptDelivery(*id, "k1", "{\"a\":2}", Execution(), 3000);
  ASSERT_OK(second);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->execution_id, first->execution_id);
  auto third = registry_->AcceptDelivery(*id, "k2", "{}", Execution(), 3000);
  ASSERT_OK(third);
  EXPECT_TRUE(third->created);
  EXPECT_NE(third->execution_id, first->execution_id);

  auto queue = OpenExecutionQueue(*store_);
  ASSERT_OK(queue);
  auto listed = (*queue)->List({});
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].trigger, Trigger::kWebhook);
}

TEST_P(ServeRegistryTest, ConcurrentDeliveriesWithOneKeyStartOneExecution) {
  auto id = registry_->AddWebhook(Hook("h"));
  ASSERT_OK(id);
  constexpr int kThreads = 6;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kThreads; ++i) stores.push_back(Open());
  std::vector<Result<DeliveryResult>> results(kThreads, Status::Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i]() {
      auto registry = OpenServeRegistry(*stores[i]);
      if (!registry.ok()) return;
      results[i] = (*registry)->AcceptDelivery(*id, "same", "{}", Execution(), 2000);
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<int64_t> ids;
  int created = 0;
  for (const auto& r : results) {
    ASSERT_OK(r);
    ids.insert(r->execution_id);
    created += r->created ? 1 : 0;
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(created, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeRegistryTest, ::testing::ValuesIn(test::TestBackends()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace flowsync
