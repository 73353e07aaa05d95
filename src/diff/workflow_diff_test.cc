#include "diff/workflow_diff.h"

#include <gtest/gtest.h>

#include "util/test_util.h"

namespace flowsync {
namespace {

const char kBefore[] = R"({"name":"Orders","nodes":[
 {"id":"1","name":"Webhook","type":"n8n-nodes-base.webhook","position":[0,0],"parameters":{"path":"orders"}},
 {"id":"2","name":"Slack","type":"n8n-nodes-base.slack","position":[200,0],
  "parameters":{"channel":"#ops","text":"hi"},"credentials":{"slackApi":{"id":"7","name":"Ops"}}},
 {"id":"3","name":"Old","type":"n8n-nodes-base.noOp","position":[400,0],"parameters":{}}],
 "connections":{"Webhook":{"main":[[{"node":"Slack","type":"main","index":0}]]},
                "Slack":{"main":[[{"node":"Old","type":"main","index":0}]]}},
 "settings":{"timezone":"UTC"}})";

const char kAfter[] = R"({"name":"Orders v2","nodes":[
 {"id":"1","name":"Hook","type":"n8n-nodes-base.webhook","position":[0,0],"parameters":{"path":"orders"}},
 {"id":"2","name":"Slack","type":"n8n-nodes-base.slack","position":[240,40],
  "parameters":{"channel":"#sales","text":"hi"},"credentials":{"slackApi":{"id":"7","name":"Ops"}}},
 {"id":"4","name":"Log","type":"n8n-nodes-base.noOp","position":[400,0],"parameters":{}}],
 "connections":{"Hook":{"main":[[{"node":"Slack","type":"main","index":0}]]},
                "Slack":{"main":[[{"node":"Log","type":"main","index":0}]]}},
 "settings":{"timezone":"Europe/Berlin"}})";

DiffSide Side(std::string label, std::string content) {
  DiffSide s;
  s.label = std::move(label);
  s.content = std::move(content);
  return s;
}

TEST(WorkflowDiffTest, SummarisesNodesEdgesAndFields) {
  WorkflowDiff d = DiffWorkflows(Format::kN8n, Side("a", kBefore), Side("b", kAfter));
  EXPECT_FALSE(d.equal);
  ASSERT_EQ(d.nodes.size(), 4u);
  EXPECT_EQ(d.nodes[0].name, "Hook");
  EXPECT_EQ(d.nodes[0].old_name, "Webhook");
  EXPECT_EQ(d.nodes[0].state, NodeDiff::State::kChanged);
  EXPECT_FALSE(d.nodes[0].moved);
  EXPECT_TRUE(d.nodes[0].changed_paths.empty());
  EXPECT_EQ(d.nodes[1].name, "Slack");
  EXPECT_TRUE(d.nodes[1].moved);
  EXPECT_EQ(d.nodes[1].changed_paths, std::vector<std::string>{"parameters.channel"});
  EXPECT_EQ(d.nodes[2].name, "Log");
  EXPECT_EQ(d.nodes[2].state, NodeDiff::State::kAdded);
  EXPECT_EQ(d.nodes[3].name, "Old");
  EXPECT_EQ(d.nodes[3].state, NodeDiff::State::kRemoved);
  EXPECT_EQ(d.edges_added, (std::vector<std::string>{"Hook -> Slack", "Slack -> Log"}));
  EXPECT_EQ(d.edges_removed, (std::vector<std::string>{"Slack -> Old", "Webhook -> Slack"}));
  EXPECT_EQ(d.changed_paths, (std::vector<std::string>{"name", "settings.timezone"}));
  EXPECT_NE(d.unified.find("-        \"channel\": \"#ops\",\n+        \"channel\": \"#sales\",\n"),
            std::string::npos)
      << d.unified;
  EXPECT_EQ(d.unified.rfind("--- a\n+++ b\n@@ ", 0), 0u) << d.unified;
}

