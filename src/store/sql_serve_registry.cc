// The ServeRegistry of both backends: the same SQL over a SqlConnection.
#include <memory>

#include "flowsync/serve_registry.h"
#include "store/sql_connection.h"
#include "store/sql_execution_queue.h"

namespace flowsync {
namespace {

constexpr std::string_view kHookColumns =
    "id, path, method, task, workflow, secret_env, secret_file, created_ms, secret_sealed";

// token_sha256, project, can_write, created_ms, last_used_ms.
ApiToken TokenFromRow(const SqlRow& r) {
  ApiToken t;
  t.sha256 = SqlText(r[0]);
  t.project = SqlText(r[1]);
  t.write = SqlInt(r[2]) == 1;
  t.created_ms = SqlInt(r[3]);
  if (r[4]) t.last_used_ms = SqlInt(r[4]);
  return t;
}

WebhookRegistration HookFromRow(const SqlRow& r) {
  WebhookRegistration h;
  h.id = SqlInt(r[0]);
  h.path = SqlText(r[1]);
  h.method = SqlText(r[2]);
  h.task = SqlText(r[3]);
  h.workflow = SqlText(r[4]);
  h.secret_env = r[5];
  h.secret_file = r[6];
  h.created_ms = SqlInt(r[7]);
  h.secret_sealed = r[8];
  return h;
}

class SqlServeRegistry final : public ServeRegistry {
 public:
  explicit SqlServeRegistry(SqlConnection& conn) : conn_(conn) {}

  Status AddToken(const ApiToken& token) override {
    return conn_
        .Query(
            "INSERT INTO api_tokens (token_sha256, project, can_write, created_ms) VALUES ($1, "
            "$2, CAST($3 AS INTEGER), CAST($4 AS BIGINT))",
            {token.sha256, token.project, token.write ? "1" : "0",
             std::to_string(token.created_ms)},
            "storing an API token")
        .status();
  }

  Result<std::optional<ApiToken>> FindToken(const std::string& sha256) override {
    FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                  conn_.Query("SELECT token_sha256, project, can_write, created_ms, last_used_ms "
                              "FROM api_tokens WHERE token_sha256 = $1",
                              {sha256}, "reading an API token"));
    if (rows.empty()) return std::optional<ApiToken>();
    return std::optional<ApiToken>(TokenFromRow(rows[0]));
  }

  Status TouchToken(const std::string& sha256, int64_t now_ms) override {
    return conn_
        .Query(
            "UPDATE api_tokens SET last_used_ms = CAST($2 AS BIGINT) WHERE token_sha256 = $1 AND "
            "(last_used_ms IS NULL OR last_used_ms < CAST($3 AS BIGINT))",
            {sha256, std::to_string(now_ms), std::to_string(now_ms - kTokenTouchIntervalMs)},
            "recording an API token's use")
        .status();
  }

  Result<std::vector<ApiToken>> ListTokens() override {
    FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                  conn_.Query("SELECT token_sha256, project, can_write, created_ms, last_used_ms "
                              "FROM api_tokens ORDER BY created_ms, token_sha256",
                              {}, "listing API tokens"));
    std::vector<ApiToken> out;
    for (const SqlRow& r : rows) out.push_back(TokenFromRow(r));
    return out;
  }

