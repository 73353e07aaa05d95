#include "source/phase_file.h"

#include <gtest/gtest.h>

#include <string>

#include "flowsync/source.h"
#include "util/hash.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

ParsedWorkflow ReadOk(const std::string& text, const std::string& display = "flows/p.toml") {
  auto result = ReadPhaseFile(text, display, "p");
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok() || !result->has_value()) {
    ADD_FAILURE() << "no workflow";
    return {};
  }
  return std::move(**result);
}

std::string ErrorOf(const std::string& text) {
  auto result = ReadPhaseFile(text, "flows/p.toml", "p");
  if (result.ok()) return "<ok>";
  EXPECT_EQ(result.status().code(), StatusCode::kCorruption);
  return result.status().message();
}

TEST(PhaseSourceTest, ReadsPhases) {
  const std::string text =
      "# nightly\n"
      "[[phase]]\n"
      "task = \"load:daily\"\n"
      "rule = \"cron=0 0 * * *\"\n"
      "retry = 3\n"
      "template = \"?day={yyyy}\"\n"
      "\n"
      "[[Phase]]\n"
      "Task = \"report\"\n"
      "DEPENDSON = \"load:daily\"\n";
  const ParsedWorkflow wf = ReadOk(text);
  EXPECT_EQ(wf.format, Format::kPhase);
  EXPECT_EQ(wf.name, "p");
  EXPECT_EQ(wf.content, text);
  EXPECT_EQ(wf.content_hash, HashHex(text));
  EXPECT_EQ(wf.metadata_json, "{}");
  EXPECT_EQ(wf.source_id, std::nullopt);
  EXPECT_TRUE(wf.findings.empty());
  ASSERT_EQ(wf.phases.size(), 2u);
  EXPECT_EQ(wf.phases[0], (PhaseEntry{"load:daily", "", "cron=0 0 * * *", "?day={yyyy}", 3, 2}));
  EXPECT_EQ(wf.phases[1], (PhaseEntry{"report", "load:daily", "", "", 0, 8}));
}

TEST(PhaseSourceTest, PhasesStayInFileOrderAcrossSpellings) {
  const ParsedWorkflow wf =
      ReadOk("[[phase]]\ntask = \"a\"\n[[Phase]]\ntask = \"b\"\n[[phase]]\ntask = \"c\"\n");
  ASSERT_EQ(wf.phases.size(), 3u);
  EXPECT_EQ(wf.phases[0].task, "a");
  EXPECT_EQ(wf.phases[1].task, "b");
  EXPECT_EQ(wf.phases[2].task, "c");
  EXPECT_EQ(wf.phases[2].line, 5);
}

TEST(PhaseSourceTest, UnknownKeysAreWarnings) {
  const ParsedWorkflow wf = ReadOk(
      "checksum = \"abc\"\n"
      "[[phase]]\n"
      "task = \"a\"\n"
      "schedul = \"cron=1\"\n"
      "depends_on = \"b\"\n"
      "Task = \"A\"\n");
  ASSERT_EQ(wf.phases.size(), 1u);
  EXPECT_EQ(wf.phases[0].task, "A");  // the last spelling wins
  EXPECT_EQ(wf.phases[0].depends_on, "");
  ASSERT_EQ(wf.findings.size(), 4u);
  EXPECT_EQ(wf.findings[0], (Finding{Severity::kWarning, "unknown-key", "flows/p.toml:1",
                                     "unknown top-level key 'checksum' (ignored)"}));
  EXPECT_EQ(wf.findings[1], (Finding{Severity::kWarning, "unknown-key", "flows/p.toml:4",
                                     "phase 1: unknown key 'schedul' (ignored)"}));
  EXPECT_EQ(wf.findings[2], (Finding{Severity::kWarning, "unknown-key", "flows/p.toml:5",
                                     "phase 1: unknown key 'depends_on' (ignored)"}));
  EXPECT_EQ(wf.findings[3],
            (Finding{Severity::kWarning, "duplicate-key", "flows/p.toml:6",
                     "phase 1: 'Task' repeats 'task' in another letter case; the last one wins"}));
}

