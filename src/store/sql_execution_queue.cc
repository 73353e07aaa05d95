#include "store/sql_execution_queue.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>

namespace flowsync {
namespace {

// Where workers hear of ready executions (PostgreSQL NOTIFY).
constexpr std::string_view kWakeChannel = "flowsync_executions";

// The columns ExecutionFromRow reads, in its order.
constexpr std::string_view kColumns =
    "id, workflow, topic, job, task_time_ms, trigger_type, status, attempt, max_attempts, "
    "retry_delay_ms, timeout_ms, run_at_ms, created_at_ms, started_at_ms, finished_at_ms, "
    "lease_until_ms, parent_id, owner, error, info, meta";
constexpr size_t kColumnCount = 21;

std::optional<int64_t> OptInt(const SqlValue& v) {
  if (!v) return std::nullopt;
  return SqlInt(v);
}

SqlValue OptText(const std::optional<int64_t>& v) {
  if (!v) return std::nullopt;
  return std::to_string(*v);
}

Result<Execution> ExecutionFromRow(const SqlRow& r) {
  if (r.size() != kColumnCount) return Status::Internal("executions: unexpected result shape");
  Execution e;
  e.id = SqlInt(r[0]);
  e.workflow = SqlText(r[1]);
  e.topic = SqlText(r[2]);
  e.job = SqlText(r[3]);
  e.task_time_ms = OptInt(r[4]);
  auto trigger = ParseTrigger(SqlText(r[5]));
  auto status = ParseExecutionStatus(SqlText(r[6]));
  if (!trigger || !status) {
    return Status::Corruption("execution " + std::to_string(e.id) + ": unknown trigger '" +
                              SqlText(r[5]) + "' or status '" + SqlText(r[6]) + "'");
  }
  e.trigger = *trigger;
  e.status = *status;
  e.attempt = static_cast<int>(SqlInt(r[7]));
  e.max_attempts = static_cast<int>(SqlInt(r[8]));
  e.retry_delay_ms = SqlInt(r[9]);
  e.timeout_ms = SqlInt(r[10]);
  e.run_at_ms = SqlInt(r[11]);
  e.created_at_ms = SqlInt(r[12]);
  e.started_at_ms = OptInt(r[13]);
  e.finished_at_ms = OptInt(r[14]);
  e.lease_until_ms = OptInt(r[15]);
  e.parent_id = OptInt(r[16]);
  e.owner = r[17];
  e.error = r[18];
  e.info = SqlText(r[19]);
  e.meta = SqlText(r[20]);
  return e;
}

Result<std::vector<Execution>> ExecutionsFromRows(const std::vector<SqlRow>& rows) {
  std::vector<Execution> out;
  out.reserve(rows.size());
  for (const SqlRow& r : rows) {
    FS_TRY_ASSIGN(Execution e, ExecutionFromRow(r));
    out.push_back(std::move(e));
  }
  return out;
}

// "$first, $first+1, ..." for `count` parameters.
std::string Placeholders(size_t first, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += "$" + std::to_string(first + i);
  }
  return out;
}

std::string_view AttemptOutcome(AttemptEnd::Kind kind) {
  switch (kind) {
    case AttemptEnd::Kind::kCompleted:
      return "completed";
    case AttemptEnd::Kind::kFailed:
      return "failed";
    case AttemptEnd::Kind::kTimeout:
      return "timeout";
  }
  return "failed";
}

}  // namespace

Result<std::unique_ptr<ExecutionQueue>> OpenExecutionQueue(Store& store) {
  auto* sql = dynamic_cast<SqlStore*>(&store);
  if (sql == nullptr) return Status::Unsupported("this store has no execution queue");
  return std::unique_ptr<ExecutionQueue>(std::make_unique<SqlExecutionQueue>(sql->connection()));
}

Status SqlExecutionQueue::InWrite(const std::function<Status()>& body) {
  FS_TRY(conn_.BeginWrite());
  Status s = body();
  if (s.ok()) s = conn_.Commit();
  if (!s.ok()) conn_.Rollback();
  return s;
}

