// Tests of `migration create`'s planning and writing. The token-shaped
// strings are made up (repeated characters in the documented formats).
#include "promote/migration_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "flowsync/source.h"
#include "util/hash.h"
#include "util/memory_file_system.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

using Json = nlohmann::ordered_json;

const std::string kToken =
    "ghp_" + std::string("aB3dE7fG9h") + "aB3dE7fG9h" + "aB3dE7fG9h" + "aB3dE7fG9h";
// 2026-11-22T10:15:00Z
constexpr int64_t kNow = 1795342500000;
const ManualClock kClock(kNow);

Json Node(const std::string& name, Json parameters = Json::object()) {
  return {{"id", name + "-id"}, {"name", name},       {"type", "n8n-nodes-base.httpRequest"},
          {"typeVersion", 4},   {"position", {0, 0}}, {"parameters", std::move(parameters)}};
}

Json Workflow(const std::string& name, Json nodes) {
  return {{"name", name},
          {"nodes", std::move(nodes)},
          {"connections", Json::object()},
          {"tags", Json::array({{{"name", "ops"}}})}};
}

WorkflowExport Export(const std::string& path, const std::string& content,
                      Format format = Format::kN8n) {
  WorkflowExport wf;
  wf.id = "c806e83a-93c5-59f8-a945-" + HashHex(path).substr(0, 12);
  wf.project = "default";
  wf.path = path;
  wf.workflow.format = format;
  // As the source database holds it; the planner re-derives it anyway.
  Json doc = Json::parse(content, nullptr, /*allow_exceptions=*/false);
  wf.workflow.name =
      doc.is_object() && doc.contains("name") ? doc["name"].get<std::string>() : path;
  wf.workflow.content = content;
  wf.created_at = "2026-11-01T00:00:00.000Z";
  wf.updated_at = "2026-11-20T08:00:00.000Z";
  return wf;
}

MigrationCreateOptions Options() {
  MigrationCreateOptions o;
  o.dir = "migrations";
  o.clock = &kClock;
  return o;
}

Result<MigrationPlan> Plan(std::vector<WorkflowExport> wfs,
                           const MigrationCreateOptions& o = Options(),
                           const std::vector<std::string>& existing_names = {}) {
  return PlanMigrations(std::move(wfs), ExistingMigrations{existing_names, {}}, o);
}

// Plans `wfs` into the folder o.dir as it is on disk.
Result<MigrationPlan> PlanInFolder(std::vector<WorkflowExport> wfs,
                                   const MigrationCreateOptions& o) {
  FS_TRY_ASSIGN(ExistingMigrations existing, ReadMigrationFolder(RealFileSystem(), o.dir));
  return PlanMigrations(std::move(wfs), existing, o);
}

// The header: the leading lines up to the marker.
std::vector<std::string> HeaderLines(const std::string& sql) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < sql.size()) {
    size_t end = sql.find('\n', pos);
    std::string line = sql.substr(pos, end - pos);
    lines.push_back(line);
    if (line == kWorkflowMigrationMarker || end == std::string::npos) break;
    pos = end + 1;
  }
  return lines;
}

bool HasLine(const std::string& sql, const std::string& line) {
  for (const std::string& l : HeaderLines(sql)) {
    if (l == line) return true;
  }
  return false;
}

// ---- Credentials ----------------------------------------------------------------

TEST(ReduceCredentialsTest, KeepsTypeAndNameOnly) {
  Json node = Node("HTTP");
  node["credentials"] = {
      {"httpHeaderAuth", {{"id", "42"}, {"name", "My cred"}, {"__aiGatewayManaged", true}}},
      {"slackApi", "Legacy name"},
      {"noName", {{"id", "7"}}},
      {"weird", 12}};
  Json other = Node("Other");
  other["credentials"] = "not an object";
  auto r = ReduceCredentials(Workflow("wf", {node, other}).dump());
  ASSERT_OK(r);
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(r->references, 2);
  Json out = Json::parse(r->content);
  EXPECT_EQ(out["nodes"][0]["credentials"],
            Json({{"httpHeaderAuth", {{"id", nullptr}, {"name", "My cred"}}},
                  {"slackApi", {{"id", nullptr}, {"name", "Legacy name"}}}}));
  EXPECT_FALSE(out["nodes"][1].contains("credentials"));
  // Everything else is kept, in order.
  EXPECT_EQ(out["nodes"][0]["parameters"], Json::object());
  EXPECT_EQ(out.begin().key(), "name");
}

TEST(ReduceCredentialsTest, UnchangedTextIsKeptByteForByte) {
  const std::string plain = "{\"name\":\"wf\",  \"nodes\":[],\"connections\":{}}";
  auto r = ReduceCredentials(plain);
  ASSERT_OK(r);
  EXPECT_FALSE(r->changed);
  EXPECT_EQ(r->content, plain);

  // Already reduced: nothing to do, and the count is still reported.
  Json node = Node("HTTP");
  node["credentials"] = {{"httpHeaderAuth", {{"id", nullptr}, {"name", "c"}}}};
  const std::string reduced = Workflow("wf", {node}).dump();
  r = ReduceCredentials(reduced);
  ASSERT_OK(r);
  EXPECT_FALSE(r->changed);
  EXPECT_EQ(r->references, 1);
  EXPECT_EQ(r->content, reduced);
}

TEST(ReduceCredentialsTest, NotJsonNamesNoContent) {
  auto r = ReduceCredentials("{\"token\": \"" + kToken + "\"");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(r.status().message().find(kToken), std::string::npos);
}

TEST(MigrationPlanTest, CredentialIdsNeverReachTheFile) {
  Json node = Node("HTTP");
  node["credentials"] = {{"httpHeaderAuth", {{"id", "secret-cred-id-123"}, {"name", "Prod"}}}};
  auto plan = Plan({Export("flows/a.json", Workflow("A", {node}).dump())});
  ASSERT_OK(plan);
  const std::string& sql = plan->migrations[0].sql.bytes;
  EXPECT_EQ(sql.find("secret-cred-id-123"), std::string::npos);
  EXPECT_TRUE(HasLine(sql, "-- Credentials: 1 reference kept as type and name (ids dropped)"));
  EXPECT_EQ(plan->migrations[0].credential_references, 1);
}