TEST(PhaseSourceTest, NoPhasesIsIgnored) {
  for (const char* text : {"", "[project]\nname = \"x\"\n", "# comment only\n", "phases = 1\n"}) {
    auto result = ReadPhaseFile(text, "pyproject.toml", "pyproject");
    ASSERT_OK(result);
    EXPECT_FALSE(result->has_value()) << text;
  }
}

TEST(PhaseSourceTest, TypeErrors) {
  EXPECT_EQ(ErrorOf("[[phase]]\ntask = \"a\"\nretry = \"invalid\"\n"),
            "flows/p.toml:3:9: phase 1: 'retry' must be an integer, got string");
  EXPECT_EQ(ErrorOf("[[phase]]\n[[phase]]\n  Rule = 5\n"),
            "flows/p.toml:3:10: phase 2: 'Rule' must be a string, got integer");
  EXPECT_EQ(ErrorOf("[[phase]]\nretry = 1.5\n"),
            "flows/p.toml:2:9: phase 1: 'retry' must be an integer, got float");
  EXPECT_EQ(ErrorOf("[[phase]]\ntask = [\"a\"]\n"),
            "flows/p.toml:2:8: phase 1: 'task' must be a string, got array");
  EXPECT_EQ(ErrorOf("[phase]\ntask = \"a\"\n"),
            "flows/p.toml:1:1: 'phase' must be an array of tables ([[phase]]), got table");
  EXPECT_EQ(ErrorOf("phase = [1, 2]\n"),
            "flows/p.toml:1:9: 'phase' must be an array of tables ([[phase]]), got array");
}

TEST(PhaseSourceTest, NulInAFieldIsAnErrorAndKeysAreQuotedPrintably) {
  EXPECT_EQ(ErrorOf("[[phase]]\ntask = \"a\"\nrule = \"x\\u0000y\"\n"),
            "flows/p.toml:3:8: phase 1: 'rule' holds a NUL character (\\u0000), which "
            "PostgreSQL cannot store");
  // Warnings and errors quote keys without their control characters.
  const ParsedWorkflow wf = ReadOk("[[phase]]\ntask = \"a\"\n\"k\\u0000\\n\" = 1\n");
  ASSERT_EQ(wf.findings.size(), 1u);
  EXPECT_EQ(wf.findings[0].message, "phase 1: unknown key 'k\\u0000\\u000A' (ignored)");
}

TEST(PhaseSourceTest, SyntaxErrors) {
  EXPECT_EQ(ErrorOf("[[phase]]\ntask = \"a\n"),
            "flows/p.toml:2:10: invalid TOML: Error while parsing string: unescaped control "
            "characters other than TAB (U+0009) are explicitly prohibited");
  EXPECT_EQ(ErrorOf("[[phase]]\ntask = \"a\"\ntask = \"b\"\n"),
            "flows/p.toml:3:8: invalid TOML: Error while parsing key-value pair: cannot redefine "
            "existing string 'task'");
}

TEST(PhaseSourceTest, ThroughReadSource) {
  test::TempDir dir;
  dir.Write("jobs/nightly.toml", "[[phase]]\ntask = \"a\"\n");
  auto result = ReadSource(RealFileSystem(),
                           {Format::kPhase, "jobs/nightly.toml", dir.path() + "/jobs/nightly.toml"},
                           SourceLimits());
  ASSERT_OK(result);
  ASSERT_TRUE(result->has_value());
  EXPECT_EQ((*result)->name, "nightly");
  EXPECT_EQ((*result)->phases.size(), 1u);

  dir.Write("bad.toml", "[[phase]]\nretry = \"x\"\n");
  result = ReadSource(RealFileSystem(), {Format::kPhase, "bad.toml", dir.path() + "/bad.toml"},
                      SourceLimits());
  EXPECT_EQ(result.status().message(),
            "bad.toml:2:9: phase 1: 'retry' must be an integer, got string");
}