Result<int64_t> SqlExecutionQueue::Insert(const NewExecution& e, int64_t now_ms) {
  std::string task = e.job.empty() ? e.topic : e.topic + ":" + e.job;
  FS_TRY_ASSIGN(
      std::vector<SqlRow> rows,
      conn_.Query(
          "INSERT INTO executions (project, workflow, task, topic, job, task_time_ms, "
          "trigger_type, status, max_attempts, retry_delay_ms, timeout_ms, run_at_ms, "
          "created_at_ms, parent_id, info, meta) VALUES (" +
              std::string(conn_.ProjectSql()) +
              ", $1, $2, $3, $4, CAST($5 AS BIGINT), $6, 'pending', CAST($7 AS INTEGER), "
              "CAST($8 AS BIGINT), CAST($9 AS BIGINT), CAST($10 AS BIGINT), CAST($11 AS BIGINT), "
              "CAST($12 AS BIGINT), $13, $14) RETURNING id",
          {e.workflow, task, e.topic, e.job, OptText(e.task_time_ms),
           std::string(TriggerName(e.trigger)), std::to_string(e.max_attempts),
           std::to_string(e.retry_delay_ms), std::to_string(e.timeout_ms),
           std::to_string(e.run_at_ms), std::to_string(now_ms), OptText(e.parent_id), e.info,
           e.meta},
          "enqueueing " + task));
  if (rows.size() != 1) return Status::Internal("enqueueing " + task + ": no id returned");
  FS_TRY(conn_.Notify(kWakeChannel));
  return SqlInt(rows[0][0]);
}

Result<int64_t> SqlExecutionQueue::Enqueue(const NewExecution& e, int64_t now_ms) {
  if (e.max_attempts < 1) return Status::InvalidArgument("max_attempts must be at least 1");
  return Insert(e, now_ms);
}

Result<std::optional<std::vector<int64_t>>> SqlExecutionQueue::EnqueueFire(
    const std::string& schedule, int64_t fire_ms, std::optional<int64_t> next_fire_ms,
    const std::string& fired_by, const std::vector<NewExecution>& executions, int64_t now_ms) {
  std::optional<std::vector<int64_t>> out;
  Status written = InWrite([&]() -> Status {
    FS_TRY_ASSIGN(std::vector<SqlRow> fired,
                  conn_.Query("INSERT INTO scheduled_fires (project, schedule, fire_ms, fired_by, "
                              "fired_at_ms) VALUES (" +
                                  std::string(conn_.ProjectSql()) +
                                  ", $1, CAST($2 AS BIGINT), $3, CAST($4 AS BIGINT)) "
                                  "ON CONFLICT DO NOTHING RETURNING fire_ms",
                              {schedule, std::to_string(fire_ms), fired_by, std::to_string(now_ms)},
                              "recording a fire of " + schedule));
    if (fired.empty()) return Status::OK();  // fired before, by someone
    std::vector<int64_t> ids;
    for (const NewExecution& e : executions) {
      FS_TRY_ASSIGN(int64_t id, Insert(e, now_ms));
      ids.push_back(id);
    }
    out = std::move(ids);
    return conn_
        .Query(
            "UPDATE scheduled_jobs SET last_fire_ms = CAST($2 AS BIGINT), next_fire_ms = "
            "CAST($3 AS BIGINT) WHERE project = " +
                std::string(conn_.ProjectSql()) +
                " AND schedule = $1 AND (last_fire_ms IS NULL OR last_fire_ms < "
                "CAST($2 AS BIGINT))",
            {schedule, std::to_string(fire_ms), OptText(next_fire_ms)},
            "recording the last fire of " + schedule)
        .status();
  });
  FS_TRY(written);
  return out;
}

Result<ExecutionQueue::Arrival> SqlExecutionQueue::EnqueueArrival(
    const std::string& path, const std::string& key, const std::vector<NewExecution>& executions,
    int64_t now_ms) {
  Arrival out;
  Status written = InWrite([&]() -> Status {
    out = Arrival{};
    // A concurrent arrival with the same key waits here for the other's
    // commit (PostgreSQL's unique index; SQLite's one writer).
    FS_TRY_ASSIGN(
        std::vector<SqlRow> inserted,
        conn_.Query("INSERT INTO file_arrivals (project, path, arrival_key, "
                    "received_ms, executions) VALUES (" +
                        std::string(conn_.ProjectSql()) +
                        ", $1, $2, CAST($3 AS BIGINT), '') ON CONFLICT DO NOTHING "
                        "RETURNING path",
                    {path, key, std::to_string(now_ms)}, "recording the arrival of " + path));
    if (inserted.empty()) {
      FS_TRY_ASSIGN(
          std::vector<SqlRow> rows,
          conn_.Query("SELECT executions FROM file_arrivals WHERE project = " +
                          std::string(conn_.ProjectSql()) + " AND path = $1 AND arrival_key = $2",
                      {path, key}, "reading the arrival of " + path));
      if (rows.empty()) return Status::Internal("a file arrival vanished");
      const std::string list = SqlText(rows[0][0]);
      for (std::string_view rest = list; !rest.empty();) {
        const size_t comma = std::min(rest.find(','), rest.size());
        out.ids.push_back(std::stoll(std::string(rest.substr(0, comma))));
        rest.remove_prefix(std::min(comma + 1, rest.size()));
      }
      return Status::OK();
    }
    out.first = true;
    std::string list;
    for (const NewExecution& e : executions) {
      FS_TRY_ASSIGN(int64_t id, Insert(e, now_ms));
      out.ids.push_back(id);
      list += (list.empty() ? "" : ",") + std::to_string(id);
    }
    return conn_
        .Query("UPDATE file_arrivals SET executions = $3 WHERE project = " +
                   std::string(conn_.ProjectSql()) + " AND path = $1 AND arrival_key = $2",
               {path, key, list}, "recording the arrival of " + path)
        .status();
  });
  FS_TRY(written);
  return out;
}

