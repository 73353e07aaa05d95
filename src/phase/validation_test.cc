#include "phase/validation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flowsync/file_system.h"
#include "source/phase_file.h"
#include "util/test_util.h"

namespace flowsync::phase {
namespace {

using Strings = std::vector<std::string>;

Phase P(std::string task, std::string depends_on, std::string rule, int64_t retry = 0) {
  Phase p;
  p.task = std::move(task);
  p.depends_on = std::move(depends_on);
  p.rule = std::move(rule);
  p.retry = retry;
  return p;
}

PhaseEntry E(std::string task, std::string depends_on, std::string rule, int line,
             int64_t retry = 0) {
  PhaseEntry e;
  e.task = std::move(task);
  e.depends_on = std::move(depends_on);
  e.rule = std::move(rule);
  e.retry = retry;
  e.line = line;
  return e;
}

Strings Statuses(const std::vector<Phase>& phases) {
  Strings out;
  for (const Phase& p : phases) out.push_back(p.task + " => " + p.status);
  return out;
}

std::vector<Phase> FixturePhases(const std::string& relative, ValidationOptions options = {}) {
  const std::string path = test::SharedDir() + "/fixtures/flowlord/" + relative;
  auto text = RealFileSystem().ReadFile(path, 1 << 20);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  if (!text.ok()) return {};
  auto parsed = ReadPhaseFile(*text, relative, "x");
  EXPECT_TRUE(parsed.ok() && parsed->has_value()) << parsed.status().ToString();
  if (!parsed.ok() || !parsed->has_value()) return {};
  return PhasesFromEntries((*parsed)->phases, options);
}

// flowlord apps/flowlord/sqlite/workflow_test.go TestValidatePhase: every
// case, with the exact text where flowlord's is fixed.
TEST(PhaseValidationTest, FlowlordValidatePhase) {
  EXPECT_EQ(ValidateRule(P("", "", "files=s3:/bucket/path/*/*.txt")), "");  // Ok
  EXPECT_EQ(ValidateRule(Phase{}), "non-scheduled phase: use depends_on, cron or files");
  const std::string invalid_cron = ValidateRule(P("", "", "cron=abcdefg"));
  // The reason is CronSchedule::Parse's (robfig says "expected 5 to 6
  // fields, found 1: [abcdefg]").
  EXPECT_EQ(invalid_cron, "invalid cron: abcdefg expected 5 or 6 fields, found 1");
  EXPECT_EQ(ValidateRule(P("", "", "cron=1 2 3 4 5")), "");       // cron 5
  EXPECT_EQ(ValidateRule(P("", "", "cron=1 2 3 4 5 6")), "");     // cron 6
  EXPECT_EQ(ValidateRule(P("", "", "cron=20 */6 * * SUN")), "");  // cron complex
  EXPECT_EQ(ValidateRule(P("", "", "a;lskdfj?%$`?\"^")),          // parse_err
            "invalid rule format: a;lskdfj?%$`?\"^");
}

TEST(PhaseValidationTest, ValidateRuleOrderIsFlowlords) {
  // The rule format first, then scheduling, then the cron spec; one message.
  EXPECT_EQ(ValidateRule(P("", "", "a=%zz")), "invalid rule format: a=%zz");
  EXPECT_EQ(ValidateRule(P("", "", "0 0 * * * *")),
            "non-scheduled phase: use depends_on, cron or files");
  EXPECT_EQ(ValidateRule(P("a", "p", "")), "");
  // The cron spec is checked for children too.
  EXPECT_TRUE(ValidateRule(P("a", "p", "cron=nope")).starts_with("invalid cron: nope "));
}

TEST(PhaseValidationTest, ParentNotFound) {
  const std::vector<Phase> phases =
      PhasesFromEntries({E("t1", "", "files=*", 1), E("t1", "", "job=j1&files=*", 2),
                         E("c1", "t1", "", 3), E("c2", "t1:j1", "", 4), E("c3", "t1:j9", "", 5),
                         E("c4", "gone", "", 6), E("c5", "gone:j", "", 7)},
                        {});
  EXPECT_EQ(Statuses(phases), (Strings{
                                  "t1 => ",
                                  "t1:j1 => ",
                                  "c1 => ",
                                  "c2 => ",
                                  "c3 => parent job not found: t1:j9",
                                  "c4 => parent task not found: gone",
                                  "c5 => parent task not found: gone:j",
                              }));
}

TEST(PhaseValidationTest, Cycles) {
  const std::vector<Phase> phases = PhasesFromEntries(
      {E("a", "c", "", 1), E("b", "a", "", 2), E("c", "b", "", 3), E("d", "c", "", 4),
       E("self", "self", "", 5), E("w:x", "w:y", "", 6), E("w:y", "w", "", 7)},
      {});
  EXPECT_EQ(Statuses(phases), (Strings{
                                  "a => dependency cycle: a -> b -> c -> a",
                                  "b => dependency cycle: b -> c -> a -> b",
                                  "c => dependency cycle: c -> a -> b -> c",
                                  "d => ",
                                  "self => dependency cycle: self -> self",
                                  // "w" (any job) matches w:y itself too.
                                  "w:x => dependency cycle: w:x -> w:y -> w:x",
                                  "w:y => dependency cycle: w:y -> w:y",
                              }));
}

TEST(PhaseValidationTest, LongChainDoesNotOverflow) {
  std::vector<PhaseEntry> entries;
  entries.push_back(E("t0", "", "files=*", 1));
  for (int i = 1; i < 100000; ++i) {
    entries.push_back(E("t" + std::to_string(i), "t" + std::to_string(i - 1), "", i + 1));
  }
  const std::vector<Phase> phases = PhasesFromEntries(entries, {});
  ASSERT_EQ(phases.size(), entries.size());
  for (const Phase& p : phases) ASSERT_EQ(p.status, "") << p.task;
}

TEST(PhaseValidationTest, DuplicatesKeepTheFirst) {
  const std::vector<Phase> phases = PhasesFromEntries(
      {E("t:j", "", "files=a", 1), E("t", "", "job=j&files=b", 5), E("u", "", "files=c", 7),
       E("t:j", "", "files=d", 9), E("u", "", "files=e", 11), E("t", "", "files=f", 13)},
      {});
  ASSERT_EQ(phases.size(), 3u);
  EXPECT_EQ(phases[0].rule, "files=a");
  EXPECT_EQ(Statuses(phases), (Strings{
                                  "t:j => duplicate task: t:j (ignored at lines 5, 9)",
                                  "u => duplicate task: u (ignored at line 11)",
                                  "t => ",
                              }));
}

TEST(PhaseValidationTest, RetryLimitAndUnknownKeysWarn) {
  std::vector<Phase> phases = PhasesFromEntries(
      {E("a", "", "files=*", 1, 10), E("b", "", "files=*", 2, 11),
       E("c", "", "files=*&Offset=-6h", 3), E("d", "", "?for=-48h&offset=-24h&files=*", 4)},
      {});
  EXPECT_EQ(Statuses(phases), (Strings{
                                  "a => ",
                                  "b => warning: retry count 11 exceeds recommended limit 10",
                                  "c => warning: unknown rule key: Offset",
                                  "d => warning: unknown rule key: ?for",
                              }));
  phases = PhasesFromEntries({E("a", "", "files=*&x=1&y=2", 1, 4)}, {.max_retry = 3});
  EXPECT_EQ(Statuses(phases), (Strings{"a => warning: unknown rule keys: x, y; warning: retry "
                                       "count 4 exceeds recommended limit 3"}));
}

TEST(PhaseValidationTest, InvalidRuleValues) {
  const std::vector<Phase> phases =
      PhasesFromEntries({E("a", "", "files=*&offset=4", 1), E("b", "", "files=*&meta=k", 2)}, {});
  EXPECT_EQ(Statuses(phases),
            (Strings{"a => invalid rule: offset: time: missing unit in duration \"4\"",
                     "b => invalid rule: meta: \"k\" has no ':' (want key:v1,v2|key2:v1,v2)"}));
}

TEST(PhaseValidationTest, MessagesJoinInOrder) {
  const std::vector<Phase> phases =
      PhasesFromEntries({E("a", "", "", 1, 20), E("a", "", "", 2), E("b", "gone", "a=%zz", 3)}, {});
  EXPECT_EQ(Statuses(phases),
            (Strings{"a => non-scheduled phase: use depends_on, cron or files; duplicate task: a "
                     "(ignored at line 2); warning: retry count 20 exceeds recommended limit 10",
                     "b => invalid rule format: a=%zz; parent task not found: gone"}));
}

TEST(PhaseValidationTest, FlowlordFixtures) {
  EXPECT_EQ(Statuses(FixturePhases("workflow/f1.toml")), (Strings{
                                                             "task1:t2 => ",
                                                             "task2 => ",
                                                             "task3 => ",
                                                             "task4 => ",
                                                             "task1:t4 => ",
                                                             "task5:t5 => ",
                                                             "task6 => ",
                                                         }));
  // The cron spec without cron= schedules nothing.
  EXPECT_EQ(Statuses(FixturePhases("workflow/f2.toml")),
            (Strings{
                "task1 => non-scheduled phase: use depends_on, cron or files; warning: unknown "
                "rule key: 0 0 * * * *",
                "task2 => non-scheduled phase: use depends_on, cron or files",
                "task3 => non-scheduled phase: use depends_on, cron or files",
            }));
  EXPECT_EQ(Statuses(FixturePhases("workflow/jobs.toml")), (Strings{
                                                               "worker:parent_job => ",
                                                               "worker:child1 => ",
                                                               "worker:child2 => ",
                                                               "worker:child3 => ",
                                                               "worker:job => ",
                                                           }));
  EXPECT_EQ(Statuses(FixturePhases("workflow/f3.toml")),
            (Strings{
                "task1 => ",
                "task2 => ",
                "task3 => ",
                "batch-president => non-scheduled phase: use depends_on, cron or files",
                "b-meta => non-scheduled phase: use depends_on, cron or files",
            }));
  EXPECT_EQ(Statuses(FixturePhases("batch.toml")),
            (Strings{
                "batch-date => non-scheduled phase: use depends_on, cron or files; warning: "
                "unknown rule key: ?for",
                "batch-president => non-scheduled phase: use depends_on, cron or files; warning: "
                "unknown rule key: meta_file",
                "b-meta => non-scheduled phase: use depends_on, cron or files",
            }));
}

TEST(StatusIsErrorTest, AnyMessageThatIsNoWarning) {
  EXPECT_FALSE(StatusIsError(""));
  EXPECT_FALSE(StatusIsError("warning: retry 20 is high"));
  EXPECT_FALSE(StatusIsError("warning: a; warning: b"));
  EXPECT_TRUE(StatusIsError("invalid cron"));
  EXPECT_TRUE(StatusIsError("warning: a; invalid cron"));
}

}  // namespace
}  // namespace flowsync::phase
