#include "flowsync/source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <set>
#include <string>

#include "source/workflow_path.h"
#include "util/hash.h"
#include "util/memory_file_system.h"
#include "util/test_util.h"

namespace flowsync {
namespace {

constexpr char kWorkflow[] = R"({
  "name": "Daily report",
  "id": "wf1",
  "active": true,
  "tags": [{"id": "1", "name": "reports"}, {"name": "ops"}, "adhoc", {"name": "ops"}],
  "nodes": [
    {"id": "a", "name": "Start", "type": "n8n-nodes-base.manualTrigger", "typeVersion": 1,
     "position": [0, 0], "parameters": {}},
    {"id": "b", "name": "Set", "type": "n8n-nodes-base.set", "typeVersion": 3.4,
     "position": [200, 0], "parameters": {"value": 1.50}}
  ],
  "connections": {"Start": {"main": [[{"node": "Set", "type": "main", "index": 0}]]}}
}
)";

// Keys of the workflows of an array export.
static_assert(IsElementId("4Qv1aZ_-9") && IsElementId("12"));
static_assert(!IsElementId("") && !IsElementId("a.b") && !IsElementId("a/b") &&
              !IsElementId("a#b") && !IsElementId(std::string_view("\0", 1)));
static_assert(ElementFile("n8n/all.json#4Qv1") == std::string_view("n8n/all.json"));
static_assert(ElementFile("all.json#a#b") == std::nullopt);  // '#' is no id character
static_assert(ElementFile("all.json#a.json") == std::nullopt);
static_assert(ElementFile("all.toml#a") == std::nullopt);
static_assert(ElementFile("dir/.json#a") == std::nullopt);
static_assert(ElementFile("all.json#") == std::nullopt);
static_assert(ElementFile("all.json") == std::nullopt);

MemoryFileSystem::PathMatcher ExactPath(std::string path) {
  return [path = std::move(path)](const std::string& p) { return p == path; };
}

class SourceTestBase : public ::testing::Test {
 protected:
  Result<std::optional<ParsedWorkflow>> Read(Format format, const std::string& key,
                                             const SourceLimits& limits = SourceLimits()) {
    return ReadSource(RealFileSystem(), {format, key, JoinPath(dir_.path(), key)}, limits);
  }
  // The workflow; fails the test on an error or nullopt.
  ParsedWorkflow ReadOk(Format format, const std::string& key) {
    auto result = Read(format, key);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok() || !result->has_value()) {
      ADD_FAILURE() << key << ": no workflow";
      return {};
    }
    return std::move(**result);
  }
  Result<SourceWorkflows> ReadWorkflows(Format format, const std::string& key) {
    return ReadSourceWorkflows(RealFileSystem(), {format, key, JoinPath(dir_.path(), key)},
                               SourceLimits());
  }
  std::string ErrorOf(Format format, const std::string& key,
                      const SourceLimits& limits = SourceLimits()) {
    auto result = Read(format, key, limits);
    if (result.ok()) return "<ok>";
    return result.status().message();
  }

  test::TempDir dir_;
};

using N8nSourceTest = SourceTestBase;
using BundleSourceTest = SourceTestBase;
using SourceErrorTest = SourceTestBase;

TEST_F(N8nSourceTest, ReadsAWorkflow) {
  dir_.Write("flows/daily.json", kWorkflow);
  ParsedWorkflow wf = ReadOk(Format::kN8n, "flows/daily.json");
  EXPECT_EQ(wf.format, Format::kN8n);
  EXPECT_EQ(wf.name, "Daily report");
  EXPECT_EQ(wf.source_id, "wf1");
  EXPECT_TRUE(wf.active);
  EXPECT_EQ(wf.categories, (std::vector<std::string>{"adhoc", "ops", "reports"}));
  EXPECT_EQ(wf.content, kWorkflow);
  EXPECT_EQ(wf.content_hash, HashHex(CanonicalJson(kWorkflow, 512).value()));
  EXPECT_EQ(wf.metadata_json, "{}");
  EXPECT_EQ(wf.documentation, "");
  EXPECT_TRUE(wf.findings.empty());
  EXPECT_TRUE(wf.phases.empty());
}

