#include "sync/identity.h"

#include "util/uuid.h"

namespace flowsync {

const char kWorkflowIdNamespace[] = "cd689716-1d20-52f5-b602-bce44de011f2";

std::string NewWorkflowId(const std::string& path, const std::set<std::string>& taken) {
  std::string id = UuidV5(kWorkflowIdNamespace, path);
  for (int n = 2; taken.count(id) != 0; ++n) {
    id = UuidV5(kWorkflowIdNamespace, path + "#" + std::to_string(n));
  }
  return id;
}

}  // namespace flowsync