Result<int64_t> SqlExecutionQueue::RegisterSchedule(const std::string& schedule,
                                                    const std::string& cron, int64_t now_ms) {
  // A changed spec starts again from now: its old fires say nothing of it.
  FS_TRY_ASSIGN(
      std::vector<SqlRow> rows,
      conn_.Query("INSERT INTO scheduled_jobs (project, schedule, cron, since_ms) VALUES (" +
                      std::string(conn_.ProjectSql()) +
                      ", $1, $2, CAST($3 AS BIGINT)) ON CONFLICT (project, schedule) DO UPDATE "
                      "SET cron = excluded.cron, since_ms = excluded.since_ms, last_fire_ms = "
                      "NULL, next_fire_ms = NULL WHERE scheduled_jobs.cron <> excluded.cron",
                  {schedule, cron, std::to_string(now_ms)}, "registering schedule " + schedule));
  FS_TRY_ASSIGN(rows, conn_.Query("SELECT since_ms, last_fire_ms FROM scheduled_jobs WHERE "
                                  "project = " +
                                      std::string(conn_.ProjectSql()) + " AND schedule = $1",
                                  {schedule}, "reading schedule " + schedule));
  if (rows.empty()) return Status::Internal("schedule " + schedule + " vanished");
  return rows[0][1] ? SqlInt(rows[0][1]) : SqlInt(rows[0][0]);
}

Result<std::vector<Execution>> SqlExecutionQueue::PendingFollowUps(int limit) {
  FS_TRY_ASSIGN(
      std::vector<SqlRow> rows,
      conn_.Query("SELECT " + std::string(kColumns) +
                      " FROM executions WHERE project = " + std::string(conn_.ProjectSql()) +
                      " AND followed_up = 0 AND status IN ('completed', 'failed', "
                      "'timeout') ORDER BY id LIMIT CAST($1 AS INTEGER)",
                  {std::to_string(limit)}, "reading finished executions"));
  return ExecutionsFromRows(rows);
}

Result<bool> SqlExecutionQueue::FollowUp(int64_t id, const std::vector<NewExecution>& next,
                                         int64_t now_ms) {
  bool done = false;
  Status written = InWrite([&]() -> Status {
    FS_TRY_ASSIGN(
        std::vector<SqlRow> rows,
        conn_.Query("UPDATE executions SET followed_up = 1 WHERE id = CAST($1 AS "
                    "BIGINT) AND followed_up = 0 RETURNING id",
                    {std::to_string(id)}, "following up execution " + std::to_string(id)));
    if (rows.empty()) return Status::OK();
    for (const NewExecution& e : next) FS_TRY(Insert(e, now_ms).status());
    done = true;
    return Status::OK();
  });
  FS_TRY(written);
  return done;
}