TEST_F(N8nSourceTest, HashIgnoresWhitespaceAndKeyOrder) {
  dir_.Write("a.json", R"({"nodes": [], "connections": {}, "name": "x"})");
  dir_.Write("b.json", "{\n  \"name\": \"x\",\n  \"connections\": {},\n  \"nodes\": []\n}\n");
  dir_.Write("c.json", R"({"nodes": [], "connections": {}, "name": "y"})");
  const ParsedWorkflow a = ReadOk(Format::kN8n, "a.json");
  const ParsedWorkflow b = ReadOk(Format::kN8n, "b.json");
  const ParsedWorkflow c = ReadOk(Format::kN8n, "c.json");
  EXPECT_EQ(a.content_hash, b.content_hash);
  EXPECT_NE(a.content_hash, c.content_hash);
  EXPECT_NE(a.content, b.content);
  EXPECT_EQ(a.content_hash.size(), 32u);
}

TEST_F(N8nSourceTest, DefaultsFromTheFile) {
  // No name: the file's stem; no id; no active flag; no tags.
  dir_.Write("dir/My flow.v2.json", R"({"nodes": [], "connections": {}, "active": "yes"})");
  const ParsedWorkflow wf = ReadOk(Format::kN8n, "dir/My flow.v2.json");
  EXPECT_EQ(wf.name, "My flow.v2");
  EXPECT_EQ(wf.source_id, std::nullopt);
  EXPECT_FALSE(wf.active);
  EXPECT_TRUE(wf.categories.empty());

  dir_.Write("empty-name.json", R"({"name": "", "nodes": [], "connections": {}})");
  EXPECT_EQ(ReadOk(Format::kN8n, "empty-name.json").name, "empty-name");
}

TEST_F(N8nSourceTest, SourceIds) {
  dir_.Write("num.json", R"({"id": 1, "nodes": [], "connections": {}})");
  dir_.Write("empty.json", R"({"id": "", "nodes": [], "connections": {}})");
  dir_.Write("null.json", R"({"id": null, "nodes": [], "connections": {}})");
  dir_.Write("big.json", R"({"id": 12.50, "nodes": [], "connections": {}})");
  EXPECT_EQ(ReadOk(Format::kN8n, "num.json").source_id, "1");
  EXPECT_EQ(ReadOk(Format::kN8n, "empty.json").source_id, "");
  EXPECT_EQ(ReadOk(Format::kN8n, "null.json").source_id, std::nullopt);
  EXPECT_EQ(ReadOk(Format::kN8n, "big.json").source_id, "12.50");
}

TEST_F(N8nSourceTest, NonWorkflowJsonIsIgnored) {
  dir_.Write("package.json", R"({"name": "x", "version": "1.0.0"})");
  dir_.Write("scalar.json", "42");
  dir_.Write("data.json", R"([{"name": "x"}, 2, [{"nodes": []}]])");
  dir_.Write("empty.json", " [ ] ");
  // Keys encoded twice, as some export tools write them.
  dir_.Write("quoted.json", R"({"\"nodes\"": "[", "\"connections\"": "{"})");
  dir_.Write("p.toml", "[tool]\nx = 1\n");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"package.json", R"(not an n8n workflow (no top-level "nodes" or "connections"))"},
      {"scalar.json", "not an n8n workflow (a JSON number, not an object)"},
      {"data.json",
       R"(not an n8n workflow (an array, and none of its elements has "nodes" or "connections"))"},
      {"empty.json", "not an n8n workflow (an empty array)"},
      {"quoted.json",
       R"(not an n8n workflow (no top-level "nodes" or "connections"; its keys have quotes inside them, as "\"nodes\""))"},
      {"p.toml", "not a phase file (no [[phase]] tables)"},
  };
  for (const auto& [key, why] : expected) {
    const Format format = key.ends_with(".toml") ? Format::kPhase : Format::kN8n;
    auto read = ReadWorkflows(format, key);
    ASSERT_OK(read);
    EXPECT_TRUE(read->workflows.empty()) << key;
    EXPECT_FALSE(read->array_export) << key;
    EXPECT_EQ(read->ignored, why) << key;
    auto one = Read(format, key);
    ASSERT_OK(one);
    EXPECT_FALSE(one->has_value()) << key;
  }
}

// What `n8n export:workflow --all --output=all.json` writes: one array.
constexpr char kArrayExport[] = R"([
  {"id": "a", "name": "A", "nodes": [], "connections": {}},
  {"id": "b", "name": "B", "connections": {}},
  42,
  {"name": "no id", "nodes": [], "connections": {}},
  {"id": "x.y", "nodes": [], "connections": {}},
  {"id": "d", "nodes": [], "connections": {}},
  {"id": "e", "settings": {}},
  {"id": "d", "nodes": [], "connections": {}},
  {"id": 12, "active": true, "nodes": [{"name": "S"}],
   "connections": {}}
]
)";