// ---- Secrets --------------------------------------------------------------------

std::string Leaky(const std::string& name) {
  return Workflow(name, {Node("HTTP", {{"url", "https://api.example.com"}, {"token", kToken}})})
      .dump();
}

TEST(MigrationPlanTest, RefusesEverySecretOfTheBatchWithoutItsValue) {
  std::string second =
      Workflow("Second", {Node("Code", {{"jsCode", "const t = '" + kToken + "';"}})}).dump();
  auto plan = Plan({Export("b.json", second), Export("a.json", Leaky("First")),
                    Export("c.json", Workflow("Clean", {Node("X")}).dump())});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kConflict);
  const std::string& msg = plan.status().message();
  EXPECT_EQ(msg.find(kToken), std::string::npos);
  EXPECT_EQ(msg.find("aB3dE7fG9h"), std::string::npos);
  const std::string id_a = Export("a.json", "").id;
  const std::string id_b = Export("b.json", "").id;
  EXPECT_EQ(msg,
            "refusing to create migrations: 2 literal secrets found, nothing written (--redact "
            "replaces them with __REDACTED__; --allow PATH accepts one deliberately):\n"
            "  First (id " +
                id_a + "): nodes[0].parameters.token: github-token\n  Second (id " + id_b +
                "): nodes[0].parameters.jsCode: github-token");
}

TEST(MigrationPlanTest, RedactReplacesTheValueAndSaysWhere) {
  MigrationCreateOptions o = Options();
  o.redact = true;
  o.sidecar_threshold = 0;  // the sidecar holds the exact content: inspect it
  auto plan = Plan({Export("a.json", Leaky("First"))}, o);
  ASSERT_OK(plan);
  const PlannedMigration& m = plan->migrations[0];
  EXPECT_EQ(m.sql.bytes.find(kToken), std::string::npos);
  ASSERT_TRUE(m.sidecar);
  const std::string& content = m.sidecar->bytes;
  EXPECT_EQ(content.find(kToken), std::string::npos);
  EXPECT_EQ(Json::parse(content)["nodes"][0]["parameters"]["token"], "__REDACTED__");
  EXPECT_EQ(m.redacted, std::vector<std::string>{"nodes[0].parameters.token"});
  EXPECT_TRUE(HasLine(m.sql.bytes, "-- Redacted: nodes[0].parameters.token"));
  // The hash is the one a sync computes over the content the target stores.
  auto canonical = CanonicalJson(content, 512);
  ASSERT_OK(canonical);
  EXPECT_TRUE(HasLine(m.sql.bytes, "-- Content hash: " + HashHex(*canonical)));
}

TEST(MigrationPlanTest, RedactEveryTokenOfAString) {
  const std::string code = "a = '" + kToken + "'; b = '" + kToken + "x';";
  Json headers = {
      {"parameters", Json::array({{{"name", "Authorization"}, {"value", "Bearer " + kToken}}})}};
  MigrationCreateOptions o = Options();
  o.redact = true;
  auto plan =
      Plan({Export("a.json", Workflow("Code", {Node("Code", {{"jsCode", code}}),
                                               Node("HTTP", {{"headerParameters", headers}})})
                                 .dump())},
           o);
  ASSERT_OK(plan);
  const PlannedMigration& m = plan->migrations[0];
  EXPECT_EQ(m.sql.bytes.find("aB3dE7fG9h"), std::string::npos);
  EXPECT_EQ(m.redacted,
            (std::vector<std::string>{"nodes[0].parameters.jsCode",
                                      "nodes[1].parameters.headerParameters.parameters[0].value"}));
}

TEST(MigrationPlanTest, AllowAcceptsOnePathDeliberately) {
  MigrationCreateOptions o = Options();
  o.allowed_paths = {"nodes[0].parameters.token", "nodes[9].parameters.nothing"};
  auto plan = Plan({Export("a.json", Leaky("First"))}, o);
  ASSERT_OK(plan);
  const PlannedMigration& m = plan->migrations[0];
  EXPECT_TRUE(HasLine(m.sql.bytes, "-- Allowed: nodes[0].parameters.token"));
  EXPECT_EQ(m.allowed, std::vector<std::string>{"nodes[0].parameters.token"});
  EXPECT_TRUE(m.redacted.empty());
  EXPECT_EQ(plan->unused_allowed, std::vector<std::string>{"nodes[9].parameters.nothing"});

  // Another path is still refused.
  o.allowed_paths = {"nodes[0].parameters.url"};
  auto refused = Plan({Export("a.json", Leaky("First"))}, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kConflict);
}

TEST(MigrationPlanTest, PhaseFilesTravelAsTheyAre) {
  const std::string toml = "# nightly load\n[[phase]]\ntask = \"a\"\nrule = \"cron=0 * * * *\"\n";
  auto plan = Plan({Export("jobs/p.toml", toml, Format::kPhase)});
  ASSERT_OK(plan);
  const PlannedMigration& m = plan->migrations[0];
  EXPECT_EQ(m.workflow_name, "p");
  EXPECT_TRUE(HasLine(m.sql.bytes, "-- Format: phase"));
  EXPECT_TRUE(HasLine(m.sql.bytes, "-- Content hash: " + HashHex(toml)));
}