Result<std::vector<Execution>> SqlExecutionQueue::Claim(const std::vector<std::string>& topics,
                                                        const std::string& owner, int limit,
                                                        int64_t now_ms, int64_t lease_ms) {
  if (topics.empty() || limit < 1) return Status::InvalidArgument("claim: no topic or limit < 1");
  std::vector<SqlValue> params = {owner, std::to_string(now_ms), std::to_string(lease_ms),
                                  std::to_string(limit)};
  for (const std::string& t : topics) params.push_back(t);
  const bool pg = conn_.dialect() == SqlDialect::kPostgres;
  std::vector<Execution> claimed;
  Status written = InWrite([&]() -> Status {
    FS_TRY_ASSIGN(
        std::vector<SqlRow> rows,
        conn_.Query("UPDATE executions SET status = 'running', attempt = attempt + 1, owner = $1, "
                    "lease_until_ms = CAST($2 AS BIGINT) + CAST($3 AS BIGINT), "
                    "started_at_ms = COALESCE(started_at_ms, CAST($2 AS BIGINT)) "
                    "WHERE id IN (SELECT id FROM executions WHERE project = " +
                        std::string(conn_.ProjectSql()) + " AND status = 'pending' AND topic IN (" +
                        Placeholders(5, topics.size()) +
                        ") AND run_at_ms <= CAST($2 AS BIGINT) ORDER BY run_at_ms, id "
                        "LIMIT CAST($4 AS INTEGER)" +
                        (pg ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING " +
                        std::string(kColumns),
                    params, "claiming executions"));
    FS_TRY_ASSIGN(claimed, ExecutionsFromRows(rows));
    if (claimed.empty()) return Status::OK();
    std::vector<SqlValue> values = {owner, std::to_string(now_ms)};
    std::string tuples;
    for (const Execution& e : claimed) {
      if (!tuples.empty()) tuples += ", ";
      size_t n = values.size();
      tuples += "(CAST($" + std::to_string(n + 1) + " AS BIGINT), CAST($" + std::to_string(n + 2) +
                " AS INTEGER), $1, CAST($2 AS BIGINT), CAST($2 AS BIGINT), 'running')";
      values.push_back(std::to_string(e.id));
      values.push_back(std::to_string(e.attempt));
    }
    return conn_
        .Query(
            "INSERT INTO execution_attempts (execution_id, attempt, owner, started_at_ms, "
            "heartbeat_ms, outcome) VALUES " +
                tuples,
            values, "recording claimed attempts")
        .status();
  });
  FS_TRY(written);
  std::sort(claimed.begin(), claimed.end(), [](const Execution& a, const Execution& b) {
    return std::pair(a.run_at_ms, a.id) < std::pair(b.run_at_ms, b.id);
  });
  return claimed;
}

Result<std::vector<int64_t>> SqlExecutionQueue::Heartbeat(const std::string& owner,
                                                          const std::vector<int64_t>& held,
                                                          int64_t now_ms, int64_t lease_ms) {
  if (held.empty()) return std::vector<int64_t>{};
  std::vector<SqlValue> params = {owner, std::to_string(now_ms), std::to_string(lease_ms)};
  for (int64_t id : held) params.push_back(std::to_string(id));
  const std::string ids = Placeholders(4, held.size());
  std::vector<int64_t> lost;
  Status written = InWrite([&]() -> Status {
    FS_TRY_ASSIGN(std::vector<SqlRow> kept,
                  // A lease never shrinks: a heartbeat from a clock that
                  // jumped back would otherwise end it early for the
                  // processes whose clocks did not.
                  conn_.Query("UPDATE executions SET lease_until_ms = CASE WHEN lease_until_ms > "
                              "CAST($2 AS BIGINT) + CAST($3 AS BIGINT) THEN lease_until_ms ELSE "
                              "CAST($2 AS BIGINT) + CAST($3 AS BIGINT) END WHERE owner = $1 AND "
                              "status = 'running' AND id IN (" +
                                  ids + ") RETURNING id",
                              params, "extending leases"));
    FS_TRY(conn_
               .Query("UPDATE execution_attempts SET heartbeat_ms = CAST($2 AS BIGINT) WHERE "
                      "owner = $1 AND outcome = 'running' AND CAST($3 AS BIGINT) >= 0 AND "
                      "execution_id IN (" +
                          ids + ")",
                      params, "recording heartbeats")
               .status());
    std::vector<int64_t> still;
    for (const SqlRow& r : kept) still.push_back(SqlInt(r[0]));
    for (int64_t id : held) {
      if (std::find(still.begin(), still.end(), id) == still.end()) lost.push_back(id);
    }
    return Status::OK();
  });
  FS_TRY(written);
  return lost;
}

Result<FinishResult> SqlExecutionQueue::Finish(const AttemptRef& ref, const AttemptEnd& end,
                                               int64_t now_ms, double jitter) {
  const bool completed = end.kind == AttemptEnd::Kind::kCompleted;
  // The jitter as an integer fraction (parts per million) keeps the
  // arithmetic in integers on both backends.
  const int64_t ppm = static_cast<int64_t>(std::floor(std::clamp(jitter, 0.0, 0.999999) * 1e6));
  FinishResult result;
  Status written = InWrite([&]() -> Status {
    FS_TRY_ASSIGN(
        std::vector<SqlRow> rows,
        conn_.Query(
            "UPDATE executions SET "
            "status = CASE WHEN $4 = 'completed' THEN 'completed' "
            "  WHEN attempt - lost_attempts < max_attempts THEN 'pending' "
            "  WHEN $4 = 'timeout' THEN 'timeout' ELSE 'failed' END, "
            "run_at_ms = CASE WHEN $4 <> 'completed' AND attempt - lost_attempts < max_attempts "
            "  THEN CAST($5 AS BIGINT) + retry_delay_ms + retry_delay_ms * CAST($6 AS BIGINT) / "
            "1000000 ELSE run_at_ms END, "
            "finished_at_ms = CASE WHEN $4 <> 'completed' AND attempt - lost_attempts < "
            "max_attempts THEN NULL ELSE CAST($5 AS BIGINT) END, "
            "owner = NULL, lease_until_ms = NULL, error = $7 "
            "WHERE id = CAST($1 AS BIGINT) AND attempt = CAST($2 AS INTEGER) AND owner = $3 AND "
            "status = 'running' RETURNING status, run_at_ms",
            {std::to_string(ref.execution_id), std::to_string(ref.attempt), ref.owner,
             std::string(AttemptOutcome(end.kind)), std::to_string(now_ms), std::to_string(ppm),
             completed ? SqlValue() : SqlValue(end.error)},
            "finishing execution " + std::to_string(ref.execution_id)));
    if (rows.empty()) {
      result.outcome = FinishOutcome::kStale;
      return Status::OK();
    }
    std::string status = SqlText(rows[0][0]);
    result.run_at_ms = SqlInt(rows[0][1]);
    result.outcome = status == "completed" ? FinishOutcome::kCompleted
                     : status == "pending" ? FinishOutcome::kRetrying
                     : status == "timeout" ? FinishOutcome::kTimedOut
                                           : FinishOutcome::kFailed;
    return conn_
        .Query(
            "UPDATE execution_attempts SET outcome = $4, finished_at_ms = CAST($5 AS BIGINT), "
            "exit_status = CAST($6 AS INTEGER), error = $7, stdout_tail = $8, stderr_tail = $9 "
            "WHERE execution_id = CAST($1 AS BIGINT) AND attempt = CAST($2 AS INTEGER) AND "
            "owner = $3",
            {std::to_string(ref.execution_id), std::to_string(ref.attempt), ref.owner,
             std::string(AttemptOutcome(end.kind)), std::to_string(now_ms),
             end.exit_status ? SqlValue(std::to_string(*end.exit_status)) : SqlValue(),
             completed ? SqlValue() : SqlValue(end.error), end.stdout_tail, end.stderr_tail},
            "recording attempt " + std::to_string(ref.attempt) + " of execution " +
                std::to_string(ref.execution_id))
        .status();
  });
  FS_TRY(written);
  return result;
}

Result<std::vector<int64_t>> SqlExecutionQueue::CompleteBatch(
    const std::string& owner, const std::vector<AttemptRef>& attempts, int64_t now_ms) {
  std::vector<int64_t> done;
  if (attempts.empty()) return done;
  std::vector<SqlValue> params = {owner, std::to_string(now_ms)};
  std::string pairs;
  for (const AttemptRef& a : attempts) {
    if (a.owner != owner) return Status::InvalidArgument("CompleteBatch: attempts of two owners");
    if (!pairs.empty()) pairs += ", ";
    pairs += "(CAST($" + std::to_string(params.size() + 1) + " AS BIGINT), CAST($" +
             std::to_string(params.size() + 2) + " AS INTEGER))";
    params.push_back(std::to_string(a.execution_id));
    params.push_back(std::to_string(a.attempt));
  }
  Status written = InWrite([&]() -> Status {
    FS_TRY_ASSIGN(
        std::vector<SqlRow> rows,
        conn_.Query("UPDATE executions SET status = 'completed', finished_at_ms = CAST($2 AS "
                    "BIGINT), owner = NULL, lease_until_ms = NULL, error = NULL WHERE owner = $1 "
                    "AND status = 'running' AND CAST($2 AS BIGINT) >= 0 AND (id, attempt) IN "
                    "(VALUES " +
                        pairs + ") RETURNING id",
                    params, "completing a batch of executions"));
    if (rows.empty()) return Status::OK();
    FS_TRY(conn_
               .Query("UPDATE execution_attempts SET outcome = 'completed', finished_at_ms = "
                      "CAST($2 AS BIGINT) WHERE owner = $1 AND outcome = 'running' AND "
                      "(execution_id, attempt) IN (VALUES " +
                          pairs + ")",
                      params, "recording a batch of attempts")
               .status());
    for (const SqlRow& r : rows) done.push_back(SqlInt(r[0]));
    return Status::OK();
  });
  FS_TRY(written);
  return done;
}

Result<int> SqlExecutionQueue::RescueExpired(int64_t now_ms) {
  int rescued = 0;
  const std::string lost_limit = std::to_string(kMaxLostAttempts);
  Status written = InWrite([&]() -> Status {
    FS_TRY_ASSIGN(
        std::vector<SqlRow> rows,
        conn_.Query("UPDATE executions SET lost_attempts = lost_attempts + 1, "
                    "status = CASE WHEN lost_attempts + 1 > CAST($2 AS INTEGER) THEN 'failed' "
                    "  ELSE 'pending' END, "
                    "finished_at_ms = CASE WHEN lost_attempts + 1 > CAST($2 AS INTEGER) "
                    "  THEN CAST($1 AS BIGINT) ELSE NULL END, "
                    "run_at_ms = CAST($1 AS BIGINT), "
                    "error = 'attempt ' || CAST(attempt AS TEXT) || ' lost: its worker ' || "
                    "owner || ' stopped renewing its lease', "
                    "owner = NULL, lease_until_ms = NULL "
                    "WHERE project = " +
                        std::string(conn_.ProjectSql()) +
                        " AND status = 'running' AND lease_until_ms < CAST($1 AS BIGINT) "
                        "RETURNING id, attempt",
                    {std::to_string(now_ms), lost_limit}, "rescuing expired leases"));
    for (const SqlRow& r : rows) {
      FS_TRY(conn_
                 .Query("UPDATE execution_attempts SET outcome = 'lost', finished_at_ms = "
                        "CAST($1 AS BIGINT), error = 'lease expired' WHERE execution_id = "
                        "CAST($2 AS BIGINT) AND attempt = CAST($3 AS INTEGER) AND "
                        "outcome = 'running'",
                        {std::to_string(now_ms), r[0], r[1]}, "recording a lost attempt")
                 .status());
    }
    rescued = static_cast<int>(rows.size());
    if (rescued > 0) FS_TRY(conn_.Notify(kWakeChannel));
    return Status::OK();
  });
  FS_TRY(written);
  return rescued;
}

Status SqlExecutionQueue::Exists(int64_t id) {
  FS_TRY_ASSIGN(
      std::vector<SqlRow> rows,
      conn_.Query("SELECT 1 FROM executions WHERE id = CAST($1 AS BIGINT) AND project = " +
                      std::string(conn_.ProjectSql()),
                  {std::to_string(id)}, "reading execution " + std::to_string(id)));
  if (rows.empty()) return Status::NotFound("no execution " + std::to_string(id));
  return Status::OK();
}

Result<bool> SqlExecutionQueue::Cancel(int64_t id, int64_t now_ms) {
  bool changed = false;
  Status written = InWrite([&]() -> Status {
    FS_TRY(Exists(id));
    FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                  conn_.Query("UPDATE executions SET status = 'cancelled', finished_at_ms = "
                              "CAST($2 AS BIGINT), owner = NULL, lease_until_ms = NULL, "
                              "error = 'cancelled' WHERE id = CAST($1 AS BIGINT) AND project = " +
                                  std::string(conn_.ProjectSql()) +
                                  " AND status IN ('pending', 'running') RETURNING id",
                              {std::to_string(id), std::to_string(now_ms)},
                              "cancelling execution " + std::to_string(id)));
    changed = !rows.empty();
    if (!changed) return Status::OK();
    return conn_
        .Query(
            "UPDATE execution_attempts SET outcome = 'cancelled', finished_at_ms = "
            "CAST($2 AS BIGINT) WHERE execution_id = CAST($1 AS BIGINT) AND "
            "outcome = 'running'",
            {std::to_string(id), std::to_string(now_ms)}, "cancelling its attempt")
        .status();
  });
  FS_TRY(written);
  return changed;
}

