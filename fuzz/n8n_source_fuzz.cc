// An n8n export (one workflow or an array export) through the reader every
// sync uses: the JSON document, the structure checks, the content hash.
// Each workflow read is read again from its own content: same hash (an
// element of an array export hashes as the same workflow in its own file).
#include "flowsync/source.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowsync;
  SourceLimits limits;
  limits.max_json_depth = 64;
  SourceContent content;
  content.format = Format::kN8n;
  content.key = "f.json";
  content.text = std::string(fuzz::AsText(data, size));
  auto read = ParseSourceWorkflows(std::move(content), limits);
  if (!read.ok()) return 0;
  for (const SourceWorkflow& w : read->workflows) {
    if (!w.workflow.ok()) continue;
    SourceContent again;
    again.format = Format::kN8n;
    again.key = "g.json";
    again.text = w.workflow->content;
    auto second = ParseSource(std::move(again), limits);
    FUZZ_CHECK(second.ok() && second->has_value(), "a workflow's content does not read again");
    FUZZ_CHECK((*second)->content_hash == w.workflow->content_hash,
               "a workflow's content hashes differently on its own");
  }
  return 0;
}