// Regression: a token in a phase file's rule or template travelled unseen.
TEST(MigrationPlanTest, PhaseFilesAreSearchedForTokens) {
  const std::string toml = "[[phase]]\ntask = \"a\"\ntemplate = \"https://x/?t=" + kToken + "\"\n";
  auto plan = Plan({Export("jobs/p.toml", toml, Format::kPhase)});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kConflict);
  EXPECT_NE(plan.status().message().find("jobs/p.toml:3: github-token"), std::string::npos)
      << plan.status().message();
  EXPECT_EQ(plan.status().message().find(kToken), std::string::npos);
  MigrationCreateOptions o = Options();
  o.redact = true;
  auto redacted = Plan({Export("jobs/p.toml", toml, Format::kPhase)}, o);
  ASSERT_OK(redacted);
  const std::string& sql = redacted->migrations[0].sql.bytes;
  EXPECT_EQ(sql.find(kToken), std::string::npos);
  EXPECT_TRUE(HasLine(sql, "-- Redacted: jobs/p.toml:3")) << sql.substr(0, 800);
}

TEST(MigrationPlanTest, BundleContentIsReducedAndItsMetaTravels) {
  Json node = Node("HTTP");
  node["credentials"] = {{"httpHeaderAuth", {{"id", "9"}, {"name", "c"}}}};
  WorkflowExport wf = Export("bundles/b", Workflow("Inner", {node}).dump(), Format::kBundle);
  wf.workflow.metadata_json = R"({"categories":["z","a"],"name":"Bundle B"})";
  wf.workflow.documentation = "# B\n";
  MigrationCreateOptions o = Options();
  o.sidecar_threshold = 0;
  auto plan = Plan({wf}, o);
  ASSERT_OK(plan);
  const PlannedMigration& m = plan->migrations[0];
  EXPECT_EQ(m.workflow_name, "Bundle B");
  EXPECT_EQ(m.sql.name, "20261122101459_bundle_b.sql");
  auto canonical = CanonicalJson(m.sidecar->bytes, 512);
  ASSERT_OK(canonical);
  EXPECT_TRUE(HasLine(
      m.sql.bytes,
      "-- Content hash: " + HashHex(*canonical + "\n" + wf.workflow.metadata_json + "\n# B\n")));
}

// ---- Secrets in a bundle's meta.json and README.md --------------------------------

const std::string kMetaSecret = "s3cr3tV4lue9x";

// A bundle whose workflow is clean and whose meta.json and README.md are not.
WorkflowExport DocsBundle() {
  WorkflowExport wf =
      Export("bundles/docs", Workflow("Inner", {Node("X", {{"url", "https://x"}})}).dump(),
             Format::kBundle);
  wf.workflow.name = "Docs Bundle";
  wf.workflow.metadata_json =
      Json({{"name", "Docs Bundle"}, {"owner", {{"api_key", kMetaSecret}}}}).dump();
  wf.workflow.documentation =
      "# Docs\n\nSet the token and the password in n8n.\nold: " + kToken + " (revoked?)\n";
  return wf;
}

TEST(MigrationPlanTest, RefusesSecretsInMetaAndReadmeWithoutTheirValues) {
  auto plan = Plan({DocsBundle(), Export("a.json", Leaky("First"))});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kConflict);
  const std::string& msg = plan.status().message();
  EXPECT_EQ(msg.find(kMetaSecret), std::string::npos);
  EXPECT_EQ(msg.find("aB3dE7fG9h"), std::string::npos);
  const std::string id_a = Export("a.json", "").id;
  const std::string id_b = DocsBundle().id;
  EXPECT_EQ(msg,
            "refusing to create migrations: 3 literal secrets found, nothing written (--redact "
            "replaces them with __REDACTED__; --allow PATH accepts one deliberately):\n"
            "  First (id " +
                id_a + "): nodes[0].parameters.token: github-token\n  Docs Bundle (id " + id_b +
                "): meta.json:owner.api_key: sensitive-key\n  Docs Bundle (id " + id_b +
                "): README.md:4: github-token");
}

TEST(MigrationPlanTest, AllowAcceptsMetaAndReadmePaths) {
  MigrationCreateOptions o = Options();
  o.allowed_paths = {"meta.json:owner.api_key", "README.md:4"};
  auto plan = Plan({DocsBundle()}, o);
  ASSERT_OK(plan);
  const PlannedMigration& m = plan->migrations[0];
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"meta.json:owner.api_key", "README.md:4"}));
  EXPECT_TRUE(HasLine(m.sql.bytes, "-- Allowed: meta.json:owner.api_key"));
  EXPECT_TRUE(HasLine(m.sql.bytes, "-- Allowed: README.md:4"));
  EXPECT_TRUE(m.redacted.empty());
  EXPECT_TRUE(plan->unused_allowed.empty());
  EXPECT_NE(m.sql.bytes.find(kMetaSecret), std::string::npos);  // kept as it is
  EXPECT_NE(m.sql.bytes.find(kToken), std::string::npos);

  // Each is accepted on its own; the other is still refused.
  o.allowed_paths = {"README.md:4"};
  auto refused = Plan({DocsBundle()}, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("meta.json:owner.api_key: sensitive-key"),
            std::string::npos);
  EXPECT_EQ(refused.status().message().find("README.md"), std::string::npos);
  o.allowed_paths = {"owner.api_key", "README.md:3"};  // not the paths a refusal prints
  refused = Plan({DocsBundle()}, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("2 literal secrets"), std::string::npos);
}