Result<bool> SqlExecutionQueue::Retry(int64_t id, int64_t now_ms) {
  bool changed = false;
  Status written = InWrite([&]() -> Status {
    FS_TRY(Exists(id));
    FS_TRY_ASSIGN(
        std::vector<SqlRow> rows,
        conn_.Query(
            "UPDATE executions SET status = 'pending', run_at_ms = "
            "CAST($2 AS BIGINT), max_attempts = attempt - lost_attempts + 1, followed_up = 0, "
            "finished_at_ms = NULL, error = NULL "
            "WHERE id = CAST($1 AS BIGINT) AND project = " +
                std::string(conn_.ProjectSql()) +
                " AND status IN ('failed', 'timeout', 'cancelled') RETURNING id",
            {std::to_string(id), std::to_string(now_ms)},
            "retrying execution " + std::to_string(id)));
    changed = !rows.empty();
    if (changed) FS_TRY(conn_.Notify(kWakeChannel));
    return Status::OK();
  });
  FS_TRY(written);
  return changed;
}

Result<std::vector<Execution>> SqlExecutionQueue::List(const ExecutionFilter& filter) {
  std::string where = "project = " + std::string(conn_.ProjectSql());
  std::vector<SqlValue> params = {std::to_string(filter.limit)};
  if (filter.status) {
    params.push_back(std::string(ExecutionStatusName(*filter.status)));
    where += " AND status = $" + std::to_string(params.size());
  }
  if (filter.topic) {
    params.push_back(*filter.topic);
    where += " AND topic = $" + std::to_string(params.size());
  }
  FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                conn_.Query("SELECT " + std::string(kColumns) + " FROM executions WHERE " + where +
                                " ORDER BY id DESC LIMIT CAST($1 AS INTEGER)",
                            params, "listing executions"));
  return ExecutionsFromRows(rows);
}