// The flowlord fixtures (byte-exact copies of flowlord's own test files).
class PhaseFixtureTest : public ::testing::Test {
 protected:
  Result<std::optional<ParsedWorkflow>> Read(const std::string& key) {
    const std::string root = test::SharedDir() + "/fixtures/flowlord";
    return ReadSource(RealFileSystem(), {Format::kPhase, key, JoinPath(root, key)}, SourceLimits());
  }
};

TEST_F(PhaseFixtureTest, ValidFixturesLoad) {
  const struct {
    const char* key;
    size_t phases;
  } kFixtures[] = {
      {"batch.toml", 3},         {"parent/f1.toml", 4},   {"parent/group/f3.toml", 3},
      {"workflow/f1.toml", 7},   {"workflow/f2.toml", 3}, {"workflow/f3.toml", 5},
      {"workflow/jobs.toml", 5},
  };
  for (const auto& fixture : kFixtures) {
    auto result = Read(fixture.key);
    ASSERT_OK(result);
    ASSERT_TRUE(result->has_value()) << fixture.key;
    EXPECT_EQ((*result)->phases.size(), fixture.phases) << fixture.key;
    EXPECT_TRUE((*result)->findings.empty()) << fixture.key;
  }
}

TEST_F(PhaseFixtureTest, WorkflowF1) {
  auto result = Read("workflow/f1.toml");
  ASSERT_OK(result);
  const ParsedWorkflow& wf = **result;
  EXPECT_EQ(wf.name, "f1");
  const std::vector<PhaseEntry>& p = wf.phases;
  ASSERT_EQ(p.size(), 7u);
  EXPECT_EQ(p[0], (PhaseEntry{"task1", "", "cron=0 * * * *&offset=-4h&job=t2&retry_delay=10ms",
                              "?date={yyyy}-{mm}-{dd}T{hh}", 3, 1}));
  EXPECT_EQ(p[3], (PhaseEntry{"task4", "task2", "", "{meta:file}", 0, 21}));  // `DependsOn`
  EXPECT_EQ(p[5],
            (PhaseEntry{"task5", "task1:t2", "job=t5&retry_delay=10ms", "?year={yyyy}", 3, 34}));
  EXPECT_EQ(p[6].depends_on, "task5");
  EXPECT_EQ(wf.content_hash, HashHex(wf.content));
}

TEST_F(PhaseFixtureTest, InvalidFixtureFails) {
  // flowlord's invalid.toml opens with a line of prose before the
  // `retry = "invalid"` table, so a TOML parser stops at line 1.
  auto result = Read("invalid.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(
      result.status().message(),
      "invalid.toml:1:5: invalid TOML: Error while parsing key-value pair: expected '=', saw 'b'");
  // The table alone (without the prose around it) fails on the type of
  // retry, as in flowlord.
  auto text =
      RealFileSystem().ReadFile(test::SharedDir() + "/fixtures/flowlord/invalid.toml", 1 << 20);
  ASSERT_OK(text);
  const size_t start = text->find("[[Phase]]");
  const std::string table = text->substr(start, text->find("data124") - start);
  auto typed = ReadPhaseFile(table, "invalid.toml", "invalid");
  ASSERT_FALSE(typed.ok());
  EXPECT_EQ(typed.status().message(),
            "invalid.toml:4:9: phase 1: 'retry' must be an integer, got string");
}

TEST_F(PhaseFixtureTest, JsonFixturesAreNoPhaseFiles) {
  // batch/*.json are data for flowlord's batch tests; read as TOML they fail.
  auto result = Read("batch/kv.json");
  EXPECT_FALSE(result.ok());
}

}  // namespace
}  // namespace flowsync