TEST(MigrationPlanTest, RedactMetaAndReadmeAndRehashAsASync) {
  MigrationCreateOptions o = Options();
  o.redact = true;
  o.sidecar_threshold = 0;
  const WorkflowExport input = DocsBundle();
  auto plan = Plan({input}, o);
  ASSERT_OK(plan);
  const PlannedMigration& m = plan->migrations[0];
  EXPECT_EQ(m.redacted, (std::vector<std::string>{"meta.json:owner.api_key", "README.md:4"}));
  EXPECT_TRUE(HasLine(m.sql.bytes, "-- Redacted: meta.json:owner.api_key"));
  EXPECT_TRUE(HasLine(m.sql.bytes, "-- Redacted: README.md:4"));
  EXPECT_EQ(m.sql.bytes.find(kMetaSecret), std::string::npos);
  EXPECT_EQ(m.sql.bytes.find("aB3dE7fG9h"), std::string::npos);
  EXPECT_NE(m.sql.bytes.find("__REDACTED__"), std::string::npos);
  EXPECT_NE(m.sql.bytes.find("old: __REDACTED__ (revoked?)"), std::string::npos);
  // The workflow JSON had nothing to redact: it travels byte for byte.
  ASSERT_TRUE(m.sidecar);
  EXPECT_EQ(m.sidecar->bytes, input.workflow.content);
  // A bundle's hash covers meta.json and README.md: the redacted ones.
  auto content = CanonicalJson(m.sidecar->bytes, 512);
  auto meta =
      CanonicalJson(R"({"name": "Docs Bundle", "owner": {"api_key": "__REDACTED__"}})", 512);
  ASSERT_OK(content);
  ASSERT_OK(meta);
  const std::string readme =
      "# Docs\n\nSet the token and the password in n8n.\nold: __REDACTED__ (revoked?)\n";
  EXPECT_TRUE(
      HasLine(m.sql.bytes, "-- Content hash: " + HashHex(*content + "\n" + *meta + "\n" + readme)));
}

TEST(MigrationPlanTest, RedactWorkflowMetaAndReadmeTogether) {
  WorkflowExport wf = DocsBundle();
  wf.workflow.content = Leaky("Inner");
  MigrationCreateOptions o = Options();
  o.redact = true;
  o.allowed_paths = {"README.md:4"};
  auto plan = Plan({wf}, o);
  ASSERT_OK(plan);
  const PlannedMigration& m = plan->migrations[0];
  EXPECT_EQ(m.redacted,
            (std::vector<std::string>{"nodes[0].parameters.token", "meta.json:owner.api_key"}));
  EXPECT_EQ(m.allowed, std::vector<std::string>{"README.md:4"});
  EXPECT_EQ(m.sql.bytes.find(kMetaSecret), std::string::npos);
  // The allowed README token is the only one left.
  size_t first = m.sql.bytes.find(kToken);
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(m.sql.bytes.find(kToken, first + 1), std::string::npos);
}

// ---- Naming ---------------------------------------------------------------------

TEST(MigrationSlugTest, Rules) {
  EXPECT_EQ(MigrationSlug("Hello, World!", "id", "dev"), "hello_world");
  EXPECT_EQ(MigrationSlug("  --Daily  Report 2024--  ", "id", "staging"), "daily_report_2024");
  EXPECT_EQ(MigrationSlug("Café Crème", "id", "dev"), "caf_cr_me");
  EXPECT_EQ(MigrationSlug("Sync", "id", "prod"), "prod_sync_sync");
  EXPECT_EQ(MigrationSlug("!!!", "c806e83a-93c5", "dev"), "workflow_c806e83a");
  EXPECT_EQ(MigrationSlug("", "c806e83a-93c5", "prod"), "prod_sync_workflow_c806e83a");
  std::string long_name(49, 'a');
  EXPECT_EQ(MigrationSlug(long_name + " b c", "id", "dev"), long_name);  // no trailing '_'
  EXPECT_EQ(MigrationSlug(std::string(80, 'x'), "id", "dev"), std::string(50, 'x'));
}

TEST(MigrationVersionTest, TheSecondBeforeNowOrAfterTheNewestInTheFolder) {
  using Versions = std::vector<std::string>;
  auto v = MigrationVersions(kNow, 1, {});
  ASSERT_OK(v);
  EXPECT_EQ(*v, Versions{"20261122101459"});
  v = MigrationVersions(kNow + 999, 1, {"20261122101459_a.sql", "README.md", "001_init.sql"});
  ASSERT_OK(v);
  EXPECT_EQ(*v, Versions{"20261122101500"});
  // A file made by hand in the current second: the run goes one second past it.
  v = MigrationVersions(kNow, 1, {"20261122101500_by_hand.sql"});
  ASSERT_OK(v);
  EXPECT_EQ(*v, Versions{"20261122101501"});
  v = MigrationVersions(kNow, 1, {"20261231235959_future.sql", "20261122101500_x.json"});
  ASSERT_OK(v);
  EXPECT_EQ(*v, Versions{"20270101000000"});
  v = MigrationVersions(kNow, 1, {"20200101000000_old.sql"});
  ASSERT_OK(v);
  EXPECT_EQ(*v, Versions{"20261122101459"});
  // An earlier run's counter versions count by their second.
  v = MigrationVersions(kNow, 2, {"202611221014590001_a.sql", "2026112210145912_b.sql"});
  ASSERT_OK(v);
  EXPECT_EQ(*v, (Versions{"202611221015001", "202611221015002"}));
  // Shorter numbers and long non-timestamps that sort before now do not matter.
  v = MigrationVersions(kNow, 1, {"9999999999999_ms.sql", "1700000000000000000_ns.sql"});
  ASSERT_OK(v);
  EXPECT_EQ(*v, Versions{"20261122101459"});
  v = MigrationVersions(kNow, 0, {});
  ASSERT_OK(v);
  EXPECT_EQ(*v, Versions{});
  for (const char* name :
       {"999999999999999_huge.sql", "99999999999999_x.sql", "20261399000000_bad_month.sql"}) {
    v = MigrationVersions(kNow, 1, {name});
    ASSERT_FALSE(v.ok()) << name;
    EXPECT_EQ(v.status().code(), StatusCode::kConflict);
  }
  EXPECT_EQ(v.status().message(),
            "the migrations folder holds 20261399000000_bad_month.sql, whose version "
            "20261399000000 is no YYYYMMDDHHMMSS timestamp and sorts after any new one");
}

