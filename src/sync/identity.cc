#include "sync/identity.h"

#include <optional>

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

Result<std::string> IdForPath(Store* store, const std::string& project, const std::string& path) {
  if (store == nullptr) return NewWorkflowId(project, path, {});
  FS_TRY_ASSIGN(std::optional<WorkflowDetail> at_path, store->catalog().FindWorkflow(path));
  if (at_path && at_path->summary.path == path) return at_path->summary.id;
  std::set<std::string> taken;
  while (true) {
    std::string id = NewWorkflowId(project, path, taken);
    FS_TRY_ASSIGN(std::optional<WorkflowDetail> holder, store->catalog().FindWorkflow(id));
    if (!holder || holder->summary.id != id) return id;
    taken.insert(id);
  }
}

}  // namespace flowsync
