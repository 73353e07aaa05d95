#include "sync/identity.h"

#include "flowsync/store.h"
#include "util/uuid.h"

namespace flowsync {

const char kWorkflowIdNamespace[] = "cd689716-1d20-52f5-b602-bce44de011f2";

std::string NewWorkflowId(const std::string& project, const std::string& path,
                          const std::set<std::string>& taken) {
  std::string name = project == kDefaultProject ? path : project + std::string(1, '\0') + path;
  std::string id = UuidV5(kWorkflowIdNamespace, name);
  for (int n = 2; taken.count(id) != 0; ++n) {
    id = UuidV5(kWorkflowIdNamespace, name + "#" + std::to_string(n));
  }
  return id;
}

}  // namespace flowsync