// Regression: a batch took one second per file, so 2,017 files reached 33
// minutes into the future and a migration made by hand meanwhile was refused
// as out of order.
TEST(MigrationVersionTest, ABatchSharesOneSecondBeforeNow) {
  constexpr size_t kCount = 2000;
  auto v = MigrationVersions(kNow + 420, kCount, {"20261122101400_earlier.sql"});
  ASSERT_OK(v);
  ASSERT_EQ(v->size(), kCount);
  EXPECT_EQ(v->front(), "202611221014590001");
  EXPECT_EQ(v->at(9), "202611221014590010");
  EXPECT_EQ(v->back(), "202611221014592000");
  const std::string by_hand = "20261122101500";  // the current second
  for (size_t i = 0; i < kCount; ++i) {
    const std::string& x = (*v)[i];
    // In order for the runner and for dbmate (text), after the folder's
    // files and before one made by hand now.
    EXPECT_LT(CompareMigrationVersions("20261122101400", x), 0) << x;
    EXPECT_LT(CompareMigrationVersions(x, by_hand), 0) << x;
    EXPECT_LT(x + "_a.sql", by_hand + "_a.sql");
    if (i > 0) {
      EXPECT_LT(CompareMigrationVersions((*v)[i - 1], x), 0) << x;
      EXPECT_LT((*v)[i - 1], x);
    }
  }
  // Nine files: one digit of counter.
  v = MigrationVersions(kNow, 9, {});
  ASSERT_OK(v);
  EXPECT_EQ(v->front(), "202611221014591");
  EXPECT_EQ(v->back(), "202611221014599");
}

TEST(MigrationPlanTest, ABatchSharesTheSecondInPathOrder) {
  MigrationCreateOptions o = Options();
  const ManualClock later(kNow + 59'000);  // 10:15:59
  o.clock = &later;
  o.source = "prod";
  // A file made by hand in the current second: the batch follows it, across
  // the minute.
  auto plan = Plan({Export("z.json", Workflow("Zed", {Node("X")}).dump()),
                    Export("a.json", Workflow("Alpha", {Node("X")}).dump())},
                   o, {"20261122101559_by_hand.sql"});
  ASSERT_OK(plan);
  ASSERT_EQ(plan->migrations.size(), 2u);
  EXPECT_EQ(plan->migrations[0].sql.name, "202611221016001_prod_sync_alpha.sql");
  EXPECT_EQ(plan->migrations[1].sql.name, "202611221016002_prod_sync_zed.sql");
  EXPECT_TRUE(HasLine(plan->migrations[0].sql.bytes, "-- Source: prod"));
  EXPECT_TRUE(
      HasLine(plan->migrations[0].sql.bytes, "-- Migration: 202611221016001_prod_sync_alpha.sql"));
}

TEST(MigrationPlanTest, UnknownSourceIsRefused) {
  MigrationCreateOptions o = Options();
  o.source = "qa";
  auto plan = Plan({Export("a.json", Workflow("A", {Node("X")}).dump())}, o);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
}

// ---- Header ---------------------------------------------------------------------

TEST(EscapeHeaderTextTest, NothingEndsTheComment) {
  EXPECT_EQ(EscapeHeaderText("plain ünïcode"), "plain ünïcode");
  EXPECT_EQ(EscapeHeaderText("a\nb\rc\td\\e"), "a\\nb\\rc\\td\\\\e");
  EXPECT_EQ(EscapeHeaderText(std::string("x\0y\x1b\x7f", 5)), "x\\x00y\\x1b\\x7f");
  EXPECT_EQ(EscapeHeaderText("nel\xC2\x85 ls\xE2\x80\xA8 ps\xE2\x80\xA9"),
            "nel\\u0085 ls\\u2028 ps\\u2029");
  EXPECT_EQ(EscapeHeaderText("bad\xFF\xC3"), "bad\\xff\\xc3");
}

TEST(MigrationPlanTest, CraftedNamesCannotInjectSql) {
  const std::string name = "Evil\nDROP TABLE workflows; --\r\nDELETE FROM sync_runs;\xE2\x80\xA8x";
  MigrationCreateOptions o = Options();
  o.notes = "ticket 42\nDROP TABLE x;";
  auto plan = Plan({Export("evil\nDROP.json", Workflow(name, {Node("X")}).dump())}, o);
  ASSERT_OK(plan);
  const std::string& sql = plan->migrations[0].sql.bytes;
  std::vector<std::string> header = HeaderLines(sql);
  ASSERT_EQ(header.back(), kWorkflowMigrationMarker);
  for (const std::string& line : header) {
    EXPECT_TRUE(line.starts_with("-- ")) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  }
  EXPECT_TRUE(HasLine(sql,
                      "-- Workflow: Evil\\nDROP TABLE workflows; --\\r\\nDELETE FROM "
                      "sync_runs;\\u2028x"));
  EXPECT_TRUE(HasLine(sql, "-- Path: evil\\nDROP.json"));
  EXPECT_TRUE(HasLine(sql, "-- Notes: ticket 42\\nDROP TABLE x;"));
  EXPECT_TRUE(IsWorkflowMigration(sql));
}

// A NUL cannot be written into SQL that both backends apply (PostgreSQL's
// text cannot hold it; SQLite's tokenizer stops at it): a workflow stored
// with one (as SQLite accepted before syncs refused them) is refused by name
// and field, and nothing is planned.
TEST(MigrationPlanTest, NulInAStoredFieldIsRefusedNamingTheField) {
  const std::string name("Nul\0name", 8);
  auto plan = Plan({Export("flows/nul.json", Workflow(name, {Node("X")}).dump()),
                    Export("flows/ok.json", Workflow("ok", {Node("X")}).dump())});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(),
            "Nul\\x00name (id c806e83a-93c5-59f8-a945-" + HashHex("flows/nul.json").substr(0, 12) +
                "): flows/nul.json:1:9: 'name' holds a NUL character (\\u0000), which "
                "PostgreSQL cannot store");
  // A NUL elsewhere in the JSON travels as the six characters \u0000.
  Json nodes = {Node("X", {{"x", std::string("a\0b", 3)}})};
  auto kept = Plan({Export("flows/param.json", Workflow("p", nodes).dump())});
  ASSERT_OK(kept);
  const std::string& sql = kept->migrations[0].sql.bytes;
  EXPECT_EQ(sql.find('\0'), std::string::npos);
  EXPECT_NE(sql.find("a\\u0000b"), std::string::npos);
}

