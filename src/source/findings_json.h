// A workflow's findings as JSON, the one shape `flowsync show --json` and the
// HTTP API (GET /api/v1/workflows/{id}) both print:
// [{"severity", "code", "location", "message"}, ...].
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "flowsync/workflow.h"

namespace flowsync {

nlohmann::ordered_json FindingsJson(const std::vector<Finding>& findings);

}  // namespace flowsync