TEST_F(N8nSourceTest, AnArrayExportHoldsOneWorkflowPerElement) {
  dir_.Write("n8n/all.json", kArrayExport);
  auto read = ReadWorkflows(Format::kN8n, "n8n/all.json");
  ASSERT_OK(read);
  EXPECT_TRUE(read->array_export);
  EXPECT_EQ(read->ignored, "");
  std::vector<std::string> keys;
  for (const SourceWorkflow& w : read->workflows) keys.push_back(w.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"n8n/all.json#a", "n8n/all.json#b", "n8n/all.json[2]",
                                            "n8n/all.json[3]", "n8n/all.json[4]", "n8n/all.json#d",
                                            "n8n/all.json#e", "n8n/all.json#12"}));
  ASSERT_EQ(keys.size(), 8u);

  // Each workflow is its element's text: the same hash as in a file of its own.
  const ParsedWorkflow& a = *read->workflows[0].workflow;
  EXPECT_EQ(a.name, "A");
  EXPECT_EQ(a.source_id, "a");
  EXPECT_EQ(a.content, R"({"id": "a", "name": "A", "nodes": [], "connections": {}})");
  EXPECT_EQ(a.content_hash, HashHex(CanonicalJson(a.content, 512).value()));
  dir_.Write("a.json", a.content);
  EXPECT_EQ(ReadOk(Format::kN8n, "a.json").content_hash, a.content_hash);

  // The last element: no name (the file's stem), a number id, findings.
  const ParsedWorkflow& last = *read->workflows[7].workflow;
  EXPECT_EQ(last.name, "all");
  EXPECT_EQ(last.source_id, "12");
  EXPECT_TRUE(last.active);
  EXPECT_EQ(last.content,
            "{\"id\": 12, \"active\": true, \"nodes\": [{\"name\": \"S\"}],\n"
            "   \"connections\": {}}");
  EXPECT_FALSE(last.findings.empty());

  // The others are refused one by one, naming the element and where it is.
  const auto error = [&](size_t i) {
    const Result<ParsedWorkflow>& w = read->workflows[i].workflow;
    return w.ok() ? std::string("<ok>") : w.status().message();
  };
  EXPECT_EQ(error(1), "n8n/all.json#b:3:3: missing 'nodes'");
  EXPECT_EQ(error(2),
            "n8n/all.json[2]:4:3: a workflow of an array export must be an object, got "
            "number");
  EXPECT_EQ(error(3),
            "n8n/all.json[3]:5:3: a workflow of an array export needs an 'id' of 1 to 128 "
            "letters, digits, '-' or '_': the workflow is stored as n8n/all.json#ID");
  EXPECT_EQ(error(4),
            "n8n/all.json[4]:6:3: the 'id' of a workflow of an array export must be 1 to 128 "
            "letters, digits, '-' or '_': the workflow is stored as n8n/all.json#ID");
  EXPECT_EQ(error(5),
            "n8n/all.json#d: 2 workflows of n8n/all.json have this id (n8n/all.json[5] at 7:3, "
            "n8n/all.json[7] at 9:3); none of them is read until each has its own");
  EXPECT_EQ(error(6), "n8n/all.json#e:8:3: missing 'nodes' and 'connections'");
  EXPECT_EQ(read->workflows[1].workflow.status().code(), StatusCode::kCorruption);

  // One definition is asked for: an array export is not one.
  EXPECT_EQ(ErrorOf(Format::kN8n, "n8n/all.json"),
            "n8n/all.json: holds 8 n8n workflows (an array export), not one");
}

TEST_F(N8nSourceTest, ArrayExportsInEveryLayout) {
  const std::string w1 = R"({"id": "w1", "nodes": [], "connections": {}})";
  const std::string w2 = R"({"id": "w2", "name": "Two", "nodes": [], "connections": {}})";
  // Compact, pretty with CRLF, a byte order mark, one element.
  const std::vector<std::pair<std::string, std::vector<std::string>>> layouts = {
      {"[" + w1 + "," + w2 + "]", {w1, w2}},
      {"\r\n[\r\n\t" + w1 + "\r\n\t,\r\n\t" + w2 + "\r\n]\r\n", {w1, w2}},
      {"\xEF\xBB\xBF[" + w2 + " ]", {w2}},
      {"[" + w1 + "]", {w1}},
  };
  for (const auto& [text, contents] : layouts) {
    dir_.Write("all.json", text);
    auto read = ReadWorkflows(Format::kN8n, "all.json");
    ASSERT_OK(read);
    ASSERT_EQ(read->workflows.size(), contents.size()) << text;
    for (size_t i = 0; i < contents.size(); ++i) {
      ASSERT_OK(read->workflows[i].workflow);
      EXPECT_EQ(read->workflows[i].workflow->content, contents[i]) << text;
    }
  }
}

