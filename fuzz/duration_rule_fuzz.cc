// The phase rule's pieces: Go durations, URL query strings (Go's
// url.ParseQuery and QueryUnescape) and whole rules.
#include "fuzz_check.h"
#include "phase/query.h"
#include "phase/rule.h"
#include "util/go_duration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowsync;
  const std::string_view text = fuzz::AsText(data, size);
  auto duration = ParseGoDuration(text);
  if (duration.ok() && !text.empty() && text[0] != '-' && text[0] != '+') {
    FUZZ_CHECK(duration->count() >= 0, "an unsigned duration is negative");
  }
  (void)phase::QueryUnescape(text);
  phase::QueryValues values;
  (void)phase::ParseQuery(text, &values);
  (void)phase::ParseRule(text);
  return 0;
}
