#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flowsync/phase_cache.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

StoredPhaseFile File(std::string key, std::string hash) {
  StoredPhaseFile f;
  f.key = std::move(key);
  f.hash = std::move(hash);
  Phase p;
  p.task = "t";
  f.phases.push_back(p);
  return f;
}

std::vector<std::string> Keys(const MemoryPhaseStore& store) {
  std::vector<std::string> keys;
  for (const StoredPhaseFile& f : store.Files()) keys.push_back(f.key + "=" + f.hash);
  return keys;
}

TEST(PhaseMemoryStoreTest, ApplyUpsertsAndRemoves) {
  MemoryPhaseStore store;
  ASSERT_OK(store.Apply({File("b", "1"), File("a", "1")}, {}));
  EXPECT_EQ(Keys(store), (std::vector<std::string>{"a=1", "b=1"}));
  ASSERT_OK(store.Apply({File("b", "2"), File("c", "1")}, {"a", "missing"}));
  EXPECT_EQ(Keys(store), (std::vector<std::string>{"b=2", "c=1"}));
  auto all = store.LoadAll();
  ASSERT_OK(all);
  EXPECT_EQ(*all, store.Files());
  EXPECT_EQ((*all)[0].phases.size(), 1u);
}

TEST(PhaseMemoryStoreTest, FailedApplyChangesNothing) {
  MemoryPhaseStore store;
  ASSERT_OK(store.Apply({File("a", "1")}, {}));
  store.FailNextApply(Status::IOError("disk full"));
  const Status s = store.Apply({File("b", "1")}, {"a"});
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ(s.message(), "disk full");
  EXPECT_EQ(Keys(store), (std::vector<std::string>{"a=1"}));
  ASSERT_OK(store.Apply({File("b", "1")}, {"a"}));  // only the next one fails
  EXPECT_EQ(Keys(store), (std::vector<std::string>{"b=1"}));
  EXPECT_OK(store.Close());
}

}  // namespace
}  // namespace flowsync
