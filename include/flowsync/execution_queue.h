// ExecutionQueue: the durable queue of phase-task executions that the
// scheduler fills and workers drain (src/run/), and what `flowsync run` and
// `flowsync executions` read and change.
//
// An execution is one triggered run of a task (topic:job): it is pending
// until its run_at time, then claimed by a worker (running, attempt N, an
// owner and a lease), then completed, failed, timed out or cancelled. A
// failed or timed-out attempt with attempts left makes the execution pending
// again at now + retry_delay + jitter, in the database, so a restart loses
// no retry. Every change an attempt makes is fenced on (execution, attempt,
// owner): once a lease ran out and the execution was rescued (or cancelled),
// the old attempt's late heartbeat or completion changes nothing and says so
// (FinishOutcome::kStale).
//
// Claims are short write transactions: on PostgreSQL `FOR UPDATE SKIP
// LOCKED`, so workers never wait for each other's rows; on SQLite
// `BEGIN IMMEDIATE` (one writer at a time, each holding the lock for one
// statement or two). Times are milliseconds since the Unix epoch, passed in
// by the caller from its Clock.
//
// Opened by OpenExecutionQueue(store); lives no longer than its Store.
// Thread-safety: as its Store (one thread at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/status.h"

namespace flowsync {

class Store;

enum class ExecutionStatus { kPending, kRunning, kCompleted, kFailed, kCancelled, kTimeout };
// "pending", "running", "completed", "failed", "cancelled", "timeout".
std::string_view ExecutionStatusName(ExecutionStatus status);
std::optional<ExecutionStatus> ParseExecutionStatus(std::string_view name);

// What started an execution: a cron or batch phase firing, a person
// (`flowsync run`), a webhook, a parent completing, a file matching a
// `files=` rule.
enum class Trigger { kSchedule, kManual, kWebhook, kWorkflow, kFiles };
std::string_view TriggerName(Trigger trigger);
std::optional<Trigger> ParseTrigger(std::string_view name);

// WORKFLOW_EXECUTION_TIMEOUT's default: an hour.
inline constexpr int64_t kDefaultExecutionTimeoutMs = 3'600'000;

struct NewExecution {
  std::string workflow;  // the phase file's key; "" when there is none
  std::string topic;
  std::string job;  // may be empty
  std::optional<int64_t> task_time_ms;
  Trigger trigger = Trigger::kManual;
  std::string info;      // the rendered template
  std::string meta;      // flowlord's query-string meta
  int max_attempts = 1;  // phase retry + 1
  int64_t retry_delay_ms = 1000;
  int64_t timeout_ms = kDefaultExecutionTimeoutMs;
  int64_t run_at_ms = 0;  // ready from then on
  std::optional<int64_t> parent_id;
};

struct Execution {
  int64_t id = 0;
  std::string workflow, topic, job;
  std::optional<int64_t> task_time_ms;
  Trigger trigger = Trigger::kManual;
  ExecutionStatus status = ExecutionStatus::kPending;
  int attempt = 0;  // attempts started
  int max_attempts = 1;
  int64_t retry_delay_ms = 0, timeout_ms = 0, run_at_ms = 0, created_at_ms = 0;
  std::optional<int64_t> started_at_ms, finished_at_ms, lease_until_ms, parent_id;
  std::optional<std::string> owner, error;
  std::string info, meta;

