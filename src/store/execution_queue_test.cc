// The execution queue on both backends: claims, fencing, retries, rescue.
#include "flowsync/execution_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "flowsync/store.h"
#include "store/sql_execution_queue.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

using Backend = test::TestBackend;

NewExecution Task(const std::string& topic, int64_t run_at_ms, int max_attempts = 1) {
  NewExecution e;
  e.workflow = "etl.toml";
  e.topic = topic;
  e.job = "j";
  e.task_time_ms = 1'700'000'000'000;
  e.trigger = Trigger::kManual;
  e.info = "s3://bucket/" + topic;
  e.meta = "workflow=etl.toml";
  e.max_attempts = max_attempts;
  e.retry_delay_ms = 1000;
  e.run_at_ms = run_at_ms;
  return e;
}

class ExecutionQueueTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    fresh_ = GetParam().fresh_url(dir_.path());
    if (fresh_.empty()) GTEST_SKIP() << "no PostgreSQL test server (FLOWSYNC_PG_DIR is unset)";
    store_ = Open();
    auto queue = OpenExecutionQueue(*store_);
    ASSERT_OK(queue);
    queue_ = std::move(queue).value();
  }

  std::unique_ptr<Store> Open() {
    auto url = ParseDatabaseUrl(fresh_);
    EXPECT_OK(url);
    auto store = OpenStore(*url, {});
    EXPECT_OK(store);
    return std::move(store).value();
  }

  int64_t Add(const NewExecution& e, int64_t now = 1000) {
    auto id = queue_->Enqueue(e, now);
    EXPECT_OK(id);
    return id.ok() ? *id : 0;
  }

  std::vector<int64_t> ClaimIds(const std::vector<std::string>& topics, const std::string& owner,
                                int limit, int64_t now, int64_t lease = 30'000) {
    auto claimed = queue_->Claim(topics, owner, limit, now, lease);
    EXPECT_OK(claimed);
    std::vector<int64_t> ids;
    if (claimed.ok()) {
      for (const Execution& e : *claimed) ids.push_back(e.id);
    }
    return ids;
  }

  Execution Get(int64_t id) {
    auto shown = queue_->Show(id);
    EXPECT_OK(shown);
    EXPECT_TRUE(shown.ok() && shown->has_value());
    return shown.ok() && shown->has_value() ? (*shown)->execution : Execution{};
  }

  test::TempDir dir_;
  std::string fresh_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ExecutionQueue> queue_;
};

