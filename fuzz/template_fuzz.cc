// Task templates: time placeholders and {meta:key}, with a fixed time, host
// and UUID. Without a time, only {meta:key} changes the text.
#include <chrono>

#include "fuzz_check.h"
#include "phase/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowsync::phase;
  const std::string_view text = flowsync::fuzz::AsText(data, size);
  QueryValues meta;
  (void)ParseQuery("job=j1&day=2024-02-27&empty=", &meta);
  TemplateOptions options;
  options.hostname = "worker-abc-12";
  options.uuid = [] { return std::string("0123456789abcdef0123456789abcdef"); };
  options.offset = std::chrono::hours(-1);
  const TemplateClock at{std::chrono::seconds(1709041500)};
  (void)RenderTemplate(text, at, meta, options);
  FUZZ_CHECK(RenderTimeTemplate(text, std::nullopt, options) == text,
             "a template without a time changed");
  (void)RenderMetaTemplate(text, meta);
  return 0;
}