// Reading an array export takes time in proportion to its size: 30,000
// workflows (1.6 MB) take under a tenth of a second. The bound is 5 s, so
// only a read that grows with the square of the size fails it, as one that
// found each element's line and column by scanning the text from its start
// would (some 25 billion steps here: 15 s).
// A large export (30,000 workflows) reads whole, with each element's place
// found in one pass. (No time bound here: timings belong in bench/; a
// quadratic search for positions made this test take 15 s.)
TEST_F(N8nSourceTest, ALargeArrayExportIsReadWhole) {
  constexpr size_t kWorkflows = 30'000;
  std::string text = "[";
  for (size_t i = 0; i < kWorkflows; ++i) {
    if (i > 0) text += ",\n";
    text += R"({"id": "w)" + std::to_string(i) + R"(", "nodes": [], "connections": {}})";
  }
  text += "]";
  auto read = ParseSourceWorkflows({Format::kN8n, "all.json", text, {}, {}}, SourceLimits());
  ASSERT_OK(read);
  ASSERT_EQ(read->workflows.size(), kWorkflows);
  EXPECT_EQ(read->workflows.back().key, "all.json#w29999");

  // Every one refused (no id), on one line as `--all` writes it: each error
  // names its place, found in the same one pass.
  text = "[";
  for (size_t i = 0; i < kWorkflows; ++i) text += R"({"nodes": [], "connections": {}},)";
  text.back() = ']';
  read = ParseSourceWorkflows({Format::kN8n, "all.json", text, {}, {}}, SourceLimits());
  ASSERT_OK(read);
  ASSERT_EQ(read->workflows.size(), kWorkflows);
  EXPECT_EQ(read->workflows.back().workflow.status().message(),
            "all.json[29999]:1:" + std::to_string(2 + 33 * (kWorkflows - 1)) +
                ": a workflow of an array export needs an 'id' of 1 to 128 letters, digits, '-' "
                "or '_': the workflow is stored as all.json#ID");
}

// ParseSourceWorkflows gives what ReadSourceWorkflows gives, from bytes alone.
TEST_F(N8nSourceTest, ParseSourceWorkflowsMatchesTheRead) {
  dir_.Write("all.json", kArrayExport);
  auto parsed =
      ParseSourceWorkflows({Format::kN8n, "all.json", kArrayExport, {}, {}}, SourceLimits());
  auto read = ReadWorkflows(Format::kN8n, "all.json");
  ASSERT_OK(parsed);
  ASSERT_OK(read);
  ASSERT_EQ(parsed->workflows.size(), read->workflows.size());
  for (size_t i = 0; i < read->workflows.size(); ++i) {
    const SourceWorkflow& p = parsed->workflows[i];
    const SourceWorkflow& r = read->workflows[i];
    EXPECT_EQ(p.key, r.key);
    ASSERT_EQ(p.workflow.ok(), r.workflow.ok());
    if (r.workflow.ok()) {
      EXPECT_EQ(p.workflow->content, r.workflow->content);
      EXPECT_EQ(p.workflow->content_hash, r.workflow->content_hash);
    } else {
      EXPECT_EQ(p.workflow.status().message(), r.workflow.status().message());
    }
  }
  EXPECT_EQ(ParseSource({Format::kN8n, "all.json", kArrayExport, {}, {}}, SourceLimits())
                .status()
                .message(),
            "all.json: holds 8 n8n workflows (an array export), not one");
}

TEST_F(N8nSourceTest, HalfAWorkflowIsAnError) {
  dir_.Write("a.json", R"({"nodes": []})");
  dir_.Write("b.json", R"({"connections": {}})");
  EXPECT_EQ(ErrorOf(Format::kN8n, "a.json"), "a.json: missing 'connections'");
  EXPECT_EQ(ErrorOf(Format::kN8n, "b.json"), "b.json: missing 'nodes'");
}

TEST_F(N8nSourceTest, StructureProblemsAreFindingsNotErrors) {
  dir_.Write("bad.json", R"({"nodes": {}, "connections": [], "name": "bad"})");
  const ParsedWorkflow wf = ReadOk(Format::kN8n, "bad.json");
  ASSERT_EQ(wf.findings.size(), 2u);
  EXPECT_EQ(wf.findings[0], (Finding{Severity::kError, "nodes-not-array", "nodes",
                                     "'nodes' must be an array, got object"}));
  EXPECT_EQ(wf.findings[1], (Finding{Severity::kError, "connections-not-object", "connections",
                                     "'connections' must be an object, got array"}));
}