Result<std::optional<ExecutionDetail>> SqlExecutionQueue::Show(int64_t id) {
  FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                conn_.Query("SELECT " + std::string(kColumns) +
                                " FROM executions WHERE id = CAST($1 AS BIGINT) AND project = " +
                                std::string(conn_.ProjectSql()),
                            {std::to_string(id)}, "reading execution " + std::to_string(id)));
  if (rows.empty()) return std::optional<ExecutionDetail>();
  ExecutionDetail detail;
  FS_TRY_ASSIGN(detail.execution, ExecutionFromRow(rows[0]));
  FS_TRY_ASSIGN(std::vector<SqlRow> attempts,
                conn_.Query("SELECT attempt, owner, started_at_ms, heartbeat_ms, finished_at_ms, "
                            "outcome, exit_status, error, stdout_tail, stderr_tail FROM "
                            "execution_attempts WHERE execution_id = CAST($1 AS BIGINT) "
                            "ORDER BY attempt",
                            {std::to_string(id)}, "reading the attempts of " + std::to_string(id)));
  for (const SqlRow& r : attempts) {
    AttemptRecord a;
    a.attempt = static_cast<int>(SqlInt(r[0]));
    a.owner = SqlText(r[1]);
    a.started_at_ms = SqlInt(r[2]);
    a.heartbeat_ms = SqlInt(r[3]);
    a.finished_at_ms = OptInt(r[4]);
    a.outcome = SqlText(r[5]);
    if (r[6]) a.exit_status = static_cast<int>(SqlInt(r[6]));
    a.error = r[7];
    a.stdout_tail = SqlText(r[8]);
    a.stderr_tail = SqlText(r[9]);
    detail.attempts.push_back(std::move(a));
  }
  return std::optional<ExecutionDetail>(std::move(detail));
}

