#include "phase/graph.h"

#include <gtest/gtest.h>

namespace flowsync::phase {
namespace {

Phase P(const std::string& task, const std::string& depends_on = "") {
  Phase p;
  p.task = task;
  p.depends_on = depends_on;
  return p;
}

std::vector<std::string> Text(const std::vector<DependencyEdge>& edges) {
  std::vector<std::string> out;
  for (const DependencyEdge& e : edges) out.push_back(e.file + ": " + e.from + " -> " + e.to);
  return out;
}

TEST(DependencyEdgesTest, WithinAFileByTopicAndJob) {
  StoredPhaseFile a;
  a.key = "a.toml";
  a.phases = {P("load:x"), P("load:y"), P("report", "load"), P("audit", "load:y"),
              P("orphan", "missing")};
  StoredPhaseFile b;
  b.key = "b.toml";
  b.phases = {P("other", "load")};  // load is in another file: no edge
  EXPECT_EQ(Text(DependencyEdges({a, b})),
            (std::vector<std::string>{"a.toml: load:x -> report", "a.toml: load:y -> report",
                                      "a.toml: load:y -> audit"}));
}

}  // namespace
}  // namespace flowsync::phase
