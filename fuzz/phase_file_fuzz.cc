// A TOML phase file through the source reader (toml++, the [[phase]]
// tables, normalization and findings): never a crash.
#include "flowsync/source.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowsync;
  SourceContent content;
  content.format = Format::kPhase;
  content.key = "phases/p.toml";
  content.text = std::string(fuzz::AsText(data, size));
  SourceLimits limits;
  limits.max_json_depth = 64;
  (void)ParseSourceWorkflows(std::move(content), limits);
  return 0;
}