  Result<bool> RemoveToken(const std::string& sha256) override {
    FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                  conn_.Query("DELETE FROM api_tokens WHERE token_sha256 = $1 RETURNING project",
                              {sha256}, "revoking an API token"));
    return !rows.empty();
  }

  Result<int64_t> AddWebhook(const WebhookRegistration& hook) override {
    FS_TRY_ASSIGN(auto existing, FindWebhook(hook.path, hook.method));
    if (existing) {
      return Status::Conflict("webhook " + hook.method + " /hooks/" + hook.path +
                              " is registered already (task " + existing->task + ")");
    }
    FS_TRY_ASSIGN(
        std::vector<SqlRow> rows,
        conn_.Query("INSERT INTO webhook_registrations (project, path, method, task, workflow, "
                    "secret_env, secret_file, created_ms, secret_sealed) VALUES (" +
                        std::string(conn_.ProjectSql()) +
                        ", $1, $2, $3, $4, $5, $6, CAST($7 AS BIGINT), $8) RETURNING id",
                    {hook.path, hook.method, hook.task, hook.workflow, hook.secret_env,
                     hook.secret_file, std::to_string(hook.created_ms), hook.secret_sealed},
                    "registering webhook /hooks/" + hook.path));
    if (rows.size() != 1) return Status::Internal("registering a webhook: no id returned");
    return SqlInt(rows[0][0]);
  }

  Result<std::vector<WebhookRegistration>> ListWebhooks() override {
    FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                  conn_.Query("SELECT " + std::string(kHookColumns) +
                                  " FROM webhook_registrations WHERE project = " +
                                  std::string(conn_.ProjectSql()) + " ORDER BY path, method",
                              {}, "listing webhooks"));
    std::vector<WebhookRegistration> out;
    for (const SqlRow& r : rows) out.push_back(HookFromRow(r));
    return out;
  }

  Result<std::optional<WebhookRegistration>> FindWebhook(const std::string& path,
                                                         const std::string& method) override {
    FS_TRY_ASSIGN(
        std::vector<SqlRow> rows,
        conn_.Query("SELECT " + std::string(kHookColumns) +
                        " FROM webhook_registrations WHERE project = " +
                        std::string(conn_.ProjectSql()) + " AND path = $1 AND method = $2",
                    {path, method}, "reading webhook /hooks/" + path));
    if (rows.empty()) return std::optional<WebhookRegistration>();
    return std::optional<WebhookRegistration>(HookFromRow(rows[0]));
  }

  Result<bool> RemoveWebhook(const std::string& path) override {
    FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                  conn_.Query("DELETE FROM webhook_registrations WHERE project = " +
                                  std::string(conn_.ProjectSql()) + " AND path = $1 RETURNING id",
                              {path}, "removing webhook /hooks/" + path));
    return !rows.empty();
  }

  Result<DeliveryResult> AcceptDelivery(int64_t registration_id, const std::string& key,
                                        const std::string& payload, const NewExecution& execution,
                                        int64_t now_ms) override {
    const std::string id = std::to_string(registration_id);
    FS_TRY(conn_.BeginWrite());
    Result<DeliveryResult> result = [&]() -> Result<DeliveryResult> {
      // A concurrent delivery with the same key waits here for the other's
      // commit (PostgreSQL's unique index; SQLite's one writer), then finds
      // its row.
      FS_TRY_ASSIGN(
          std::vector<SqlRow> inserted,
          conn_.Query("INSERT INTO webhook_deliveries (registration_id, "
                      "idempotency_key, received_ms, payload) VALUES (CAST($1 AS "
                      "BIGINT), $2, CAST($3 AS BIGINT), $4) ON CONFLICT DO NOTHING "
                      "RETURNING registration_id",
                      {id, key, std::to_string(now_ms), payload}, "recording a webhook delivery"));
      if (inserted.empty()) {
        FS_TRY_ASSIGN(std::vector<SqlRow> rows,
                      conn_.Query("SELECT execution_id FROM webhook_deliveries WHERE "
                                  "registration_id = CAST($1 AS BIGINT) AND idempotency_key = $2",
                                  {id, key}, "reading a webhook delivery"));
        if (rows.empty()) return Status::Internal("a webhook delivery vanished");
        return DeliveryResult{SqlInt(rows[0][0]), false};
      }
      SqlExecutionQueue queue(conn_);
      FS_TRY_ASSIGN(int64_t execution_id, queue.Enqueue(execution, now_ms));
      FS_TRY(conn_
                 .Query("UPDATE webhook_deliveries SET execution_id = CAST($3 AS BIGINT) WHERE "
                        "registration_id = CAST($1 AS BIGINT) AND idempotency_key = $2",
                        {id, key, std::to_string(execution_id)}, "recording a webhook delivery")
                 .status());
      return DeliveryResult{execution_id, true};
    }();
    if (!result.ok()) {
      conn_.Rollback();
      return result;
    }
    if (!result->created) {
      conn_.Rollback();
      return result;
    }
    FS_TRY(conn_.Commit());
    return result;
  }

 private:
  SqlConnection& conn_;
};

}  // namespace

Result<std::unique_ptr<ServeRegistry>> OpenServeRegistry(Store& store) {
  auto* sql = dynamic_cast<SqlStore*>(&store);
  if (sql == nullptr) return Status::Unsupported("this store has no serve registry");
  return std::unique_ptr<ServeRegistry>(std::make_unique<SqlServeRegistry>(sql->connection()));
}

}  // namespace flowsync
