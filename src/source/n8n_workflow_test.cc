#include "source/n8n_workflow.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/test_util.h"

namespace flowsync {
namespace {

std::vector<Finding> Check(const std::string& json) {
  auto doc = JsonDocument::Parse(json, 512);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return {};
  return CheckN8nStructure(**doc, (*doc)->root());
}

// "code@location" of each finding, to compare compactly.
std::vector<std::string> Codes(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings) {
    EXPECT_EQ(f.severity, Severity::kError);
    out.push_back(f.code + "@" + f.location);
  }
  return out;
}

std::string Node(const std::string& name, const std::string& extra = "") {
  return R"({"id": ")" + name + R"(-id", "name": ")" + name +
         R"(", "type": "n8n-nodes-base.set", "typeVersion": 1, "position": [0, 0])" + extra + "}";
}

using Strings = std::vector<std::string>;

TEST(N8nRulesTest, ValidWorkflowHasNoFindings) {
  EXPECT_TRUE(Check(R"({"nodes": [], "connections": {}})").empty());
  EXPECT_TRUE(Check(R"({"nodes": [)" + Node("A") + "," + Node("B", R"(, "disabled": true,
      "parameters": {"x": 1}, "typeVersion": 4.2)") +
                    R"(], "connections": {
      "A": {"main": [[{"node": "B", "type": "main", "index": 0}], null, []],
            "ai_tool": [[{"node": "B", "type": "ai_tool", "index": 1.0}]]}}})")
                  .empty());
}

TEST(N8nRulesTest, NodeFields) {
  const auto findings = Check(R"({"connections": {}, "nodes": [
    {"type": "t", "typeVersion": 1, "position": [0, 0]},
    {"name": "", "type": 5, "typeVersion": "1", "position": [0, "0"], "id": 7},
    {"name": 3, "typeVersion": 1, "position": [0, 0, 0], "parameters": [], "disabled": "no"},
    {"name": "ok", "type": "t"},
    "not a node"
  ]})");
  EXPECT_EQ(Codes(findings), (Strings{
                                 "node-missing-name@nodes[0]",
                                 "node-missing-name@nodes[1].name",
                                 "node-bad-type@nodes[1].type",
                                 "node-bad-position@nodes[1].position",
                                 "node-bad-id@nodes[1].id",
                                 "node-bad-type-version@nodes[1].typeVersion",
                                 "node-bad-name@nodes[2].name",
                                 "node-missing-type@nodes[2]",
                                 "node-bad-position@nodes[2].position",
                                 "node-bad-parameters@nodes[2].parameters",
                                 "node-bad-disabled@nodes[2].disabled",
                                 "node-bad-position@nodes[3]",
                                 "node-bad-type-version@nodes[3]",
                                 "node-not-object@nodes[4]",
                             }));
  EXPECT_EQ(findings[0].message, "node has no 'name'");
  EXPECT_EQ(findings[1].message, "'name' is empty");
  EXPECT_EQ(findings[2].message, "'type' must be a string, got number");
  EXPECT_EQ(findings[3].message, "'position' must be an array of 2 numbers");
  EXPECT_EQ(findings[9].message, "'parameters' must be an object, got array");
  EXPECT_EQ(findings[13].message, "node must be an object, got string");
}

TEST(N8nRulesTest, DuplicateNamesAndIds) {
  const auto findings =
      Check(R"({"connections": {}, "nodes": [)" + Node("A") + "," + Node("B", R"(, "id": "A-id")") +
            "," + Node("A", R"(, "id": "")") + "," + Node("C", R"(, "id": "")") + "]}");
  EXPECT_EQ(Codes(findings),
            (Strings{"duplicate-node-id@nodes[1].id", "duplicate-node-name@nodes[2].name"}));
  EXPECT_EQ(findings[0].message, "node id \"A-id\" is already used by nodes[0]");
  EXPECT_EQ(findings[1].message, "node name \"A\" is already used by nodes[0]");
}

