// CanonicalJson: never crashes, and is idempotent (the canonical form of a
// canonical form is itself).
#include "flowsync/source.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using flowsync::CanonicalJson;
  auto once = CanonicalJson(flowsync::fuzz::AsText(data, size), 64);
  if (!once.ok()) return 0;
  auto twice = CanonicalJson(*once, 64);
  FUZZ_CHECK(twice.ok(), "a canonical form does not parse again");
  FUZZ_CHECK(*twice == *once, "the canonical form is not idempotent");
  return 0;
}
