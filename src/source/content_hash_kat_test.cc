// Known-answer tests of the stored invariants: the canonical JSON form and
// the content hash of each source format. A change to either re-versions
// every stored workflow in every database, so these values are pinned here,
// and none of them was computed by flowsync's own code.
//
// How each constant was obtained (Python 3.11 with Debian's python3-xxhash
// 3.2.0, xxHash 0.8.1; the hashes also checked with `xxhsum -H2 FILE` from
// Debian's xxhash package on a file holding exactly the hashed bytes):
//
//   import json, re, xxhash
//   def canon(text):  # numbers kept as written: each number token is
//       mark = lambda s: "\x00N" + s + "\x00"  # carried through as a string
//       v = json.loads(text, parse_int=mark, parse_float=mark)
//       out = json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
//       return re.sub(r'"\\u0000N([^\\]*)\\u0000"', r"\1", out)
//   xxhash.xxh3_128_hexdigest(canon(N8N).encode())                       # n8n export
//   xxhash.xxh3_128_hexdigest((canon(WF) + "\n{}\n").encode())           # bundle, workflow.json
//   only xxhash.xxh3_128_hexdigest((canon(WF) + "\n" + canon(META) + "\n" + README).encode())
//   xxhash.xxh3_128_hexdigest(TOML.encode())                             # phase file, raw bytes
//
// json.dumps with these options matches the canonical form of
// ARCHITECTURE.md ("Decisions", content hash): sort_keys orders by
// code point, which is the order of the UTF-8 bytes (not of UTF-16 units:
// U+1F600 sorts after U+FF41); dict() keeps the last of duplicate keys;
// ensure_ascii=False escapes only '"', '\\' and controls below 0x20 (\b \f \n
// \r \t, else \u00xx in lowercase hex) and leaves '/' and U+2028 alone.
#include <gtest/gtest.h>

#include <string>

#include "flowsync/source.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

std::string Canonical(std::string_view text) {
  auto result = CanonicalJson(text, 512);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? *result : "<error>";
}

TEST(CanonicalJsonKat, InsignificantWhitespaceGoes) {
  EXPECT_EQ(Canonical(" \t{ \"b\" : [ 1 , 2 ] ,\n\t\"a\":{ } }\r\n"), R"({"a":{},"b":[1,2]})");
}

TEST(CanonicalJsonKat, KeysSortByUtf8Bytes) {
  // Raw UTF-8 keys, and one written as a surrogate-pair escape (U+1F601).
  const std::string text =
      "{\"b\":1,\"a\":2,\"B\":3,\"\":4,\"ab\":5,\"a b\":6,\"\u00e9\":7,\"z\":8,\"\ue000\":9,"
      "\"\uff41\":10,\"\U0001F600\":11,\"\\ud83d\\ude01\":12}";
  EXPECT_EQ(Canonical(text),
            "{\"\":4,\"B\":3,\"a\":2,\"a b\":6,\"ab\":5,\"b\":1,\"z\":8,\"\u00e9\":7,\"\ue000\":9,"
            "\"\uff41\":10,\"\U0001F600\":11,\"\U0001F601\":12}");
}

TEST(CanonicalJsonKat, DuplicateKeysLastWins) {
  EXPECT_EQ(Canonical(R"({"a":1,"b":2,"a":3,"x":{"k":1},"x":{"j":2,"j":[]}})"),
            R"({"a":3,"b":2,"x":{"j":[]}})");
}

TEST(CanonicalJsonKat, StringsAreReescapedMinimally) {
  const std::string text =
      R"(["\u0041\/\b\f\n\r\t\u0000\u0001\u001f\u007f\"\\", "\u00e9\ud83d\ude00\u2028", "caf\u00C9"])";
  // '/' unescaped, short escapes where JSON has them, \u00xx (lowercase) for
  // the other controls, DEL and everything above it as raw UTF-8.
  EXPECT_EQ(Canonical(text), std::string(R"(["A/\b\f\n\r\t\u0000\u0001\u001f)") + "\x7f" +
                                 R"(\"\\",")" + "\u00e9\U0001F600\u2028" + R"(","caf)" + "\u00c9" +
                                 R"("])");
}

TEST(CanonicalJsonKat, NumbersKeepTheirText) {
  const std::string text =
      "[1.0, 1e5, 1E+5, -0, -0.0, 0.1e-2, 1.50, 12345678901234567890123456789, -1.5E-300]";
  EXPECT_EQ(Canonical(text),
            "[1.0,1e5,1E+5,-0,-0.0,0.1e-2,1.50,12345678901234567890123456789,-1.5E-300]");
}