Result<bool> SqlExecutionQueue::HasUnfinished(const std::vector<std::string>& topics) {
  if (topics.empty()) return false;
  std::vector<SqlValue> params(topics.begin(), topics.end());
  FS_TRY_ASSIGN(
      std::vector<SqlRow> rows,
      conn_.Query("SELECT 1 FROM executions WHERE project = " + std::string(conn_.ProjectSql()) +
                      " AND status IN ('pending', 'running') AND topic IN (" +
                      Placeholders(1, topics.size()) + ") LIMIT 1",
                  params, "looking for unfinished executions"));
  return !rows.empty();
}

Result<bool> SqlExecutionQueue::WaitForWork(int64_t timeout_ms) {
  return conn_.WaitForNotification(kWakeChannel, timeout_ms);
}

Result<int64_t> SqlExecutionQueue::PruneFinished(int64_t before_ms) {
  // Bounded batches: a year of executions is not one transaction holding
  // the writer lock.
  constexpr int kBatch = 5000;
  int64_t total = 0;
  while (true) {
    int64_t deleted = 0;
    FS_TRY(InWrite([&]() -> Status {
      FS_TRY_ASSIGN(
          std::vector<SqlRow> rows,
          conn_.Query("DELETE FROM executions WHERE id IN (SELECT id FROM executions WHERE "
                      "project = " +
                          std::string(conn_.ProjectSql()) +
                          " AND finished_at_ms < CAST($1 AS BIGINT) AND (status = 'cancelled' OR "
                          "(status IN ('completed', 'failed', 'timeout') AND followed_up = 1)) "
                          "LIMIT CAST($2 AS INTEGER)) RETURNING id",
                      {std::to_string(before_ms), std::to_string(kBatch)}, "pruning executions"));
      deleted = static_cast<int64_t>(rows.size());
      return Status::OK();
    }));
    total += deleted;
    if (deleted < kBatch) break;
  }
  FS_TRY(InWrite([&]() -> Status {
    return conn_
        .Query("DELETE FROM workers WHERE project = " + std::string(conn_.ProjectSql()) +
                   " AND COALESCE(stopped_ms, heartbeat_ms) < CAST($1 AS BIGINT)",
               {std::to_string(before_ms)}, "pruning workers")
        .status();
  }));
  FS_TRY(InWrite([&]() -> Status {
    return conn_
        .Query("DELETE FROM file_arrivals WHERE project = " + std::string(conn_.ProjectSql()) +
                   " AND received_ms < CAST($1 AS BIGINT)",
               {std::to_string(before_ms)}, "pruning file arrivals")
        .status();
  }));
  return total;
}

Status SqlExecutionQueue::RegisterWorker(const WorkerRecord& w) {
  return InWrite([&]() -> Status {
    return conn_
        .Query(
            "INSERT INTO workers (id, project, kind, topics, started_ms, heartbeat_ms) VALUES "
            "($1, " +
                std::string(conn_.ProjectSql()) +
                ", $2, $3, CAST($4 AS BIGINT), CAST($5 AS BIGINT)) ON CONFLICT (id) DO UPDATE "
                "SET kind = excluded.kind, topics = excluded.topics, started_ms = "
                "excluded.started_ms, heartbeat_ms = excluded.heartbeat_ms, stopped_ms = NULL",
            {w.id, w.kind, w.topics, std::to_string(w.started_ms), std::to_string(w.heartbeat_ms)},
            "registering " + w.kind + " " + w.id)
        .status();
  });
}