TEST_P(ExecutionQueueTest, ClaimTakesReadyTasksOfItsTopicsOldestFirstOnce) {
  int64_t b = Add(Task("load", 200));
  int64_t a = Add(Task("load", 100));
  Add(Task("other", 100));
  int64_t later = Add(Task("load", 5000));
  EXPECT_EQ(ClaimIds({"load"}, "w1", 10, 1000), (std::vector<int64_t>{a, b}));
  EXPECT_EQ(ClaimIds({"load"}, "w2", 10, 1000), std::vector<int64_t>{});
  EXPECT_EQ(ClaimIds({"load"}, "w2", 10, 5000), std::vector<int64_t>{later});

  Execution e = Get(a);
  EXPECT_EQ(e.status, ExecutionStatus::kRunning);
  EXPECT_EQ(e.attempt, 1);
  EXPECT_EQ(e.owner, "w1");
  EXPECT_EQ(e.lease_until_ms, 31'000);
  EXPECT_EQ(e.started_at_ms, 1000);
  EXPECT_EQ(e.Task(), "load:j");
  EXPECT_EQ(e.info, "s3://bucket/load");
  EXPECT_EQ(e.task_time_ms, 1'700'000'000'000);
}

TEST_P(ExecutionQueueTest, ClaimHonoursTheLimit) {
  for (int i = 0; i < 5; ++i) Add(Task("t", i));
  EXPECT_EQ(ClaimIds({"t"}, "w", 2, 1000).size(), 2u);
  EXPECT_EQ(ClaimIds({"t", "u"}, "w", 10, 1000).size(), 3u);
}

TEST_P(ExecutionQueueTest, CompletionIsFencedOnAttemptAndOwner) {
  int64_t id = Add(Task("t", 0));
  ASSERT_EQ(ClaimIds({"t"}, "w1", 1, 1000), std::vector<int64_t>{id});
  AttemptEnd ok;
  ok.exit_status = 0;
  ok.stdout_tail = "done\n";
  auto wrong_owner = queue_->Finish({id, 1, "w2"}, ok, 2000, 0);
  ASSERT_OK(wrong_owner);
  EXPECT_EQ(wrong_owner->outcome, FinishOutcome::kStale);
  auto wrong_attempt = queue_->Finish({id, 2, "w1"}, ok, 2000, 0);
  ASSERT_OK(wrong_attempt);
  EXPECT_EQ(wrong_attempt->outcome, FinishOutcome::kStale);
  EXPECT_EQ(Get(id).status, ExecutionStatus::kRunning);

  auto done = queue_->Finish({id, 1, "w1"}, ok, 2000, 0);
  ASSERT_OK(done);
  EXPECT_EQ(done->outcome, FinishOutcome::kCompleted);
  auto again = queue_->Finish({id, 1, "w1"}, ok, 3000, 0);
  ASSERT_OK(again);
  EXPECT_EQ(again->outcome, FinishOutcome::kStale);

  auto shown = queue_->Show(id);
  ASSERT_OK(shown);
  ASSERT_TRUE(shown->has_value());
  EXPECT_EQ((*shown)->execution.status, ExecutionStatus::kCompleted);
  EXPECT_EQ((*shown)->execution.finished_at_ms, 2000);
  EXPECT_EQ((*shown)->execution.owner, std::nullopt);
  ASSERT_EQ((*shown)->attempts.size(), 1u);
  EXPECT_EQ((*shown)->attempts[0].outcome, "completed");
  EXPECT_EQ((*shown)->attempts[0].exit_status, 0);
  EXPECT_EQ((*shown)->attempts[0].stdout_tail, "done\n");
  EXPECT_EQ((*shown)->attempts[0].finished_at_ms, 2000);
}

TEST_P(ExecutionQueueTest, AFailureRetriesAfterTheDelayPlusJitterThenFails) {
  int64_t id = Add(Task("t", 0, /*max_attempts=*/2));
  ASSERT_EQ(ClaimIds({"t"}, "w", 1, 1000), std::vector<int64_t>{id});
  AttemptEnd failed{AttemptEnd::Kind::kFailed, 3, "exit status 3", "", "boom\n"};
  auto first = queue_->Finish({id, 1, "w"}, failed, 2000, 0.25);
  ASSERT_OK(first);
  EXPECT_EQ(first->outcome, FinishOutcome::kRetrying);
  EXPECT_EQ(first->run_at_ms, 2000 + 1000 + 250);
  Execution e = Get(id);
  EXPECT_EQ(e.status, ExecutionStatus::kPending);
  EXPECT_EQ(e.error, "exit status 3");
  EXPECT_EQ(e.finished_at_ms, std::nullopt);

  EXPECT_EQ(ClaimIds({"t"}, "w", 1, 3249), std::vector<int64_t>{});
  ASSERT_EQ(ClaimIds({"t"}, "w", 1, 3250), std::vector<int64_t>{id});
  auto second = queue_->Finish({id, 2, "w"}, failed, 4000, 0.25);
  ASSERT_OK(second);
  EXPECT_EQ(second->outcome, FinishOutcome::kFailed);
  e = Get(id);
  EXPECT_EQ(e.status, ExecutionStatus::kFailed);
  EXPECT_EQ(e.attempt, 2);
  EXPECT_EQ(e.finished_at_ms, 4000);
}

TEST_P(ExecutionQueueTest, TheLastAttemptTimingOutIsATimeout) {
  int64_t id = Add(Task("t", 0));
  ASSERT_EQ(ClaimIds({"t"}, "w", 1, 1000), std::vector<int64_t>{id});
  auto r = queue_->Finish({id, 1, "w"},
                          {AttemptEnd::Kind::kTimeout, std::nullopt, "timed out after 1s", "", ""},
                          5000, 0);
  ASSERT_OK(r);
  EXPECT_EQ(r->outcome, FinishOutcome::kTimedOut);
  EXPECT_EQ(Get(id).status, ExecutionStatus::kTimeout);
  EXPECT_EQ(Get(id).error, "timed out after 1s");
}

TEST_P(ExecutionQueueTest, AnExpiredLeaseIsRescuedAndTheOldAttemptChangesNothing) {
  int64_t id = Add(Task("t", 0));
  ASSERT_EQ(ClaimIds({"t"}, "dead", 1, 1000, 5000), std::vector<int64_t>{id});
  auto none = queue_->RescueExpired(6000);  // the lease ends at 6000: not expired yet
  ASSERT_OK(none);
  EXPECT_EQ(*none, 0);
  auto rescued = queue_->RescueExpired(6001);
  ASSERT_OK(rescued);
  EXPECT_EQ(*rescued, 1);
  Execution e = Get(id);
  EXPECT_EQ(e.status, ExecutionStatus::kPending);
  EXPECT_EQ(e.run_at_ms, 6001);
  EXPECT_EQ(e.error, "attempt 1 lost: its worker dead stopped renewing its lease");

  // The lost attempt does not use up the only attempt.
  ASSERT_EQ(ClaimIds({"t"}, "alive", 1, 6002), std::vector<int64_t>{id});
  AttemptEnd ok;
  auto late = queue_->Finish({id, 1, "dead"}, ok, 6003, 0);
  ASSERT_OK(late);
  EXPECT_EQ(late->outcome, FinishOutcome::kStale);
  auto lost = queue_->Heartbeat("dead", {id}, 6003, 5000);
  ASSERT_OK(lost);
  EXPECT_EQ(*lost, std::vector<int64_t>{id});
  auto done = queue_->Finish({id, 2, "alive"}, ok, 6004, 0);
  ASSERT_OK(done);
  EXPECT_EQ(done->outcome, FinishOutcome::kCompleted);

  auto shown = queue_->Show(id);
  ASSERT_OK(shown);
  ASSERT_EQ((*shown)->attempts.size(), 2u);
  EXPECT_EQ((*shown)->attempts[0].outcome, "lost");
  EXPECT_EQ((*shown)->attempts[0].owner, "dead");
  EXPECT_EQ((*shown)->attempts[1].outcome, "completed");
  EXPECT_EQ((*shown)->attempts[1].owner, "alive");
}

TEST_P(ExecutionQueueTest, ATaskThatKeepsLosingItsWorkerFailsAfterTheLimit) {
  int64_t id = Add(Task("t", 0));
  int64_t now = 1000;
  for (int i = 0; i <= kMaxLostAttempts; ++i) {
    ASSERT_EQ(ClaimIds({"t"}, "w", 1, now, 10), std::vector<int64_t>{id});
    now += 100;
    auto rescued = queue_->RescueExpired(now);
    ASSERT_OK(rescued);
    EXPECT_EQ(*rescued, 1);
  }
  EXPECT_EQ(Get(id).status, ExecutionStatus::kFailed);
  EXPECT_EQ(Get(id).attempt, kMaxLostAttempts + 1);
}

TEST_P(ExecutionQueueTest, HeartbeatsExtendLeasesAndReportCancelledTasks) {
  int64_t a = Add(Task("t", 0));
  int64_t b = Add(Task("t", 1));
  ASSERT_EQ(ClaimIds({"t"}, "w", 2, 1000, 5000), (std::vector<int64_t>{a, b}));
  auto cancelled = queue_->Cancel(b, 2000);
  ASSERT_OK(cancelled);
  EXPECT_TRUE(*cancelled);
  auto lost = queue_->Heartbeat("w", {a, b}, 4000, 5000);
  ASSERT_OK(lost);
  EXPECT_EQ(*lost, std::vector<int64_t>{b});
  EXPECT_EQ(Get(a).lease_until_ms, 9000);
  auto rescued = queue_->RescueExpired(8000);
  ASSERT_OK(rescued);
  EXPECT_EQ(*rescued, 0);
  EXPECT_EQ(Get(b).status, ExecutionStatus::kCancelled);
}

// Clocks that jump: a worker's clock stepped back does not shorten its
// lease for the processes whose clocks did not, and a rescuer's clock
// stepped forward past a live lease makes the task run again but complete
// once (the late attempt is fenced).
TEST_P(ExecutionQueueTest, ClocksThatJumpNeitherShortenALeaseNorCompleteATaskTwice) {
  int64_t id = Add(Task("t", 0));
  ASSERT_EQ(ClaimIds({"t"}, "w", 1, 100'000, 5000), std::vector<int64_t>{id});
  auto beat = queue_->Heartbeat("w", {id}, 40'000, 5000);  // a minute back
  ASSERT_OK(beat);
  EXPECT_TRUE(beat->empty());
  EXPECT_EQ(Get(id).lease_until_ms, 105'000);
  auto rescued = queue_->RescueExpired(104'000);
  ASSERT_OK(rescued);
  EXPECT_EQ(*rescued, 0);
  beat = queue_->Heartbeat("w", {id}, 103'000, 5000);
  ASSERT_OK(beat);
  EXPECT_EQ(Get(id).lease_until_ms, 108'000);

  // Another process's clock an hour ahead rescues the live attempt.
  rescued = queue_->RescueExpired(3'700'000);
  ASSERT_OK(rescued);
  EXPECT_EQ(*rescued, 1);
  ASSERT_EQ(ClaimIds({"t"}, "v", 1, 3'700'001), std::vector<int64_t>{id});
  AttemptEnd ok;
  auto first = queue_->Finish({id, 1, "w"}, ok, 104'000, 0);
  ASSERT_OK(first);
  EXPECT_EQ(first->outcome, FinishOutcome::kStale);
  auto second = queue_->Finish({id, 2, "v"}, ok, 3'700'002, 0);
  ASSERT_OK(second);
  EXPECT_EQ(second->outcome, FinishOutcome::kCompleted);
  auto again = queue_->Finish({id, 2, "v"}, ok, 3'700'003, 0);
  ASSERT_OK(again);
  EXPECT_EQ(again->outcome, FinishOutcome::kStale);
  EXPECT_EQ(Get(id).status, ExecutionStatus::kCompleted);
}

TEST_P(ExecutionQueueTest, CancelAndRetry) {
  int64_t id = Add(Task("t", 0));
  auto retried = queue_->Retry(id, 10);
  ASSERT_OK(retried);
  EXPECT_FALSE(*retried);  // still pending
  auto cancelled = queue_->Cancel(id, 10);
  ASSERT_OK(cancelled);
  EXPECT_TRUE(*cancelled);
  EXPECT_EQ(ClaimIds({"t"}, "w", 1, 1000), std::vector<int64_t>{});
  auto twice = queue_->Cancel(id, 20);
  ASSERT_OK(twice);
  EXPECT_FALSE(*twice);
  retried = queue_->Retry(id, 30);
  ASSERT_OK(retried);
  EXPECT_TRUE(*retried);
  EXPECT_EQ(ClaimIds({"t"}, "w", 1, 1000), std::vector<int64_t>{id});

  auto unknown = queue_->Cancel(999'999, 0);
  EXPECT_EQ(unknown.status().message(), "no execution 999999");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
}

TEST_P(ExecutionQueueTest, AFireIsRecordedAndEnqueuedOnce) {
  auto first =
      queue_->EnqueueFire("etl.toml:load", 60'000, 120'000, "s1", {Task("load", 60'000)}, 60'001);
  ASSERT_OK(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->size(), 1u);
  auto second =
      queue_->EnqueueFire("etl.toml:load", 60'000, 120'000, "s2", {Task("load", 60'000)}, 60'002);
  ASSERT_OK(second);
  EXPECT_FALSE(second->has_value());
  auto next = queue_->EnqueueFire("etl.toml:load", 120'000, 180'000, "s2", {Task("load", 120'000)},
                                  120'001);
  ASSERT_OK(next);
  EXPECT_TRUE(next->has_value());
  auto listed = queue_->List({});
  ASSERT_OK(listed);
  EXPECT_EQ(listed->size(), 2u);
}

TEST_P(ExecutionQueueTest, AFileArrivalWithAKeyStartsItsExecutionsOnce) {
  auto first = queue_->EnqueueArrival("s3://in/a.csv", "etag-1",
                                      {Task("load", 60'000), Task("index", 60'000)}, 60'001);
  ASSERT_OK(first);
  EXPECT_TRUE(first->first);
  ASSERT_EQ(first->ids.size(), 2u);
  // Told again (a retry after a kill, a duplicated event): nothing new, the
  // same ids.
  auto again = queue_->EnqueueArrival("s3://in/a.csv", "etag-1", {Task("load", 60'000)}, 60'002);
  ASSERT_OK(again);
  EXPECT_FALSE(again->first);
  EXPECT_EQ(again->ids, first->ids);
  // Another key, or the same key for another path, is another arrival.
  auto next = queue_->EnqueueArrival("s3://in/a.csv", "etag-2", {Task("load", 60'000)}, 60'003);
  ASSERT_OK(next);
  EXPECT_TRUE(next->first);
  auto other = queue_->EnqueueArrival("s3://in/b.csv", "etag-1", {}, 60'004);
  ASSERT_OK(other);
  EXPECT_TRUE(other->first);
  EXPECT_TRUE(other->ids.empty());
  auto listed = queue_->List({});
  ASSERT_OK(listed);
  EXPECT_EQ(listed->size(), 3u);
  // Pruned with the executions' retention: then it is new again.
  ASSERT_OK(queue_->PruneFinished(70'000));
  auto late = queue_->EnqueueArrival("s3://in/a.csv", "etag-1", {}, 80'000);
  ASSERT_OK(late);
  EXPECT_TRUE(late->first);
}

TEST_P(ExecutionQueueTest, ASchedulesFiresAreDueFromItsLastFireOrWhenItWasRegistered) {
  auto since = queue_->RegisterSchedule("etl.toml:load", "0 * * * *", 1000);
  ASSERT_OK(since);
  EXPECT_EQ(*since, 1000);
  since = queue_->RegisterSchedule("etl.toml:load", "0 * * * *", 2000);
  ASSERT_OK(since);
  EXPECT_EQ(*since, 1000);
  ASSERT_OK(queue_->EnqueueFire("etl.toml:load", 3'600'000, 7'200'000, "s", {}, 3'600'001));
  since = queue_->RegisterSchedule("etl.toml:load", "0 * * * *", 4'000'000);
  ASSERT_OK(since);
  EXPECT_EQ(*since, 3'600'000);
  // A new spec starts from now.
  since = queue_->RegisterSchedule("etl.toml:load", "*/5 * * * *", 5'000'000);
  ASSERT_OK(since);
  EXPECT_EQ(*since, 5'000'000);
}

TEST_P(ExecutionQueueTest, AFinishedExecutionIsFollowedUpOnce) {
  int64_t parent = Add(Task("t", 0));
  auto none = queue_->PendingFollowUps(10);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  ASSERT_EQ(ClaimIds({"t"}, "w", 1, 1000), std::vector<int64_t>{parent});
  ASSERT_OK(queue_->Finish({parent, 1, "w"}, {}, 2000, 0));
  auto due = queue_->PendingFollowUps(10);
  ASSERT_OK(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].id, parent);
  NewExecution child = Task("child", 2000);
  child.parent_id = parent;
  child.trigger = Trigger::kWorkflow;
  auto first = queue_->FollowUp(parent, {child}, 2000);
  ASSERT_OK(first);
  EXPECT_TRUE(*first);
  auto second = queue_->FollowUp(parent, {child}, 2001);
  ASSERT_OK(second);
  EXPECT_FALSE(*second);
  due = queue_->PendingFollowUps(10);
  ASSERT_OK(due);
  EXPECT_TRUE(due->empty());
  ExecutionFilter children;
  children.topic = "child";
  auto listed = queue_->List(children);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].parent_id, parent);
  EXPECT_EQ((*listed)[0].trigger, Trigger::kWorkflow);
}

TEST_P(ExecutionQueueTest, ListFiltersNewestFirstAndPruneDropsOldFinishedOnes) {
  int64_t a = Add(Task("t", 0));
  int64_t b = Add(Task("u", 0));
  ASSERT_EQ(ClaimIds({"t"}, "w", 1, 1000), std::vector<int64_t>{a});
  ASSERT_OK(queue_->Finish({a, 1, "w"}, {}, 2000, 0));
  auto all = queue_->List({});
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, b);
  ExecutionFilter done;
  done.status = ExecutionStatus::kCompleted;
  auto completed = queue_->List(done);
  ASSERT_OK(completed);
  ASSERT_EQ(completed->size(), 1u);
  EXPECT_EQ((*completed)[0].id, a);

  auto kept = queue_->PruneFinished(2000);
  ASSERT_OK(kept);
  EXPECT_EQ(*kept, 0);
  // Not before its follow-up is enqueued.
  kept = queue_->PruneFinished(2001);
  ASSERT_OK(kept);
  EXPECT_EQ(*kept, 0);
  ASSERT_OK(queue_->FollowUp(a, {}, 2000));
  auto pruned = queue_->PruneFinished(2001);
  ASSERT_OK(pruned);
  EXPECT_EQ(*pruned, 1);
  auto shown = queue_->Show(a);
  ASSERT_OK(shown);
  EXPECT_FALSE(shown->has_value());
  auto unfinished = queue_->HasUnfinished({"u"});
  ASSERT_OK(unfinished);
  EXPECT_TRUE(*unfinished);
  unfinished = queue_->HasUnfinished({"t"});
  ASSERT_OK(unfinished);
  EXPECT_FALSE(*unfinished);
}

// Claimers on their own sessions never share an execution and lose none.
TEST_P(ExecutionQueueTest, ConcurrentClaimersTakeEachExecutionOnce) {
  constexpr int kTasks = 120;
  for (int i = 0; i < kTasks; ++i) Add(Task("t", i));
  std::mutex mu;
  std::map<int64_t, int> claimed;
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      std::unique_ptr<Store> store = Open();
      auto queue = OpenExecutionQueue(*store);
      ASSERT_OK(queue);
      std::string owner = "w" + std::to_string(w);
      while (true) {
        auto got = (*queue)->Claim({"t"}, owner, 3, 1000, 30'000);
        ASSERT_OK(got);
        if (got->empty()) break;
        for (const Execution& e : *got) {
          {
            std::lock_guard lock(mu);
            ++claimed[e.id];
          }
          auto r = (*queue)->Finish({e.id, e.attempt, owner}, {}, 2000, 0);
          ASSERT_OK(r);
          EXPECT_EQ(r->outcome, FinishOutcome::kCompleted);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kTasks));
  for (const auto& [id, times] : claimed) EXPECT_EQ(times, 1) << "execution " << id;
}

TEST_P(ExecutionQueueTest, PruneDeletesOldFinishedExecutionsOnceFollowedUp) {
  auto days = queue_->RetentionDays();
  ASSERT_OK(days);
  EXPECT_EQ(*days, 30);
  const int64_t done = Add(Task("a", 1000));
  const int64_t waiting = Add(Task("b", 1000));
  const int64_t cancelled = Add(Task("c", 1000));
  const int64_t recent = Add(Task("d", 1000));
  const int64_t pending = Add(Task("e", 1000));
  AttemptEnd ok;
  for (int64_t id : {done, waiting}) {
    std::string topic = id == done ? "a" : "b";
    ASSERT_EQ(ClaimIds({topic}, "w", 1, 2000), std::vector<int64_t>{id});
    ASSERT_OK(queue_->Finish({id, 1, "w"}, ok, 3000, 0));
  }
  ASSERT_OK(queue_->Cancel(cancelled, 3000));
  ASSERT_EQ(ClaimIds({"d"}, "w", 1, 2000), std::vector<int64_t>{recent});
  ASSERT_OK(queue_->Finish({recent, 1, "w"}, ok, 9000, 0));
  // `done` was followed up (its children enqueued); `waiting` not yet.
  ASSERT_OK(queue_->FollowUp(done, {}, 4000));
  ASSERT_OK(queue_->FollowUp(recent, {}, 9500));

  auto pruned = queue_->PruneFinished(5000);
  ASSERT_OK(pruned);
  EXPECT_EQ(*pruned, 2);  // done and cancelled
  for (int64_t gone : {done, cancelled}) {
    auto shown = queue_->Show(gone);
    ASSERT_OK(shown);
    EXPECT_FALSE(shown->has_value()) << gone;
  }
  for (int64_t kept : {waiting, recent, pending}) EXPECT_EQ(Get(kept).id, kept);
  pruned = queue_->PruneFinished(5000);
  ASSERT_OK(pruned);
  EXPECT_EQ(*pruned, 0);
}

TEST_P(ExecutionQueueTest, AWaitingWorkerIsWokenByAnEnqueueOnPostgres) {
  // The waiter's own session: what another process would hold.
  std::unique_ptr<Store> other = Open();
  auto waiter = OpenExecutionQueue(*other);
  ASSERT_OK(waiter);
  auto idle = (*waiter)->WaitForWork(50);  // starts listening, nothing comes
  ASSERT_OK(idle);
  EXPECT_FALSE(*idle);
  Add(Task("t", 1000));
  const auto start = std::chrono::steady_clock::now();
  const bool postgres = GetParam().name == "postgres";
  auto woken = (*waiter)->WaitForWork(postgres ? 5000 : 100);
  ASSERT_OK(woken);
  const auto waited = std::chrono::steady_clock::now() - start;
  if (postgres) {
    EXPECT_TRUE(*woken);
    EXPECT_LT(waited, std::chrono::milliseconds(4000));
  } else {
    // SQLite has no wake-ups: the whole timeout passes, then a claim finds it.
    EXPECT_FALSE(*woken);
  }
}

TEST_P(ExecutionQueueTest, ABatchCompletesInOneGoFencedLikeFinish) {
  const int64_t a = Add(Task("t", 1000));
  const int64_t b = Add(Task("t", 1000));
  const int64_t c = Add(Task("t", 1000));
  ASSERT_EQ(ClaimIds({"t"}, "w", 10, 2000), (std::vector<int64_t>{a, b, c}));
  AttemptEnd ok;
  ASSERT_OK(queue_->Finish({b, 1, "w"}, ok, 2500, 0));  // already ended: stale
  auto done = queue_->CompleteBatch("w", {{a, 1, "w"}, {b, 1, "w"}, {c, 2, "w"}}, 3000);
  ASSERT_OK(done);
  EXPECT_EQ(*done, std::vector<int64_t>{a});  // c: not its attempt
  EXPECT_EQ(Get(a).status, ExecutionStatus::kCompleted);
  EXPECT_EQ(Get(a).finished_at_ms, std::optional<int64_t>(3000));
  EXPECT_EQ(Get(c).status, ExecutionStatus::kRunning);
  auto shown = queue_->Show(a);
  ASSERT_OK(shown);
  ASSERT_EQ((*shown)->attempts.size(), 1u);
  EXPECT_EQ((*shown)->attempts[0].outcome, "completed");
  done = queue_->CompleteBatch("other", {{c, 1, "other"}}, 3000);
  ASSERT_OK(done);
  EXPECT_TRUE(done->empty());
  done = queue_->CompleteBatch("w", {{c, 1, "w"}}, 3100);
  ASSERT_OK(done);
  EXPECT_EQ(*done, std::vector<int64_t>{c});
}

TEST_P(ExecutionQueueTest, WorkersRegisterBeatStopAndArePrunedWhenLongGone) {
  ASSERT_OK(queue_->RegisterWorker({"h:1:a", "worker", "load,report", 1000, 1000, {}}));
  ASSERT_OK(queue_->RegisterWorker({"h:2:b", "scheduler", "", 1500, 1500, {}}));
  ASSERT_OK(queue_->WorkerHeartbeat("h:1:a", 3000));
  ASSERT_OK(queue_->StopWorker("h:2:b", 2000));
  auto listed = queue_->ListWorkers();
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "h:1:a");
  EXPECT_EQ((*listed)[0].topics, "load,report");
  EXPECT_EQ((*listed)[0].heartbeat_ms, 3000);
  EXPECT_FALSE((*listed)[0].stopped_ms.has_value());
  EXPECT_EQ((*listed)[1].kind, "scheduler");
  EXPECT_EQ((*listed)[1].stopped_ms, std::optional<int64_t>(2000));
  // Registering again (a restarted process with the same id) renews it.
  ASSERT_OK(queue_->RegisterWorker({"h:2:b", "scheduler", "", 4000, 4000, {}}));
  EXPECT_FALSE(queue_->ListWorkers()->back().stopped_ms.has_value());
  ASSERT_OK(queue_->PruneFinished(3500));  // h:1:a last seen at 3000
  listed = queue_->ListWorkers();
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, "h:2:b");
}

TEST_P(ExecutionQueueTest, VariablesPerEnvironmentSetReplacedAndUnset) {
  ASSERT_OK(queue_->SetVariable({"prod", "B_URL", "https://b", false, 10}));
  ASSERT_OK(queue_->SetVariable({"prod", "A_TOKEN", "sealed:v1:xyz", true, 11}));
  ASSERT_OK(queue_->SetVariable({"dev", "B_URL", "http://localhost", false, 12}));
  ASSERT_OK(queue_->SetVariable({"prod", "B_URL", "https://b2", false, 13}));
  auto prod = queue_->Variables("prod");
  ASSERT_OK(prod);
  ASSERT_EQ(prod->size(), 2u);
  EXPECT_EQ((*prod)[0].name, "A_TOKEN");
  EXPECT_TRUE((*prod)[0].secret);
  EXPECT_EQ((*prod)[0].value, "sealed:v1:xyz");
  EXPECT_EQ((*prod)[1].name, "B_URL");
  EXPECT_FALSE((*prod)[1].secret);
  EXPECT_EQ((*prod)[1].value, "https://b2");
  EXPECT_EQ((*prod)[1].updated_ms, 13);
  auto removed = queue_->UnsetVariable("prod", "B_URL");
  ASSERT_OK(removed);
  EXPECT_TRUE(*removed);
  removed = queue_->UnsetVariable("prod", "B_URL");
  ASSERT_OK(removed);
  EXPECT_FALSE(*removed);
  auto dev = queue_->Variables("dev");
  ASSERT_OK(dev);
  ASSERT_EQ(dev->size(), 1u);
  EXPECT_EQ((*dev)[0].value, "http://localhost");
  EXPECT_EQ(queue_->Variables("prod")->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ExecutionQueueTest, ::testing::ValuesIn(test::TestBackends()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace flowsync