TEST(CanonicalJsonKat, NestedEmpties) {
  EXPECT_EQ(Canonical(R"({ "f": {"g": { }}, "e": "", "d": [{}], "c": [[ ]], "b": {}, "a": [] })"),
            R"({"a":[],"b":{},"c":[[]],"d":[{}],"e":"","f":{"g":{}}})");
  EXPECT_EQ(Canonical(" [ ] "), "[]");
  EXPECT_EQ(Canonical("{ }"), "{}");
}

TEST(CanonicalJsonKat, ScalarRootsAndByteOrderMark) {
  EXPECT_EQ(Canonical(" \"x\\u0020y\" \n"), "\"x y\"");
  EXPECT_EQ(Canonical(" 42 "), "42");
  EXPECT_EQ(Canonical("null"), "null");
  EXPECT_EQ(Canonical("\xEF\xBB\xBF{\"a\" : true}"), R"({"a":true})");
}

// The hashed texts of the content-hash tests (N8N, WF, META, README, TOML
// in the Python above are these bytes).
constexpr char kN8n[] = R"({
  "nodes": [
    {"parameters": {}, "name": "Start", "type": "n8n-nodes-base.manualTrigger",
     "typeVersion": 1, "position": [0, 0], "id": "a"}
  ],
  "name": "Caf\u00e9 report",
  "connections": {},
  "active": false,
  "settings": {"timezone": "Europe/Berlin", "timezone": "UTC"}
}
)";
constexpr char kWorkflow[] =
    R"({"name": "Nightly export", "nodes": [], "connections": {}, "pinData": {"x": 1.0}})"
    "\n";
constexpr char kMeta[] =
    R"({ "name": "Nightly", "owner": "team-a", "categories": ["reports", "ops"] })"
    "\n";
constexpr char kReadme[] = "# Nightly\n\nRuns at 02:00 \u2014 see ops.\n";
constexpr char kToml[] =
    "# nightly load\n"
    "[[phase]]\n"
    "task = \"load:daily\"\n"
    "rule = \"cron=0 2 * * *\"\n"
    "retry = 3\n"
    "\n"
    "[[phase]]\n"
    "task = \"report\"\n"
    "dependsOn = \"load:daily\"\n";

class ContentHashKat : public ::testing::Test {
 protected:
  ParsedWorkflow Read(Format format, const std::string& key) {
    auto result =
        ReadSource(RealFileSystem(), {format, key, JoinPath(dir_.path(), key)}, SourceLimits());
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok() || !result->has_value()) {
      ADD_FAILURE() << key << ": no workflow";
      return {};
    }
    return std::move(**result);
  }

  test::TempDir dir_;
};

TEST_F(ContentHashKat, N8nExport) {
  // Hashed: {"active":false,"connections":{},"name":"Café report","nodes":[{"id":"a",...}],
  // "settings":{"timezone":"UTC"}}
  dir_.Write("flows/report.json", kN8n);
  EXPECT_EQ(Read(Format::kN8n, "flows/report.json").content_hash,
            "17148a44e4f3dedc15acfeeef490a981");
}

TEST_F(ContentHashKat, BundleWithOnlyWorkflowJson) {
  // Hashed: canonical workflow.json + "\n" + "{}" + "\n" (no README bytes).
  dir_.Write("nightly/workflow.json", kWorkflow);
  EXPECT_EQ(Read(Format::kBundle, "nightly").content_hash, "6540753661ef86c28338f6a77c3dc9ae");
}

TEST_F(ContentHashKat, BundleWithMetaAndReadme) {
  // Hashed: canonical workflow.json + "\n" + canonical meta.json + "\n" +
  // README.md as is (categories keep their order inside the hashed meta).
  dir_.Write("nightly/workflow.json", kWorkflow);
  dir_.Write("nightly/meta.json", kMeta);
  dir_.Write("nightly/README.md", kReadme);
  const ParsedWorkflow wf = Read(Format::kBundle, "nightly");
  EXPECT_EQ(wf.content_hash, "83910e3e7e5b8344cc295edb1c3d690e");
  EXPECT_EQ(wf.metadata_json,
            R"({"categories":["reports","ops"],"name":"Nightly","owner":"team-a"})");
}

TEST_F(ContentHashKat, PhaseFileRawBytes) {
  dir_.Write("phases/nightly.toml", kToml);
  EXPECT_EQ(Read(Format::kPhase, "phases/nightly.toml").content_hash,
            "49de38f17cfbd9904c4956198865d6c2");
}

}  // namespace
}  // namespace flowsync