TEST(MigrationPlanTest, HeaderNamesTheWorkflow) {
  auto plan = Plan({Export("flows/a.json", Workflow("Alpha", {Node("X")}).dump())});
  ASSERT_OK(plan);
  const PlannedMigration& m = plan->migrations[0];
  EXPECT_EQ(m.sql.name, "20261122101459_alpha.sql");
  std::vector<std::string> header = HeaderLines(m.sql.bytes);
  std::vector<std::string> want = {
      "-- Migration: 20261122101459_alpha.sql",
      "-- Generated by flowsync migration create; review before merging.",
      "-- Source: dev",
      "-- Dialect: sqlite",
      "-- Workflow: Alpha",
      "-- Workflow id: " + Export("flows/a.json", "").id,
      "-- Path: flows/a.json",
      "-- Format: n8n",
      "-- Last updated: 2026-11-20T08:00:00.000Z",
      "-- Content hash: " + HashHex(*CanonicalJson(Workflow("Alpha", {Node("X")}).dump(), 512)),
      std::string(kWorkflowMigrationMarker),
  };
  EXPECT_EQ(header, want);
  EXPECT_FALSE(m.sidecar);
  // Plain: the up SQL follows the header directly.
  EXPECT_EQ(m.sql.bytes.find("-- migrate:"), std::string::npos);
}

TEST(MigrationPlanTest, DbmateSections) {
  MigrationCreateOptions o = Options();
  o.style = MigrationStyle::kDbmate;
  o.dialect = SqlDialect::kPostgres;
  auto plan = Plan({Export("a.json", Workflow("A", {Node("X")}).dump())}, o);
  ASSERT_OK(plan);
  const std::string& sql = plan->migrations[0].sql.bytes;
  size_t up = sql.find("\n-- migrate:up\n");
  size_t down = sql.find("\n-- migrate:down\n");
  ASSERT_NE(up, std::string::npos);
  ASSERT_NE(down, std::string::npos);
  EXPECT_LT(up, down);
  EXPECT_TRUE(HasLine(sql, "-- Dialect: postgres"));
  EXPECT_TRUE(sql.ends_with(WorkflowDownSql(SqlDialect::kPostgres, plan->migrations[0].sql.name)));
}

// ---- Determinism ---------------------------------------------------------------

TEST(MigrationPlanTest, SameInputSameBytesApartFromTheVersion) {
  Json node = Node("HTTP", {{"url", "https://x"}});
  node["credentials"] = {{"httpHeaderAuth", {{"id", "1"}, {"name", "c"}}}};
  auto input = [&] {
    return std::vector<WorkflowExport>{Export("b.json", Workflow("B", {node}).dump()),
                                       Export("a.json", Leaky("A"))};
  };
  MigrationCreateOptions o1 = Options();
  o1.redact = true;
  MigrationCreateOptions o2 = o1;
  const ManualClock next_day(kNow + 86'400'000);
  o2.clock = &next_day;
  auto p1 = Plan(input(), o1);
  auto p2 = Plan(input(), o2);
  ASSERT_OK(p1);
  ASSERT_OK(p2);
  ASSERT_EQ(p1->migrations.size(), p2->migrations.size());
  for (size_t i = 0; i < p1->migrations.size(); ++i) {
    std::string v1 = p1->migrations[i].sql.name.substr(0, 14);
    std::string v2 = p2->migrations[i].sql.name.substr(0, 14);
    ASSERT_NE(v1, v2);
    std::string b1 = std::regex_replace(p1->migrations[i].sql.bytes, std::regex(v1), "V");
    std::string b2 = std::regex_replace(p2->migrations[i].sql.bytes, std::regex(v2), "V");
    EXPECT_EQ(b1, b2);
  }
}

// ---- Sidecars ---------------------------------------------------------------------

TEST(MigrationPlanTest, SidecarAboveTheThreshold) {
  const std::string content = Workflow("Big", {Node("X")}).dump();
  MigrationCreateOptions o = Options();
  o.sidecar_threshold = content.size();  // not above: inline
  auto inline_plan = Plan({Export("big.json", content)}, o);
  ASSERT_OK(inline_plan);
  EXPECT_FALSE(inline_plan->migrations[0].sidecar);
  EXPECT_FALSE(FindSidecarRef(inline_plan->migrations[0].sql.bytes));

  o.sidecar_threshold = content.size() - 1;
  auto plan = Plan({Export("big.json", content)}, o);
  ASSERT_OK(plan);
  const PlannedMigration& m = plan->migrations[0];
  ASSERT_TRUE(m.sidecar);
  EXPECT_EQ(m.sidecar->name, "20261122101459_big.json");
  EXPECT_EQ(m.sidecar->bytes, content);
  std::optional<SidecarRef> ref = FindSidecarRef(m.sql.bytes);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->file, m.sidecar->name);
  EXPECT_EQ(ref->sha256, "sha256:" + Sha256Hex(content));
  EXPECT_NE(m.sql.bytes.find(kSidecarToken), std::string::npos);
  EXPECT_EQ(m.sql.bytes.find("\"connections\""), std::string::npos);  // not inline too
  EXPECT_TRUE(IsWorkflowMigration(m.sql.bytes));
}

// ---- Writing ----------------------------------------------------------------------

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

MigrationPlan TwoFilePlan(const std::string& dir) {
  MigrationPlan plan;
  plan.dir = dir;
  PlannedMigration a;
  a.sql = {"20261122101500_a.sql", "-- a\n"};
  a.sidecar = PlannedFile{"20261122101500_a.json", "{}"};
  PlannedMigration b;
  b.sql = {"20261122101501_b.sql", "-- b\n"};
  b.sidecar = PlannedFile{"20261122101501_b.json", "[]"};
  plan.migrations = {a, b};
  return plan;
}