TEST_F(SourceErrorTest, JsonErrorsNameTheFile) {
  dir_.Write("flows/empty.json", "");
  dir_.Write("flows/utf8.json", "{\"nodes\": [],\n \"name\": \"\xff\"}");
  dir_.Write("flows/invalid.json", "{\n  \"nodes\": [],\n  \"connections\": {} x\n}");
  dir_.Write("flows/truncated.json", "{\n  \"nodes\": [\n");
  dir_.Write("flows/deep.json", std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_EQ(ErrorOf(Format::kN8n, "flows/empty.json"), "flows/empty.json: empty file");
  EXPECT_EQ(ErrorOf(Format::kN8n, "flows/utf8.json"), "flows/utf8.json:2:11: invalid UTF-8");
  EXPECT_EQ(ErrorOf(Format::kN8n, "flows/invalid.json"),
            "flows/invalid.json:3:21: invalid JSON: unexpected 'x'");
  EXPECT_EQ(ErrorOf(Format::kN8n, "flows/truncated.json"),
            "flows/truncated.json:2:13: unexpected end of input (truncated JSON)");
  EXPECT_EQ(ErrorOf(Format::kN8n, "flows/deep.json"),
            "flows/deep.json:1:513: JSON nested deeper than 512 levels");
  auto status = Read(Format::kN8n, "flows/invalid.json").status();
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
}

TEST_F(SourceErrorTest, OverTheSizeLimit) {
  dir_.Write("big.json", kWorkflow);
  SourceLimits limits;
  limits.max_file_size = 100;
  auto result = Read(Format::kN8n, "big.json", limits);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  // The wording after the file name is the FileSystem's.
  EXPECT_TRUE(result.status().message().starts_with("big.json: ")) << result.status().message();
  EXPECT_NE(result.status().message().find("over the limit of 100 bytes"), std::string::npos)
      << result.status().message();
}

TEST_F(SourceErrorTest, DepthLimitIsConfigurable) {
  dir_.Write("d.json", R"({"nodes": [], "connections": {"a": {"main": [[]]}}})");
  SourceLimits limits;
  limits.max_json_depth = 4;  // the document has 5 levels
  EXPECT_EQ(ErrorOf(Format::kN8n, "d.json", limits),
            "d.json:1:46: JSON nested deeper than 4 levels");
  limits.max_json_depth = 5;
  EXPECT_EQ(ErrorOf(Format::kN8n, "d.json", limits), "<ok>");
}

TEST_F(SourceErrorTest, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  dir_.Write("secret.json", kWorkflow);
  ASSERT_EQ(::chmod((dir_.path() + "/secret.json").c_str(), 0), 0);
  auto result = Read(Format::kN8n, "secret.json");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kIOError);
  EXPECT_EQ(result.status().message(), "secret.json: Permission denied");
}

TEST_F(SourceErrorTest, InjectedReadErrors) {
  const auto read = [&](Format format, const std::string& key, const std::string& bad) {
    // A dying disk under one file.
    MemoryFileSystem fs;
    EXPECT_OK(fs.SetFile("/t/a.json", kWorkflow));
    EXPECT_OK(fs.SetFile("/t/b/workflow.json", kWorkflow));
    EXPECT_OK(fs.SetFile("/t/b/README.md", "# B\n"));
    EXPECT_OK(fs.SetFile("/t/p.toml", "[[phase]]\ntask = \"x\"\n"));
    fs.InjectError(MemoryFileSystem::Op::kRead, ExactPath("/t/" + bad), EIO);
    auto result = ReadSource(fs, {format, key, "/t/" + key}, SourceLimits());
    EXPECT_EQ(result.status().code(), StatusCode::kIOError);
    return result.status().message();
  };
  EXPECT_EQ(read(Format::kN8n, "a.json", "a.json"), "a.json: Input/output error");
  EXPECT_EQ(read(Format::kBundle, "b", "b/workflow.json"), "b/workflow.json: Input/output error");
  EXPECT_EQ(read(Format::kBundle, "b", "b/README.md"), "b/README.md: Input/output error");
  EXPECT_EQ(read(Format::kBundle, "b", "b/meta.json"), "b/meta.json: Input/output error");
  EXPECT_EQ(read(Format::kPhase, "p.toml", "p.toml"), "p.toml: Input/output error");
}

