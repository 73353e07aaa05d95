// Known-answer tests of workflow ids: every stored id in every database was
// made by these rules, so the values are pinned here. They come from
// Python 3.11's uuid module, not from flowsync:
//
//   import uuid
//   uuid.uuid5(uuid.NAMESPACE_URL, "https://flowsync.dev/ns/workflow")
//   ns = uuid.UUID("cd689716-1d20-52f5-b602-bce44de011f2")
//   uuid.uuid5(ns, "flows/a.json")              # default project
//   uuid.uuid5(ns, "acme\0flows/a.json")        # project "acme"
//   uuid.uuid5(ns, "flows/a.json#2")            # first id taken
//   uuid.uuid5(ns, "flows/a.json#3")
//   uuid.uuid5(ns, "acme\0flows/a.json#2")
//   uuid.uuid5(ns, "fl\u00fcsse/\u00e4.json")   # UTF-8 bytes of the path
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "flowsync/store.h"
#include "sync/identity.h"
#include "util/uuid.h"

namespace flowsync {
namespace {

TEST(WorkflowIdKat, Namespace) {
  EXPECT_STREQ(kWorkflowIdNamespace, "cd689716-1d20-52f5-b602-bce44de011f2");
  EXPECT_EQ(UuidV5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "https://flowsync.dev/ns/workflow"),
            kWorkflowIdNamespace);
}

TEST(WorkflowIdKat, DefaultProject) {
  EXPECT_EQ(NewWorkflowId(kDefaultProject, "flows/a.json", {}),
            "c806e83a-93c5-59f8-a945-e9b07dca81a7");
  EXPECT_EQ(NewWorkflowId(kDefaultProject, "fl\u00fcsse/\u00e4.json", {}),
            "27e161bd-7863-5467-8a92-6c12485fa6dc");
}

TEST(WorkflowIdKat, NamedProject) {
  EXPECT_EQ(NewWorkflowId("acme", "flows/a.json", {}), "cecd8460-387a-5b1e-ba42-ace3a9e1a69d");
}

TEST(WorkflowIdKat, TakenIdGetsASuffix) {
  const std::string first = "c806e83a-93c5-59f8-a945-e9b07dca81a7";
  const std::string second = "e7548da4-69fa-5d6a-a8a0-d3bd0db93ff0";
  EXPECT_EQ(NewWorkflowId(kDefaultProject, "flows/a.json", {first}), second);
  EXPECT_EQ(NewWorkflowId(kDefaultProject, "flows/a.json", {first, second}),
            "83df2acd-02a3-5717-9db4-f321b849cbd0");
  // Ids taken for other names do not matter.
  EXPECT_EQ(NewWorkflowId(kDefaultProject, "flows/a.json", {second}), first);
  EXPECT_EQ(NewWorkflowId("acme", "flows/a.json", {"cecd8460-387a-5b1e-ba42-ace3a9e1a69d"}),
            "65ffb2d3-ef79-5670-9d91-74ad1eb49443");
}

}  // namespace
}  // namespace flowsync