TEST(WriteMigrationsTest, WritesEveryFileAndNoTempFiles) {
  test::TempDir tmp;
  const std::string dir = tmp.path() + "/deep/migrations";  // created with its parents
  ASSERT_OK(WriteMigrations(TwoFilePlan(dir)));
  EXPECT_EQ(Names(dir),
            (std::vector<std::string>{"20261122101500_a.json", "20261122101500_a.sql",
                                      "20261122101501_b.json", "20261122101501_b.sql"}));
  EXPECT_EQ(tmp.Read("deep/migrations/20261122101500_a.sql"), "-- a\n");
  EXPECT_EQ(tmp.Read("deep/migrations/20261122101501_b.json"), "[]");
  auto listed = ReadMigrationFolder(RealFileSystem(), dir);
  ASSERT_OK(listed);
  EXPECT_EQ(listed->names.size(), 4u);
}

TEST(WriteMigrationsTest, RemovesTheTempFilesOfAKilledRun) {
  test::TempDir tmp;
  const std::string dir = tmp.path() + "/m";
  // 4194305 is above the largest PID Linux hands out (2^22): no process.
  tmp.Write("m/.20261122101400_old.sql.tmp-4194305-7", "-- half");
  tmp.Write("m/.20261122101400_old.json.tmp-4194305-6", "{");
  const std::string live = ".20261122101400_live.sql.tmp-" + std::to_string(::getppid()) + "-1";
  tmp.Write("m/" + live, "-- a run in progress");
  tmp.Write("m/.notes.tmp-x-1", "not a temp file of ours");
  ASSERT_OK(WriteMigrations(TwoFilePlan(dir)));
  EXPECT_EQ(Names(dir), (std::vector<std::string>{live, ".notes.tmp-x-1", "20261122101500_a.json",
                                                  "20261122101500_a.sql", "20261122101501_b.json",
                                                  "20261122101501_b.sql"}));
}