// All files are read before any is parsed, yet a bundle reports what it
// did when it read each file just before parsing it: the first error in
// the order workflow.json, meta.json, README.md.
TEST_F(SourceErrorTest, BundleErrorsComeInFileOrder) {
  const auto error = [](const std::string& workflow, const std::string& meta,
                        const std::string& unreadable) {
    MemoryFileSystem fs;
    EXPECT_OK(fs.SetFile("b/workflow.json", workflow));
    EXPECT_OK(fs.SetFile("b/meta.json", meta));
    EXPECT_OK(fs.SetFile("b/README.md", "# B\n"));
    fs.InjectError(MemoryFileSystem::Op::kRead, ExactPath("b/" + unreadable), EIO);
    auto result = ReadSource(fs, {Format::kBundle, "b", "b"}, SourceLimits());
    return result.ok() ? "<ok>" : result.status().message();
  };
  const std::string bad_json = "{\"nodes\": [";
  EXPECT_EQ(error(bad_json, "{}", "meta.json").substr(0, 18), "b/workflow.json:1:");
  EXPECT_EQ(error(kWorkflow, "{}", "meta.json"), "b/meta.json: Input/output error");
  EXPECT_EQ(error(kWorkflow, "[]", "README.md"),
            "b/meta.json:1:1: meta.json must be a JSON object, got array");
  EXPECT_EQ(error(kWorkflow, "{}", "README.md"), "b/README.md: Input/output error");
}

// ParseSource gives what ReadSource gives, from bytes alone.
TEST_F(SourceErrorTest, ParseSourceMatchesReadSource) {
  dir_.Write("a.json", kWorkflow);
  dir_.Write("bad.json", "{\"nodes\": [], \"connections\": {},}");
  dir_.Write("b/workflow.json", kWorkflow);
  dir_.Write("b/meta.json", R"({"name": "Bundle", "categories": ["x"]})");
  dir_.Write("b/README.md", "# B\n");
  dir_.Write("p.toml", "[[phase]]\ntask = \"x\"\n");
  const auto parse = [](Format format, std::string key, std::string text,
                        std::optional<std::string> meta = std::nullopt,
                        std::optional<std::string> readme = std::nullopt) {
    return ParseSource(
        SourceContent{format, std::move(key), std::move(text), std::move(meta), std::move(readme)},
        SourceLimits());
  };
  const auto same = [](const Result<std::optional<ParsedWorkflow>>& parsed,
                       const Result<std::optional<ParsedWorkflow>>& read) {
    ASSERT_EQ(parsed.ok(), read.ok());
    if (!read.ok()) {
      EXPECT_EQ(parsed.status().message(), read.status().message());
      return;
    }
    ASSERT_TRUE(parsed->has_value() && read->has_value());
    EXPECT_EQ((*parsed)->name, (*read)->name);
    EXPECT_EQ((*parsed)->content, (*read)->content);
    EXPECT_EQ((*parsed)->content_hash, (*read)->content_hash);
    EXPECT_EQ((*parsed)->categories, (*read)->categories);
    EXPECT_EQ((*parsed)->metadata_json, (*read)->metadata_json);
    EXPECT_EQ((*parsed)->documentation, (*read)->documentation);
  };
  same(parse(Format::kN8n, "a.json", kWorkflow), Read(Format::kN8n, "a.json"));
  same(parse(Format::kN8n, "bad.json", dir_.Read("bad.json")), Read(Format::kN8n, "bad.json"));
  same(parse(Format::kBundle, "b", kWorkflow, dir_.Read("b/meta.json"), "# B\n"),
       Read(Format::kBundle, "b"));
  same(parse(Format::kPhase, "p.toml", dir_.Read("p.toml")), Read(Format::kPhase, "p.toml"));
  EXPECT_FALSE(parse(Format::kN8n, "x.json", R"({"just": "data"})")->has_value());
}

TEST_F(SourceErrorTest, MissingFile) {
  auto result = Read(Format::kN8n, "gone.json");
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(result.status().message(), "gone.json: No such file or directory");
}

TEST_F(BundleSourceTest, ReadsAllThreeFiles) {
  dir_.Write("bundles/report/workflow.json", kWorkflow);
  dir_.Write("bundles/report/meta.json",
             R"j({"name": "Report (meta)", "categories": ["z", "a", "z"], "author": "Ann",
                 "tags": ["t"], "description": "Sends it", "extra": {"k": 1}})j");
  dir_.Write("bundles/report/README.md", "# Report\n\nSends the report. \xc3\xa9\n");
  const ParsedWorkflow wf = ReadOk(Format::kBundle, "bundles/report");
  EXPECT_EQ(wf.format, Format::kBundle);
  EXPECT_EQ(wf.name, "Report (meta)");
  EXPECT_EQ(wf.source_id, "wf1");
  EXPECT_TRUE(wf.active);
  EXPECT_EQ(wf.categories, (std::vector<std::string>{"a", "z"}));
  EXPECT_EQ(wf.content, kWorkflow);
  EXPECT_EQ(wf.metadata_json,
            R"({"author":"Ann","categories":["z","a","z"],"description":"Sends it",)"
            R"j("extra":{"k":1},"name":"Report (meta)","tags":["t"]})j");
  EXPECT_EQ(wf.documentation, "# Report\n\nSends the report. \xc3\xa9\n");
  EXPECT_EQ(wf.content_hash, HashHex(CanonicalJson(kWorkflow, 512).value() + "\n" +
                                     wf.metadata_json + "\n" + wf.documentation));
  EXPECT_TRUE(wf.findings.empty());
}

