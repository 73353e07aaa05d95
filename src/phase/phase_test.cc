#include "phase/phase.h"

#include <gtest/gtest.h>

#include <string>

namespace flowsync::phase {
namespace {

Phase P(std::string task, std::string rule = "") {
  Phase p;
  p.task = std::move(task);
  p.rule = std::move(rule);
  return p;
}

TEST(PhaseModelTest, TopicAndJob) {
  EXPECT_EQ(P("task1").Topic(), "task1");
  EXPECT_EQ(P("task1").Job(), "");
  EXPECT_EQ(P("t2:j3").Topic(), "t2");
  EXPECT_EQ(P("t2:j3").Job(), "j3");
  EXPECT_EQ(P("a:b:c").Topic(), "a");
  EXPECT_EQ(P("a:b:c").Job(), "b");
  // The job may come from the rule; a job in the task wins.
  EXPECT_EQ(P("t2", "job=j1").Job(), "j1");
  EXPECT_EQ(P("t2", "cron=0 * * * *&offset=-4h&job=t2").Job(), "t2");
  EXPECT_EQ(P("t2:j3", "job=x").Job(), "j3");
  EXPECT_EQ(P("t2", "job=&job=second").Job(), "");  // the first value counts
  // A rule that fails to parse still gives the pairs that did.
  EXPECT_EQ(P("t2", "a;b&job=j").Job(), "j");
  EXPECT_EQ(P("t2", "jo%62=esc").Job(), "esc");
  // "a:" has two parts: its job is the empty second one, whatever the rule.
  EXPECT_EQ(P("a:", "job=x").Job(), "");
  EXPECT_EQ(P("", "job=x").Topic(), "");
  EXPECT_EQ(P("", "job=x").Job(), "x");
}

TEST(PhaseModelTest, Empty) {
  EXPECT_TRUE(Phase{}.Empty());
  Phase retry_only;
  retry_only.retry = 3;
  EXPECT_TRUE(retry_only.Empty());
  EXPECT_FALSE(P("a").Empty());
  EXPECT_FALSE(P("", "cron=1").Empty());
  Phase dep;
  dep.depends_on = "a";
  EXPECT_FALSE(dep.Empty());
  Phase tmpl;
  tmpl.template_text = "x";
  EXPECT_FALSE(tmpl.Empty());
}

TEST(PhaseModelTest, NormalizedTask) {
  EXPECT_EQ(NormalizedTask(P("task1")), "task1");
  EXPECT_EQ(NormalizedTask(P("t2", "job=j1")), "t2:j1");
  EXPECT_EQ(NormalizedTask(P("t2:j3")), "t2:j3");
  EXPECT_EQ(NormalizedTask(P("t2:j3", "job=x")), "t2:j3");
  EXPECT_EQ(NormalizedTask(P("a:b:c")), "a:b");
  // Kept as written where normalizing would change Topic() or Job().
  EXPECT_EQ(NormalizedTask(P("a:", "job=x")), "a:");
  EXPECT_EQ(NormalizedTask(P("a", "job=x%3Ay")), "a");
  // Idempotent, and Topic()/Job() survive it.
  for (const Phase& p : {P("t2", "job=j1"), P("a:b:c"), P("a:", "job=x"), P("a", "job=x%3Ay")}) {
    Phase n = p;
    n.task = NormalizedTask(p);
    EXPECT_EQ(NormalizedTask(n), n.task);
    EXPECT_EQ(n.Topic(), p.Topic());
    EXPECT_EQ(n.Job(), p.Job());
  }
}

TEST(PhaseModelTest, SplitTopicJob) {
  EXPECT_EQ(SplitTopicJob("task1").topic, "task1");
  EXPECT_EQ(SplitTopicJob("task1").job, "");
  EXPECT_EQ(SplitTopicJob("task1:j4").topic, "task1");
  EXPECT_EQ(SplitTopicJob("task1:j4").job, "j4");
  EXPECT_EQ(SplitTopicJob("a:b:c").job, "b");
  EXPECT_EQ(SplitTopicJob(":j").topic, "");
  EXPECT_EQ(SplitTopicJob(":j").job, "j");
}

}  // namespace
}  // namespace flowsync::phase

namespace flowsync {
namespace {

TEST(TaskFromName, SplitsAtTheFirstColon) {
  EXPECT_EQ(TaskFromName("load").type, "load");
  EXPECT_EQ(TaskFromName("load").job, "");
  EXPECT_EQ(TaskFromName("load:hourly").type, "load");
  EXPECT_EQ(TaskFromName("load:hourly").job, "hourly");
  EXPECT_EQ(TaskFromName("a:b:c").job, "b:c");
  EXPECT_EQ(TaskFromName(":x").type, "");
  EXPECT_EQ(TaskFromName("").meta, "");
}

}  // namespace
}  // namespace flowsync
