// A bundle's meta.json and README.md (the input split at its first NUL)
// beside a valid workflow.json: never a crash; a bundle read is read again
// from the same files with the same hash.
#include "flowsync/source.h"
#include "fuzz_check.h"

namespace {
constexpr char kWorkflow[] =
    R"({"name":"B","nodes":[{"id":"1","name":"Start","type":"n8n-nodes-base.manualTrigger",)"
    R"("typeVersion":1,"position":[0,0],"parameters":{}}],"connections":{}})";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowsync;
  const auto parts = fuzz::SplitAtNul(fuzz::AsText(data, size));
  const std::string_view meta = parts.first;
  const std::string_view readme = parts.second;
  auto content = [&] {
    SourceContent c;
    c.format = Format::kBundle;
    c.key = "bundles/b";
    c.text = kWorkflow;
    c.meta_json = std::string(meta);
    if (!readme.empty()) c.readme = std::string(readme);
    return c;
  };
  SourceLimits limits;
  limits.max_json_depth = 64;
  auto first = ParseSource(content(), limits);
  if (!first.ok() || !first->has_value()) return 0;
  auto second = ParseSource(content(), limits);
  FUZZ_CHECK(second.ok() && second->has_value(), "a bundle read once does not read again");
  FUZZ_CHECK((*second)->content_hash == (*first)->content_hash, "a bundle's hash is not stable");
  return 0;
}
