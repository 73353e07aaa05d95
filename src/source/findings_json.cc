#include "source/findings_json.h"

namespace flowsync {

nlohmann::ordered_json FindingsJson(const std::vector<Finding>& findings) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Finding& f : findings) {
    out.push_back({{"severity", SeverityName(f.severity)},
                   {"code", f.code},
                   {"location", f.location},
                   {"message", f.message}});
  }
  return out;
}

}  // namespace flowsync