TEST(N8nRulesTest, Connections) {
  const auto findings = Check(R"({"nodes": [)" + Node("A") + "," + Node("Set") + R"(],
    "connections": {
      "Set": {"main": [[{"node": "A", "type": "main", "index": 0},
                        {"node": "Ghost", "type": "main", "index": 0},
                        {"node": "", "type": "", "index": -1},
                        {"node": "A", "type": "main", "index": 1.5},
                        {"node": "A", "type": "main"},
                        7],
                       {"node": "A"}],
              "ai tool": {}},
      "Nobody": {"main": []},
      "A": [],
      "Set": {"main": [null]}
    }})");
  // Duplicate "Set" keys: the last one wins, as in JavaScript.
  EXPECT_EQ(Codes(findings), (Strings{"connection-bad-shape@connections[\"A\"]",
                                      "connection-unknown-source@connections[\"Nobody\"]"}));
  EXPECT_EQ(findings[1].message, "connection source \"Nobody\" is not a node of this workflow");

  const auto entries = Check(R"({"nodes": [)" + Node("A") + "," + Node("Set") + R"(],
    "connections": {
      "Set": {"main": [[{"node": "A", "type": "main", "index": 0},
                        {"node": "Ghost", "type": "main", "index": 0},
                        {"node": "", "type": "", "index": -1},
                        {"node": "A", "type": "main", "index": 1.5},
                        {"node": "A", "type": "main"},
                        7],
                       {"node": "A"}],
              "ai tool": {}}}})");
  EXPECT_EQ(Codes(entries), (Strings{
                                "connection-bad-shape@connections[\"Set\"][\"ai tool\"]",
                                "connection-unknown-target@connections[\"Set\"].main[0][1].node",
                                "connection-bad-entry@connections[\"Set\"].main[0][2].node",
                                "connection-bad-entry@connections[\"Set\"].main[0][2].type",
                                "connection-bad-entry@connections[\"Set\"].main[0][2].index",
                                "connection-bad-entry@connections[\"Set\"].main[0][3].index",
                                "connection-bad-entry@connections[\"Set\"].main[0][4].index",
                                "connection-bad-entry@connections[\"Set\"].main[0][5]",
                                "connection-bad-shape@connections[\"Set\"].main[1]",
                            }));
  EXPECT_EQ(entries[1].message, "connection target \"Ghost\" is not a node of this workflow");
  EXPECT_EQ(entries[4].message, "'index' must be an integer >= 0");
}

TEST(N8nRulesTest, MessagesNeverQuoteParameters) {
  const auto findings = Check(R"({"connections": {}, "nodes": [
    {"name": "A", "type": 1, "typeVersion": 1, "position": [0, 0],
     "parameters": {"token": "sk-live-SECRET"}},
    {"name": "A", "type": "t", "typeVersion": 1, "position": [0, 0],
     "parameters": "sk-live-SECRET"}]})");
  ASSERT_EQ(findings.size(), 3u);
  for (const Finding& f : findings) {
    EXPECT_EQ(f.message.find("SECRET"), std::string::npos) << f.code;
    EXPECT_EQ(f.location.find("SECRET"), std::string::npos) << f.code;
  }
}

TEST(N8nRulesTest, FindingsAreCapped) {
  std::string nodes;
  for (int i = 0; i < 150; ++i) nodes += std::string(i ? "," : "") + "{}";
  const auto findings = Check(R"({"connections": {}, "nodes": [)" + nodes + "]}");
  ASSERT_EQ(findings.size(), kMaxFindingsPerWorkflow + 1);
  // Each {} node breaks 4 rules: 600 in all.
  EXPECT_EQ(findings.back(),
            (Finding{Severity::kError, "too-many-findings", "", "500 more findings not listed"}));
}

TEST(N8nRulesTest, LongNamesAreShortenedInMessages) {
  const std::string name(200, 'n');
  const auto findings =
      Check(R"({"nodes": [)" + Node(name) + "," + Node(name) + R"(], "connections": {}})");
  ASSERT_EQ(findings.size(), 2u);  // the name and, derived from it, the id
  EXPECT_EQ(findings[0].message,
            "node name \"" + std::string(80, 'n') + "...\" is already used by nodes[0]");
}

TEST(N8nRulesTest, Facts) {
  auto doc = JsonDocument::Parse(R"({"name": "N", "id": 17, "active": true,
      "tags": [{"name": "b"}, "a", {"id": 1}, {"name": ""}, 5, "b"], "nodes": [], "connections": {}})",
                                 512);
  ASSERT_OK(doc);
  const N8nFacts facts = ReadN8nFacts(**doc, (*doc)->root());
  EXPECT_EQ(facts.name, "N");
  EXPECT_EQ(facts.source_id, "17");
  EXPECT_TRUE(facts.active);
  EXPECT_EQ(facts.categories, (Strings{"a", "b"}));
}

}  // namespace
}  // namespace flowsync