TEST(WriteMigrationsTest, AFailureLeavesNothing) {
  test::TempDir tmp;
  const std::string dir = tmp.path() + "/m";
  // The last file's name is taken (by a folder): the renames before it are
  // undone and the temp files removed.
  std::filesystem::create_directories(dir + "/20261122101501_b.sql");
  Status s = WriteMigrations(TwoFilePlan(dir));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(s.message(), dir + "/20261122101501_b.sql already exists");
  EXPECT_EQ(Names(dir), std::vector<std::string>{"20261122101501_b.sql"});

  // A folder that cannot be created: nothing anywhere.
  tmp.Write("file", "x");
  s = WriteMigrations(TwoFilePlan(tmp.path() + "/file/m"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ(Names(tmp.path()), (std::vector<std::string>{"file", "m"}));
}

// Failures a real disk does not produce on demand: whichever step fails,
// the folder is left as it was, and the error names the final file.
TEST(WriteMigrationsTest, AFailureAtAnyStepLeavesNothing) {
  using Op = MemoryFileSystem::Op;
  const auto contains = [](std::string part) {
    return [part](const std::string& path) { return path.find(part) != std::string::npos; };
  };
  struct Case {
    Op op;
    MemoryFileSystem::PathMatcher matches;
    std::string error;
  };
  const std::vector<Case> cases = {
      // The third of four temp files cannot be written.
      {Op::kWrite, contains("20261122101501_b.json"),
       "cannot write /m/20261122101501_b.json: No space left on device"},
      {Op::kSync, contains("/m"), "cannot sync the files in /m: No space left on device"},
      // The last rename fails after three files are in place.
      {Op::kRename, contains("/m/20261122101501_b.sql"),
       "cannot rename to /m/20261122101501_b.sql: No space left on device"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.error);
    MemoryFileSystem fs;
    ASSERT_OK(fs.SetFile("/m/001_init.sql", "-- old\n"));
    fs.InjectError(c.op, c.matches, ENOSPC);
    Status s = WriteMigrations(TwoFilePlan("/m"), fs);
    EXPECT_EQ(s.code(), StatusCode::kIOError);
    EXPECT_EQ(s.message(), c.error);
    EXPECT_EQ(ReadMigrationFolder(fs, "/m")->names, std::vector<std::string>{"001_init.sql"});
  }

  // Without faults the same plan lands whole, and the folder is made.
  MemoryFileSystem fs;
  ASSERT_OK(WriteMigrations(TwoFilePlan("/m/deep"), fs));
  EXPECT_EQ(*fs.ReadFile("/m/deep/20261122101501_b.json", 10), "[]");
  EXPECT_EQ(fs.ListDir("/m/deep")->size(), 4u);
}

TEST(WriteMigrationsTest, MissingFolderListsEmpty) {
  test::TempDir tmp;
  auto listed = ReadMigrationFolder(RealFileSystem(), tmp.path() + "/none");
  ASSERT_OK(listed);
  EXPECT_TRUE(listed->names.empty());
  EXPECT_TRUE(listed->workflow_migrations.empty());
}

TEST(MigrationPlanTest, PlannedFilesWriteAndReadBack) {
  test::TempDir tmp;
  MigrationCreateOptions o = Options();
  o.dir = tmp.path() + "/migrations";
  o.sidecar_threshold = 10;
  auto plan = Plan({Export("a.json", Workflow("A", {Node("X")}).dump())}, o);
  ASSERT_OK(plan);
  ASSERT_OK(WriteMigrations(*plan));
  const PlannedMigration& m = plan->migrations[0];
  EXPECT_EQ(tmp.Read("migrations/" + m.sql.name), m.sql.bytes);
  std::string sidecar = tmp.Read("migrations/" + m.sidecar->name);
  EXPECT_EQ(FindSidecarRef(m.sql.bytes)->sha256, MigrationChecksum(sidecar));
  // The next run goes after it.
  o.force = true;
  auto next = PlanInFolder({Export("a.json", Workflow("A", {Node("X")}).dump())}, o);
  ASSERT_OK(next);
  EXPECT_EQ(next->migrations[0].sql.name, "20261122101500_a.sql");
}

// ---- Unchanged workflows ------------------------------------------------------------

TEST(MigrationPlanTest, AWorkflowUnchangedSinceItsNewestMigrationIsSkippedUnlessForced) {
  test::TempDir tmp;
  MigrationCreateOptions o = Options();
  o.dir = tmp.path() + "/migrations";
  auto alpha = [] { return Export("a.json", Workflow("Alpha", {Node("X")}).dump()); };
  auto beta = [](const std::string& node) {
    return Export("b.json", Workflow("Beta", {Node(node)}).dump());
  };
  auto first = PlanInFolder({alpha(), beta("X")}, o);
  ASSERT_OK(first);
  ASSERT_OK(WriteMigrations(*first));
  EXPECT_EQ(first->skipped.size(), 0u);
  const std::string alpha_file = "202611221014591_alpha.sql";
  ASSERT_EQ(first->migrations[0].sql.name, alpha_file);

  // Alpha unchanged, beta changed: only beta is written, after the folder.
  const ManualClock later(kNow + 60'000);
  o.clock = &later;
  auto second = PlanInFolder({beta("Y"), alpha()}, o);
  ASSERT_OK(second);
  ASSERT_EQ(second->migrations.size(), 1u);
  EXPECT_EQ(second->migrations[0].sql.name, "20261122101559_beta.sql");
  ASSERT_EQ(second->skipped.size(), 1u);
  const SkippedMigration& skipped = second->skipped[0];
  EXPECT_EQ(skipped.workflow_id, alpha().id);
  EXPECT_EQ(skipped.workflow_name, "Alpha");
  EXPECT_EQ(skipped.path, "a.json");
  EXPECT_EQ(skipped.unchanged_since, alpha_file);
  ASSERT_OK(WriteMigrations(*second));

  // Nothing changed: nothing to write, and writing it touches nothing.
  auto third = PlanInFolder({alpha(), beta("Y")}, o);
  ASSERT_OK(third);
  EXPECT_EQ(third->migrations.size(), 0u);
  ASSERT_EQ(third->skipped.size(), 2u);
  EXPECT_EQ(third->skipped[1].unchanged_since, "20261122101559_beta.sql");
  ASSERT_OK(WriteMigrations(*third));
  EXPECT_EQ(ReadMigrationFolder(RealFileSystem(), o.dir)->names.size(), 3u);

  // Beta back as it first was: its newest migration holds other content.
  auto back = PlanInFolder({beta("X")}, o);
  ASSERT_OK(back);
  EXPECT_EQ(back->migrations.size(), 1u);
  EXPECT_EQ(back->skipped.size(), 0u);

  o.force = true;
  auto forced = PlanInFolder({alpha(), beta("Y")}, o);
  ASSERT_OK(forced);
  EXPECT_EQ(forced->migrations.size(), 2u);
  EXPECT_EQ(forced->skipped.size(), 0u);
}

TEST(MigrationPlanTest, RedactedContentIsComparedAsWritten) {
  test::TempDir tmp;
  MigrationCreateOptions o = Options();
  o.dir = tmp.path() + "/migrations";
  o.redact = true;
  auto leaky = [] {
    return Export("l.json", Workflow("Leaky", {Node("H", {{"token", kToken}})}).dump());
  };
  auto first = PlanInFolder({leaky()}, o);
  ASSERT_OK(first);
  ASSERT_OK(WriteMigrations(*first));
  auto again = PlanInFolder({leaky()}, o);
  ASSERT_OK(again);
  EXPECT_EQ(again->migrations.size(), 0u);
  ASSERT_EQ(again->skipped.size(), 1u);
  EXPECT_EQ(again->skipped[0].unchanged_since, first->migrations[0].sql.name);
}

TEST(ReadMigrationFolderTest, ReadsTheHeadersOfGeneratedMigrations) {
  test::TempDir tmp;
  MigrationCreateOptions o = Options();
  o.dir = tmp.path() + "/m";
  o.style = MigrationStyle::kDbmate;
  auto plan = Plan({Export("a.json", Workflow("Alpha", {Node("X")}).dump())}, o);
  ASSERT_OK(plan);
  ASSERT_OK(WriteMigrations(*plan));
  tmp.Write("m/1_by_hand.sql", "-- Workflow id: x\n-- Content hash: y\nSELECT 1;\n");
  tmp.Write("m/notes.sql", "-- flowsync:workflow-migration v1\n");
  tmp.Write("m/2_x.json", "{}");
  tmp.Write("m/3_folder.sql/inside.sql", "");
  auto read = ReadMigrationFolder(RealFileSystem(), o.dir);
  ASSERT_OK(read);
  EXPECT_EQ(read->names.size(), 5u);
  ASSERT_EQ(read->workflow_migrations.size(), 1u);
  const ExistingWorkflowMigration& e = read->workflow_migrations[0];
  const PlannedMigration& m = plan->migrations[0];
  EXPECT_EQ(e.file, m.sql.name);
  EXPECT_EQ(e.version, "20261122101459");
  EXPECT_EQ(e.workflow_id, m.workflow_id);
  EXPECT_TRUE(HasLine(m.sql.bytes, "-- Content hash: " + e.content_hash));
  EXPECT_EQ(e.content_hash.size(), 32u);
}

TEST(ReadMigrationFolderTest, AnUnreadableFileIsNamed) {
  MemoryFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/m"));
  ASSERT_OK(fs.WriteNewFile("/m/1_a.sql", "SELECT 1;\n", false));
  fs.InjectError(
      MemoryFileSystem::Op::kRead, [](const std::string& p) { return p == "/m/1_a.sql"; }, EIO);
  auto read = ReadMigrationFolder(fs, "/m");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kIOError);
  EXPECT_EQ(read.status().message(), "cannot read /m/1_a.sql: Input/output error");
}

}  // namespace
}  // namespace flowsync