TEST_F(BundleSourceTest, OnlyWorkflowJson) {
  dir_.Write("b/workflow.json", R"({"nodes": [], "connections": {}})");
  ParsedWorkflow wf = ReadOk(Format::kBundle, "b");
  EXPECT_EQ(wf.name, "b");  // the folder's name
  EXPECT_EQ(wf.metadata_json, "{}");
  EXPECT_EQ(wf.documentation, "");
  EXPECT_EQ(wf.content_hash, HashHex(std::string(R"({"connections":{},"nodes":[]})") + "\n{}\n"));

  dir_.Write("c/workflow.json", R"({"name": "From workflow", "nodes": [], "connections": {}})");
  dir_.Write("c/meta.json", R"({"author": "Bob"})");
  wf = ReadOk(Format::kBundle, "c");
  EXPECT_EQ(wf.name, "From workflow");
  EXPECT_TRUE(wf.categories.empty());
}

TEST_F(BundleSourceTest, ReadmeAndMetaChangesChangeTheHash) {
  dir_.Write("b/workflow.json", kWorkflow);
  std::set<std::string> hashes;
  hashes.insert(ReadOk(Format::kBundle, "b").content_hash);
  dir_.Write("b/README.md", "docs");
  hashes.insert(ReadOk(Format::kBundle, "b").content_hash);
  dir_.Write("b/README.md", "docs v2");
  hashes.insert(ReadOk(Format::kBundle, "b").content_hash);
  dir_.Write("b/meta.json", R"({"author": "Ann"})");
  hashes.insert(ReadOk(Format::kBundle, "b").content_hash);
  const std::string before = ReadOk(Format::kBundle, "b").content_hash;
  dir_.Write("b/meta.json", "{ \"author\" : \"Ann\" }\n");  // same meta, other spelling
  EXPECT_EQ(ReadOk(Format::kBundle, "b").content_hash, before);
  EXPECT_EQ(hashes.size(), 4u);
}

TEST_F(BundleSourceTest, StructureRulesApply) {
  dir_.Write("b/workflow.json", R"({"nodes": [{"name": "A", "type": "t", "typeVersion": 1,
      "position": [0]}], "connections": {}})");
  const ParsedWorkflow wf = ReadOk(Format::kBundle, "b");
  ASSERT_EQ(wf.findings.size(), 1u);
  EXPECT_EQ(wf.findings[0].code, "node-bad-position");
  EXPECT_EQ(wf.findings[0].location, "nodes[0].position");
}

TEST_F(BundleSourceTest, Errors) {
  const auto error = [&](const std::string& workflow_json) {
    dir_.Write("b/workflow.json", workflow_json);
    return ErrorOf(Format::kBundle, "b");
  };
  EXPECT_EQ(error(R"({"connections": {}})"), "b/workflow.json: missing 'nodes'");
  EXPECT_EQ(error(R"({"nodes": []})"), "b/workflow.json: missing 'connections'");
  EXPECT_EQ(error(R"({"nodes": {}, "connections": {}})"),
            "b/workflow.json:1:11: 'nodes' must be an array, got object");
  EXPECT_EQ(error(R"({"nodes": [], "connections": []})"),
            "b/workflow.json:1:30: 'connections' must be an object, got array");
  EXPECT_EQ(error("[]"), "b/workflow.json:1:1: workflow must be a JSON object, got array");
  EXPECT_EQ(error(""), "b/workflow.json: empty file");
  EXPECT_EQ(error("{\"nodes\": [}"), "b/workflow.json:1:12: invalid JSON: unexpected '}'");

  dir_.Write("b/workflow.json", R"({"nodes": [], "connections": {}})");
  const auto meta_error = [&](const std::string& meta_json) {
    dir_.Write("b/meta.json", meta_json);
    return ErrorOf(Format::kBundle, "b");
  };
  EXPECT_EQ(meta_error("[1]"), "b/meta.json:1:1: meta.json must be a JSON object, got array");
  EXPECT_EQ(meta_error(R"({"categories": "a"})"),
            "b/meta.json:1:16: 'categories' must be an array of strings, got string");
  EXPECT_EQ(meta_error(R"({"categories": ["a", 2]})"),
            "b/meta.json:1:22: 'categories' must be an array of strings, got number");
  EXPECT_EQ(meta_error(R"({"name": 7})"), "b/meta.json:1:10: 'name' must be a string, got number");
  EXPECT_EQ(meta_error("{\"a\": 1"), "b/meta.json:1:8: unexpected end of input (truncated JSON)");
  dir_.Remove("b/meta.json");

  dir_.Write("b/README.md", "ok\nbad \xc3\x28 byte\n");
  EXPECT_EQ(ErrorOf(Format::kBundle, "b"), "b/README.md:2:5: invalid UTF-8");
  dir_.Remove("b/README.md");

  dir_.Remove("b/workflow.json");
  EXPECT_EQ(ErrorOf(Format::kBundle, "b"), "b/workflow.json: No such file or directory");
}

