// The ExecutionQueue of both backends: the same SQL over a SqlConnection,
// the one difference being how a claim skips rows others are claiming
// (PostgreSQL FOR UPDATE SKIP LOCKED; SQLite has one writer at a time).
#pragma once

#include "flowsync/execution_queue.h"
#include "store/sql_connection.h"

namespace flowsync {

// Attempts lost to dead workers (leases that ran out) do not count against
// an execution's max_attempts; after this many it fails all the same, so a
// task that kills its worker every time does not run for ever.
inline constexpr int kMaxLostAttempts = 3;

class SqlExecutionQueue final : public ExecutionQueue {
 public:
  // REQUIRES: `conn` outlives this object.
  explicit SqlExecutionQueue(SqlConnection& conn) : conn_(conn) {}

  Result<int64_t> Enqueue(const NewExecution& e, int64_t now_ms) override;
  Result<std::optional<std::vector<int64_t>>> EnqueueFire(
      const std::string& schedule, int64_t fire_ms, std::optional<int64_t> next_fire_ms,
      const std::string& fired_by, const std::vector<NewExecution>& executions,
      int64_t now_ms) override;
  Result<Arrival> EnqueueArrival(const std::string& path, const std::string& key,
                                 const std::vector<NewExecution>& executions,
                                 int64_t now_ms) override;
  Result<int64_t> RegisterSchedule(const std::string& schedule, const std::string& cron,
                                   int64_t now_ms) override;
  Result<std::vector<Execution>> PendingFollowUps(int limit) override;
  Result<bool> FollowUp(int64_t id, const std::vector<NewExecution>& next, int64_t now_ms) override;
  Result<std::vector<Execution>> Claim(const std::vector<std::string>& topics,
                                       const std::string& owner, int limit, int64_t now_ms,
                                       int64_t lease_ms) override;
  Result<std::vector<int64_t>> Heartbeat(const std::string& owner, const std::vector<int64_t>& held,
                                         int64_t now_ms, int64_t lease_ms) override;
  Result<FinishResult> Finish(const AttemptRef& ref, const AttemptEnd& end, int64_t now_ms,
                              double jitter) override;
  Result<std::vector<int64_t>> CompleteBatch(const std::string& owner,
                                             const std::vector<AttemptRef>& attempts,
                                             int64_t now_ms) override;
  Result<int> RescueExpired(int64_t now_ms) override;
  Result<bool> Cancel(int64_t id, int64_t now_ms) override;
  Result<bool> Retry(int64_t id, int64_t now_ms) override;
  Result<std::vector<Execution>> List(const ExecutionFilter& filter) override;
  Result<std::optional<ExecutionDetail>> Show(int64_t id) override;
  Result<bool> HasUnfinished(const std::vector<std::string>& topics) override;
  Result<bool> WaitForWork(int64_t timeout_ms) override;
  Result<int64_t> PruneFinished(int64_t before_ms) override;
  Result<int64_t> RetentionDays() override;
  Status RegisterWorker(const WorkerRecord& w) override;
  Status WorkerHeartbeat(const std::string& id, int64_t now_ms) override;
  Status StopWorker(const std::string& id, int64_t now_ms) override;
  Result<std::vector<WorkerRecord>> ListWorkers() override;
  Result<std::vector<Variable>> Variables(const std::string& environment) override;
  Status SetVariable(const Variable& v) override;
  Result<bool> UnsetVariable(const std::string& environment, const std::string& name) override;

 private:
  Result<int64_t> Insert(const NewExecution& e, int64_t now_ms);
  // Runs `body` in a write transaction: committed when it returns OK,
  // rolled back otherwise.
  Status InWrite(const std::function<Status()>& body);
  Status Exists(int64_t id);

  SqlConnection& conn_;
};

}  // namespace flowsync
