// The SQL script splitter: its statements are in order, inside the input,
// and what lies between them is only blanks, comments and ';' - so the
// statements and the separators between them make up the whole input.
#include "fuzz_check.h"
#include "sql/script.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowsync;
  const std::string_view sql = fuzz::AsText(data, size);
  size_t at = 0;  // the end of what is accounted for
  for (const ScriptStatement& s : SplitSqlScript(sql)) {
    FUZZ_CHECK(s.offset >= at && s.offset + s.length <= sql.size(), "a statement out of place");
    FUZZ_CHECK(s.length > 0, "an empty statement");
    // From `at` to the statement: blanks, comments and ';' only.
    while (at < s.offset) {
      const size_t next = SkipBlanksAndComments(sql, at);
      if (next < s.offset && sql[next] == ';') {
        at = next + 1;
        continue;
      }
      FUZZ_CHECK(next >= s.offset, "code between two statements");
      at = s.offset;
    }
    at = s.offset + s.length;
  }
  // After the last statement: a ';' and then blanks, comments and ';' only.
  while (at < sql.size()) {
    const size_t next = SkipBlanksAndComments(sql, at);
    if (next >= sql.size()) break;
    FUZZ_CHECK(sql[next] == ';', "code after the last statement");
    at = next + 1;
  }
  (void)FindInCode(sql, ";");
  (void)FindInCode(sql, ":'flowsync_content'");
  return 0;
}