  // "topic:job", or "topic" without a job.
  std::string Task() const;
};

struct AttemptRecord {
  int attempt = 0;
  std::string owner;
  int64_t started_at_ms = 0, heartbeat_ms = 0;
  std::optional<int64_t> finished_at_ms;
  std::string outcome;  // running, completed, failed, timeout, lost, cancelled
  std::optional<int> exit_status;
  std::optional<std::string> error;
  std::string stdout_tail, stderr_tail;
};

struct ExecutionDetail {
  Execution execution;
  std::vector<AttemptRecord> attempts;  // by attempt
};

// The attempt a worker holds: what fences its heartbeats and its end.
struct AttemptRef {
  int64_t execution_id = 0;
  int attempt = 0;
  std::string owner;
};

struct AttemptEnd {
  enum class Kind { kCompleted, kFailed, kTimeout };
  Kind kind = Kind::kCompleted;
  std::optional<int> exit_status;
  std::string error;  // why it failed; empty when it completed
  std::string stdout_tail, stderr_tail;
};

enum class FinishOutcome {
  kCompleted,  // the execution completed
  kRetrying,   // pending again at run_at (attempts left)
  kFailed,     // the last attempt failed: the execution failed
  kTimedOut,   // the last attempt timed out: the execution timed out
  kStale,      // the attempt no longer held the execution: nothing changed
};

struct FinishResult {
  FinishOutcome outcome = FinishOutcome::kStale;
  int64_t run_at_ms = 0;  // kRetrying: when it is ready again
};

struct ExecutionFilter {
  std::optional<ExecutionStatus> status;
  std::optional<std::string> topic;
  int64_t limit = 100;  // newest first
};

// A value a task's command receives as an environment variable, per
// environment (seed 001's workflow_variables). A secret's `value` is what
// is stored: sealed by run/secret_box.h, never the plain text.
struct Variable {
  std::string environment;
  std::string name;
  std::string value;
  bool secret = false;
  int64_t updated_ms = 0;
};

// A worker or scheduler process, as it registers itself (table workers).
struct WorkerRecord {
  std::string id;      // host:pid:random (a worker's slots add /N)
  std::string kind;    // "worker" or "scheduler"
  std::string topics;  // a worker's topics, comma-separated
  int64_t started_ms = 0;
  int64_t heartbeat_ms = 0;
  std::optional<int64_t> stopped_ms;  // set when it stopped cleanly
};

class ExecutionQueue {
 public:
  virtual ~ExecutionQueue() = default;

  // Adds a pending execution; returns its id.
  virtual Result<int64_t> Enqueue(const NewExecution& e, int64_t now_ms) = 0;

  // Records fire `fire_ms` of `schedule` (also as its last fire, with
  // `next_fire_ms` as its next) and enqueues `executions` with it, in one
  // transaction, unless that fire was recorded before (by any
  // scheduler): then nothing is written and the result is empty. The ids
  // otherwise, in order.
  virtual Result<std::optional<std::vector<int64_t>>> EnqueueFire(
      const std::string& schedule, int64_t fire_ms, std::optional<int64_t> next_fire_ms,
      const std::string& fired_by, const std::vector<NewExecution>& executions, int64_t now_ms) = 0;

  // Records that the file at `path` arrived with key `key` and enqueues
  // `executions` with it, in one transaction, unless that arrival was
  // recorded before (by any process): then nothing is written, `first` is
  // false and `ids` are the executions it started then.
  struct Arrival {
    bool first = false;
    std::vector<int64_t> ids;
  };
  virtual Result<Arrival> EnqueueArrival(const std::string& path, const std::string& key,
                                         const std::vector<NewExecution>& executions,
                                         int64_t now_ms) = 0;

  // Registers schedule `schedule` (FILE:TASK) with cron spec `cron`: a new
  // schedule, or one whose spec changed, is due from now on. Returns the
  // time after which its fires are due: its last recorded fire, else when
  // it was registered.
  virtual Result<int64_t> RegisterSchedule(const std::string& schedule, const std::string& cron,
                                           int64_t now_ms) = 0;

  // Finished executions (completed, failed, timed out) whose follow-up
  // (children, failed topic) is not enqueued yet, oldest first.
  virtual Result<std::vector<Execution>> PendingFollowUps(int limit) = 0;

  // Marks execution `id` followed up and enqueues `next`, in one
  // transaction; false (nothing written) when it was followed up already.
  virtual Result<bool> FollowUp(int64_t id, const std::vector<NewExecution>& next,
                                int64_t now_ms) = 0;

  // Claims up to `limit` ready executions (pending, run_at <= now) of
  // `topics`, oldest run_at first: each becomes running with attempt + 1,
  // owner `owner` and a lease until now + lease_ms.
  // REQUIRES: topics non-empty, limit >= 1.
  virtual Result<std::vector<Execution>> Claim(const std::vector<std::string>& topics,
                                               const std::string& owner, int limit, int64_t now_ms,
                                               int64_t lease_ms) = 0;