TEST(WorkflowDiffTest, FormattingAndKeyOrderAreNoChange) {
  WorkflowDiff d = DiffWorkflows(Format::kN8n, Side("a", R"({"b":1,"a":[1, 2]})"),
                                 Side("b", "{\n  \"a\": [1,2],\n  \"b\": 1\n}\n"));
  EXPECT_TRUE(d.equal);
  EXPECT_EQ(d.unified, "");
}

TEST(WorkflowDiffTest, SecretsAreMaskedInTheTextButTheirPathsAreNamed) {
  const std::string token =
      "xoxb-" + std::string("123456789012-1234567890123-") + "abcdefghijABCDEFGHIJabcd";
  const std::string other =
      "xoxb-" + std::string("123456789012-1234567890123-") + "zzzzzzzzzzZZZZZZZZZZzzzz";
  auto doc = [](const std::string& secret) {
    return R"({"nodes":[{"id":"1","name":"Slack","type":"n8n-nodes-base.httpRequest","parameters":{"token":")" +
           secret + R"(","url":"https://slack.com"}}],"connections":{}})";
  };
  WorkflowDiff d = DiffWorkflows(Format::kN8n, Side("a", doc(token)), Side("b", doc(other)));
  EXPECT_FALSE(d.equal);
  ASSERT_EQ(d.nodes.size(), 1u);
  EXPECT_EQ(d.nodes[0].changed_paths, std::vector<std::string>{"parameters.token"});
  EXPECT_EQ(d.unified.find("xoxb-"), std::string::npos) << "a secret leaked into the diff";
}

TEST(WorkflowDiffTest, BundleMembersAndPhaseTextAreCompared) {
  DiffSide a = Side("a/x", R"({"nodes":[],"connections":{}})");
  DiffSide b = a;
  b.label = "b/x";
  a.metadata_json = R"({"owner":"ann","tags":["x"]})";
  b.metadata_json = R"({"owner":"bob","tags":["x"]})";
  b.documentation = "# Orders\n";
  WorkflowDiff d = DiffWorkflows(Format::kBundle, a, b);
  EXPECT_EQ(d.changed_paths, (std::vector<std::string>{"meta.json:owner", "README.md"}));
  EXPECT_NE(d.unified.find("--- a/x meta.json\n+++ b/x meta.json\n"), std::string::npos);
  EXPECT_NE(d.unified.find("+# Orders\n"), std::string::npos);

  WorkflowDiff p = DiffWorkflows(Format::kPhase, Side("a", "[[phase]]\ntask = \"a\"\n"),
                                 Side("b", "[[phase]]\ntask = \"b\"\n"));
  EXPECT_EQ(p.unified, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n [[phase]]\n-task = \"a\"\n+task = \"b\"\n");
}

TEST(WorkflowDiffTest, BrokenJsonIsComparedAsText) {
  WorkflowDiff d = DiffWorkflows(Format::kN8n, Side("a", "{\"nodes\": ["), Side("b", "{}"));
  EXPECT_FALSE(d.equal);
  EXPECT_EQ(d.changed_paths, std::vector<std::string>{"content"});
  EXPECT_EQ(d.unified,
            "--- a\n+++ b\n@@ -1 +1 @@\n-{\"nodes\": [\n\\ No newline at end of file\n+{}\n");
}

TEST(PrettyCanonicalJsonTest, SortsKeysKeepsNumbersAndIndents) {
  auto p = PrettyCanonicalJson(R"({"b":[1.50,{}],"a":{"y":null,"x":"\u00e9"},"c":[]})");
  ASSERT_OK(p);
  EXPECT_EQ(
      *p,
      "{\n  \"a\": {\n    \"x\": \"\xc3\xa9\",\n    \"y\": null\n  },\n  \"b\": [\n    1.50,\n"
      "    {}\n  ],\n  \"c\": []\n}\n");
  EXPECT_EQ(PrettyCanonicalJson("{").status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace flowsync