Status SqlExecutionQueue::WorkerHeartbeat(const std::string& id, int64_t now_ms) {
  return conn_
      .Query("UPDATE workers SET heartbeat_ms = CAST($2 AS BIGINT) WHERE id = $1",
             {id, std::to_string(now_ms)}, "renewing " + id)
      .status();
}

Status SqlExecutionQueue::StopWorker(const std::string& id, int64_t now_ms) {
  return conn_
      .Query(
          "UPDATE workers SET heartbeat_ms = CAST($2 AS BIGINT), stopped_ms = CAST($2 AS "
          "BIGINT) WHERE id = $1",
          {id, std::to_string(now_ms)}, "recording the stop of " + id)
      .status();
}

Result<std::vector<WorkerRecord>> SqlExecutionQueue::ListWorkers() {
  FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                conn_.Query("SELECT id, kind, topics, started_ms, heartbeat_ms, stopped_ms FROM "
                            "workers WHERE project = " +
                                std::string(conn_.ProjectSql()) + " ORDER BY heartbeat_ms DESC, id",
                            {}, "listing workers"));
  std::vector<WorkerRecord> out;
  for (const SqlRow& r : rows) {
    WorkerRecord w;
    w.id = SqlText(r[0]);
    w.kind = SqlText(r[1]);
    w.topics = SqlText(r[2]);
    w.started_ms = SqlInt(r[3]);
    w.heartbeat_ms = SqlInt(r[4]);
    if (r[5]) w.stopped_ms = SqlInt(r[5]);
    out.push_back(std::move(w));
  }
  return out;
}

Result<int64_t> SqlExecutionQueue::RetentionDays() {
  FS_TRY_ASSIGN(std::vector<SqlRow> rows, conn_.Query("SELECT value FROM flowsync_meta WHERE key = "
                                                      "'execution_retention_days'",
                                                      {}, "reading execution_retention_days"));
  if (rows.empty() || !rows[0][0]) return int64_t{30};
  const std::string& text = *rows[0][0];
  int64_t days = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), days);
  if (ec != std::errc() || end != text.data() + text.size() || days < 0) {
    return Status::InvalidArgument(
        "flowsync_meta execution_retention_days: expected a number of "
        "days, got '" +
        text + "'");
  }
  return days;
}

}  // namespace flowsync

namespace flowsync {

Result<std::vector<Variable>> SqlExecutionQueue::Variables(const std::string& environment) {
  FS_TRY_ASSIGN(
      std::vector<SqlRow> rows,
      conn_.Query("SELECT name, value, CASE WHEN secret THEN 1 ELSE 0 END, updated_ms "
                  "FROM workflow_variables WHERE project = " +
                      std::string(conn_.ProjectSql()) + " AND environment = $1 ORDER BY name",
                  {environment}, "reading the variables of " + environment));
  std::vector<Variable> out;
  out.reserve(rows.size());
  for (const SqlRow& row : rows) {
    Variable v;
    v.environment = environment;
    v.name = row[0].value_or("");
    v.value = row[1].value_or("");
    v.secret = row[2].value_or("0") == "1";
    v.updated_ms = SqlInt(row[3]);
    out.push_back(std::move(v));
  }
  return out;
}

Status SqlExecutionQueue::SetVariable(const Variable& v) {
  return InWrite([&]() -> Status {
    return conn_
        .Query(
            "INSERT INTO workflow_variables (project, environment, name, value, secret, "
            "updated_ms) VALUES (" +
                std::string(conn_.ProjectSql()) +
                ", $1, $2, $3, CAST($4 AS BOOLEAN), CAST($5 AS BIGINT)) ON CONFLICT "
                "(project, environment, name) DO UPDATE SET value = excluded.value, secret = "
                "excluded.secret, updated_ms = excluded.updated_ms",
            {v.environment, v.name, v.value, std::string(v.secret ? "1" : "0"),
             std::to_string(v.updated_ms)},
            "setting variable " + v.name)
        .status();
  });
}

Result<bool> SqlExecutionQueue::UnsetVariable(const std::string& environment,
                                              const std::string& name) {
  bool removed = false;
  FS_TRY(InWrite([&]() -> Status {
    FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                  conn_.Query("DELETE FROM workflow_variables WHERE project = " +
                                  std::string(conn_.ProjectSql()) +
                                  " AND environment = $1 AND name = $2 RETURNING name",
                              {environment, name}, "removing variable " + name));
    removed = !rows.empty();
    return Status::OK();
  }));
  return removed;
}

}  // namespace flowsync