  // Extends the leases of the attempts `owner` still holds among `held` to
  // now + lease_ms; returns the ids of those it no longer holds (rescued or
  // cancelled meanwhile: their processes should stop).
  virtual Result<std::vector<int64_t>> Heartbeat(const std::string& owner,
                                                 const std::vector<int64_t>& held, int64_t now_ms,
                                                 int64_t lease_ms) = 0;

  // Ends attempt `ref`. A failure or timeout with attempts left makes the
  // execution pending again at now + retry_delay + floor(retry_delay *
  // jitter). REQUIRES: 0 <= jitter < 1 (the retry policy draws 0-0.4).
  virtual Result<FinishResult> Finish(const AttemptRef& ref, const AttemptEnd& end, int64_t now_ms,
                                      double jitter) = 0;

  // Every running execution whose lease ended before now: its attempt is
  // 'lost', and the execution pending again at once when it has attempts
  // left, else failed. Returns how many were rescued.
  // Completes claimed executions of one owner successfully, all in one
  // transaction (what Finish does for a completion, without output): each
  // fenced on (execution, attempt, owner) like Finish. Returns the ids
  // completed; the others were stale.
  virtual Result<std::vector<int64_t>> CompleteBatch(const std::string& owner,
                                                     const std::vector<AttemptRef>& attempts,
                                                     int64_t now_ms) = 0;
  virtual Result<int> RescueExpired(int64_t now_ms) = 0;

  // Cancels a pending or running execution (a running attempt's owner
  // learns it from its next heartbeat). False when it had already ended.
  // NotFound for an unknown id.
  virtual Result<bool> Cancel(int64_t id, int64_t now_ms) = 0;

  // Runs a failed, timed-out or cancelled execution again: pending now, with
  // one more attempt allowed. False when it has not ended or completed.
  // NotFound for an unknown id.
  virtual Result<bool> Retry(int64_t id, int64_t now_ms) = 0;

  virtual Result<std::vector<Execution>> List(const ExecutionFilter& filter) = 0;
  virtual Result<std::optional<ExecutionDetail>> Show(int64_t id) = 0;

  // Whether any execution of `topics` is pending or running (a worker with
  // --exit-when-idle stops when none is).
  virtual Result<bool> HasUnfinished(const std::vector<std::string>& topics) = 0;

  // Waits up to `timeout_ms` for a hint that an execution became ready (a
  // new, retried or rescued one): true when one came. PostgreSQL wakes the
  // waiter at once (LISTEN/NOTIFY); SQLite sleeps the whole time. A hint
  // only: a caller claims after it either way.
  virtual Result<bool> WaitForWork(int64_t timeout_ms) = 0;

  // Deletes executions that finished before `before_ms` (and their
  // attempts), in short transactions of a bounded number each; an execution
  // whose follow-up (children, failed topic) is not enqueued yet stays.
  // File arrivals recorded before `before_ms` go too: the same key told
  // after that starts its phases again. Returns how many executions.
  virtual Result<int64_t> PruneFinished(int64_t before_ms) = 0;
  // How long finished executions are kept: the database's setting
  // (flowsync_meta execution_retention_days, 30 unless changed), in days;
  // 0 keeps them for ever.
  virtual Result<int64_t> RetentionDays() = 0;

  // The processes working on this queue: RegisterWorker adds (or renews)
  // one, Heartbeat says it is alive, StopWorker that it stopped cleanly; one
  // killed keeps its last heartbeat. ListWorkers: newest heartbeat first.
  // PruneFinished also drops those gone before its bound.
  virtual Status RegisterWorker(const WorkerRecord& w) = 0;
  virtual Status WorkerHeartbeat(const std::string& id, int64_t now_ms) = 0;
  virtual Status StopWorker(const std::string& id, int64_t now_ms) = 0;
  virtual Result<std::vector<WorkerRecord>> ListWorkers() = 0;

  // The variables of `environment`, by name.
  virtual Result<std::vector<Variable>> Variables(const std::string& environment) = 0;
  // Adds or replaces one.
  virtual Status SetVariable(const Variable& v) = 0;
  // Removes one; false when there was none.
  virtual Result<bool> UnsetVariable(const std::string& environment, const std::string& name) = 0;
};

// The queue of `store` (no lock is taken: its writes are short
// transactions of their own). Every store OpenStore returns has one.
Result<std::unique_ptr<ExecutionQueue>> OpenExecutionQueue(Store& store);

}  // namespace flowsync
