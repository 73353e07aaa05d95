// Tests of the migrations `migration create --target n8n` writes: what the
// file holds. That n8n reads what they write is proven against real n8n
// databases by the end-to-end test (tests/e2e/n8n_real_test.py).
#include "promote/n8n_workflow_sql.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "promote/migration_format.h"
#include "promote/migration_writer.h"
#include "sync/identity.h"
#include "util/test_util.h"
#include "util/uuid.h"

namespace flowsync {
namespace {

using Json = nlohmann::ordered_json;

// 2026-11-22T10:15:00Z
const ManualClock kClock(1795342500000);

Json Node(const std::string& name, Json extra = Json::object()) {
  Json node = {{"id", name + "-id"}, {"name", name},       {"type", "n8n-nodes-base.httpRequest"},
               {"typeVersion", 4},   {"position", {0, 0}}, {"parameters", Json::object()}};
  for (auto& [k, v] : extra.items()) node[k] = v;
  return node;
}

WorkflowExport Export(const std::string& path, const Json& doc) {
  WorkflowExport wf;
  wf.id = UuidV5(kWorkflowIdNamespace, path);
  wf.project = "default";
  wf.path = path;
  wf.workflow.format = Format::kN8n;
  wf.workflow.name = doc.value("name", path);
  if (doc.contains("id")) wf.workflow.source_id = doc["id"].get<std::string>();
  wf.workflow.content = doc.dump(2);
  wf.created_at = "2026-11-01T00:00:00.000Z";
  wf.updated_at = "2026-11-20T08:00:00.000Z";
  return wf;
}

MigrationCreateOptions N8nOptions(SqlDialect dialect = SqlDialect::kSqlite) {
  MigrationCreateOptions o;
  o.clock = &kClock;
  o.target = MigrationTarget::kN8n;
  o.dialect = dialect;
  return o;
}

Result<MigrationPlan> Plan(std::vector<WorkflowExport> wfs, const MigrationCreateOptions& o) {
  return PlanMigrations(std::move(wfs), ExistingMigrations{}, o);
}

const Json kSlack = {{"slackApi", {{"id", "5"}, {"name", "Team Slack"}}}};

TEST(N8nWorkflowSqlTest, CredentialsAreReboundInSqlAndTheSourceIdsStayBehind) {
  Json doc = {{"id", "AbCdEfGh12345678"},
              {"name", "Notify"},
              {"nodes", Json::array({Node("One", {{"credentials", kSlack}}),
                                     Node("Two", {{"credentials", kSlack}})})},
              {"connections", Json::object()}};
  for (SqlDialect dialect : {SqlDialect::kSqlite, SqlDialect::kPostgres}) {
    SCOPED_TRACE(SqlDialectName(dialect));
    auto plan = Plan({Export("notify.json", doc)}, N8nOptions(dialect));
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    ASSERT_EQ(plan->migrations.size(), 1u);
    const PlannedMigration& m = plan->migrations[0];
    EXPECT_EQ(m.n8n_id, "AbCdEfGh12345678");  // the file's id, which n8n can take
    EXPECT_EQ(m.credential_references, 1);    // one (type, name), used twice
    const std::string& sql = m.sql.bytes;
    EXPECT_TRUE(IsN8nWorkflowMigration(sql));
    EXPECT_NE(sql.find("-- n8n id: AbCdEfGh12345678\n"), std::string::npos);
    EXPECT_NE(sql.find("re-bound to the target's own when applied"), std::string::npos);
    // Both nodes carry the one placeholder; one statement replaces it.
    const std::string ref = R"("slackApi":{"id":"__flowsync_credential_1__","name":"Team Slack"})";
    size_t first = sql.find(ref);
    ASSERT_NE(first, std::string::npos);
    EXPECT_NE(sql.find(ref, first + 1), std::string::npos);
    EXPECT_EQ(sql.find(R"("id":"5")"), std::string::npos);
    EXPECT_NE(sql.find("FROM credentials_entity c WHERE c.type = "), std::string::npos);
    // Only id, name and type of a credential are read.
    EXPECT_EQ(sql.find("c.data"), std::string::npos);
    EXPECT_NE(sql.find("ON CONFLICT (id) DO UPDATE SET"), std::string::npos);
    EXPECT_NE(sql.find("WHERE workflow_entity.\"updatedAt\" < excluded.\"updatedAt\""),
              std::string::npos);
  }
}

TEST(N8nWorkflowSqlTest, IdsAreKeptOrDerivedAndReferencesFollowThem) {
  Json callee = {{"id", "not-an-n8n-id"},
                 {"name", "Callee"},
                 {"nodes", Json::array({Node("A")})},
                 {"connections", Json::object()}};
  Json caller = {
      {"name", "Caller"},
      {"nodes",
       Json::array({Node(
           "Call",
           {{"parameters",
             {{"workflowId", {{"__rl", true}, {"value", "not-an-n8n-id"}, {"mode", "list"}}}}}})})},
      {"connections", Json::object()}};
  WorkflowExport from_n8n = Export("x.json", callee);
  from_n8n.path = "Kept0000000000id.json";
  from_n8n.n8n_id = "Kept0000000000id";
  auto plan =
      Plan({Export("callee.json", callee), Export("caller.json", caller), from_n8n}, N8nOptions());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->migrations.size(), 3u);
  std::map<std::string, const PlannedMigration*> by_path;
  for (const PlannedMigration& m : plan->migrations) by_path[m.path] = &m;
  const std::string derived = by_path["callee.json"]->n8n_id;
  EXPECT_EQ(derived.size(), 16u);
  EXPECT_EQ(by_path["Kept0000000000id.json"]->n8n_id, "Kept0000000000id");
  EXPECT_NE(by_path["caller.json"]->sql.bytes.find(R"("value":")" + derived + "\""),
            std::string::npos);

  // The same workflows give the same bytes (the versionId is derived too).
  auto again =
      Plan({Export("callee.json", callee), Export("caller.json", caller), from_n8n}, N8nOptions());
  ASSERT_TRUE(again.ok());
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(again->migrations[i].sql.bytes, plan->migrations[i].sql.bytes);
  }
}

TEST(N8nWorkflowSqlTest, PhaseFilesAreRefused) {
  WorkflowExport phase;
  phase.id = "c806e83a-93c5-59f8-a945-000000000001";
  phase.project = "default";
  phase.path = "etl.toml";
  phase.workflow.format = Format::kPhase;
  phase.workflow.content = "[[Phase]]\ntask = \"a\"\n";
  auto plan = Plan({phase}, N8nOptions());
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(plan.status().message(),
            "etl.toml: a phase file is no n8n workflow; it cannot go into n8n");
}

TEST(N8nWorkflowSqlTest, DbmateStyleHasTheN8nDown) {
  Json doc = {{"name", "W"}, {"nodes", Json::array({Node("A")})}, {"connections", Json::object()}};
  MigrationCreateOptions o = N8nOptions(SqlDialect::kPostgres);
  o.style = MigrationStyle::kDbmate;
  o.n8n_project = "Team";
  auto plan = Plan({Export("w.json", doc)}, o);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const std::string& sql = plan->migrations[0].sql.bytes;
  size_t down = sql.find("-- migrate:down\n");
  ASSERT_NE(down, std::string::npos);
  EXPECT_NE(sql.find("\"isArchived\" = true", down), std::string::npos);
  EXPECT_NE(sql.find("-- n8n project: Team\n"), std::string::npos);
  EXPECT_NE(sql.find("WHERE p.name = $fs$Team$fs$ OR p.id = $fs$Team$fs$"), std::string::npos);
}

}  // namespace
}  // namespace flowsync