// PostgreSQL's text and jsonb cannot hold NUL: a NUL in a value stored in a
// column of its own refuses the file on every backend alike, naming where;
// one elsewhere in the workflow JSON is kept in the content as written.
TEST_F(N8nSourceTest, NulInAStoredFieldIsAnErrorElsewhereItIsKept) {
  const std::string parameters =
      R"({"name": "ok", "nodes": [{"parameters": {"x": "a\u0000b"}}], "connections": {}})";
  dir_.Write("param.json", parameters);
  const ParsedWorkflow wf = ReadOk(Format::kN8n, "param.json");
  EXPECT_EQ(wf.content, parameters);
  EXPECT_EQ(wf.name, "ok");

  const auto error = [&](const std::string& json) {
    dir_.Write("nul.json", json);
    return ErrorOf(Format::kN8n, "nul.json");
  };
  EXPECT_EQ(error(R"({"name": "a\u0000b", "nodes": [], "connections": {}})"),
            "nul.json:1:10: 'name' holds a NUL character (\\u0000), which PostgreSQL cannot "
            "store");
  EXPECT_EQ(error(R"({"nodes": [], "connections": {}, "id": "\u0000"})"),
            "nul.json:1:40: 'id' holds a NUL character (\\u0000), which PostgreSQL cannot store");
  EXPECT_EQ(error(R"({"nodes": [], "connections": {}, "tags": ["x", {"name": "\u0000"}]})"),
            "nul.json:1:57: a tag name holds a NUL character (\\u0000), which PostgreSQL cannot "
            "store");
  // A tag's other members are not stored.
  EXPECT_EQ(error(R"({"nodes": [], "connections": {}, "tags": [{"id": "\u0000", "name": "t"}]})"),
            "<ok>");
}

TEST_F(BundleSourceTest, NulInMetaReadmeOrAUsedNameIsAnError) {
  dir_.Write("b/workflow.json", R"({"name": "w\u0000", "nodes": [], "connections": {}})");
  EXPECT_EQ(ErrorOf(Format::kBundle, "b"),
            "b/workflow.json:1:10: 'name' holds a NUL character (\\u0000), which PostgreSQL "
            "cannot store");
  // meta.json's name is the one stored; workflow.json's tags never are.
  dir_.Write("b/meta.json", R"({"name": "m"})");
  EXPECT_EQ(ErrorOf(Format::kBundle, "b"), "<ok>");
  dir_.Write("b/workflow.json", R"({"nodes": [], "connections": {}, "tags": ["\u0000"]})");
  EXPECT_EQ(ErrorOf(Format::kBundle, "b"), "<ok>");

  // meta.json is stored whole (as jsonb on PostgreSQL): keys and values.
  dir_.Write("b/meta.json", "{\"name\": \"m\",\n \"owner\": {\"x\": [\"\\u0000\"]}}");
  EXPECT_EQ(ErrorOf(Format::kBundle, "b"),
            "b/meta.json:2:18: a string holds a NUL character (\\u0000), which PostgreSQL cannot "
            "store");
  dir_.Write("b/meta.json", R"({"k\u0000": 1})");
  EXPECT_EQ(ErrorOf(Format::kBundle, "b"),
            "b/meta.json:1:13: the key of this value holds a NUL character (\\u0000), which "
            "PostgreSQL cannot store");
  dir_.Remove("b/meta.json");

  dir_.Write("b/README.md", std::string("# ok\nbad \0 byte\n", 16));
  EXPECT_EQ(ErrorOf(Format::kBundle, "b"),
            "b/README.md:2:5: the text holds a NUL character (\\u0000), which PostgreSQL cannot "
            "store");
}

}  // namespace
}  // namespace flowsync
