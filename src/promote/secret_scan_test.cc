// Tests of the workflow secret scanner. The token-shaped strings below are
// made up for the tests (random characters in the documented formats); the
// corpus test prints paths, kinds and counts only, never values.
#include "promote/secret_scan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "util/test_util.h"

namespace flowsync {
namespace {

using Json = nlohmann::ordered_json;
}  // namespace

// Readable failure messages (a finding holds no secret value).
void PrintTo(const SecretFinding& f, std::ostream* os) {
  *os << "{" << f.json_path << ", " << f.kind << ", " << f.hint << "}";
}

namespace {

// A workflow with one node whose parameters are `params`.
std::string Workflow(const Json& params) {
  Json wf = {
      {"name", "wf"},
      {"nodes",
       Json::array({{{"name", "Node"},
                     {"type", "n8n-nodes-base.httpRequest"},
                     {"parameters", params},
                     {"credentials", {{"httpHeaderAuth", {{"id", "12"}, {"name", "token"}}}}}}})},
      {"connections", Json::object()}};
  return wf.dump();
}

std::vector<SecretFinding> Scan(const std::string& workflow, const ScanOptions& options = {}) {
  Result<std::vector<SecretFinding>> r = ScanWorkflowForSecrets(workflow, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : std::vector<SecretFinding>{};
}

// Kinds of the findings, for compact assertions.
std::vector<std::string> Kinds(const std::vector<SecretFinding>& findings) {
  std::vector<std::string> kinds;
  for (const SecretFinding& f : findings) kinds.push_back(f.kind);
  return kinds;
}

// Findings of a single string parameter `key: value`.
std::vector<std::string> KindsOf(const std::string& key, const std::string& value) {
  return Kinds(Scan(Workflow({{key, value}})));
}

using V = std::vector<std::string>;

const std::string kGitHub = "ghp_" + std::string("a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
const std::string kJwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0."
    "Qm9ndXNTaWduYXR1cmVGb3JUZXN0c19x";

TEST(SecretScanFormatTest, GitHub) {
  EXPECT_EQ(KindsOf("url", kGitHub), V{"github-token"});
  EXPECT_EQ(KindsOf("url", "github_pat_11ABCDEFG0abcdefghijklmnopqrstuv"), V{"github-token"});
  EXPECT_EQ(KindsOf("url", "ghp_1234"), V{});                                   // too short
  EXPECT_EQ(KindsOf("url", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), V{});   // placeholder
  EXPECT_EQ(KindsOf("url", "xghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"), V{});  // inside a word
}

TEST(SecretScanFormatTest, Slack) {
  EXPECT_EQ(KindsOf("text", "xoxb-1234567890-9876543210-AbCdEfGhIjKlMnOp"), V{"slack-token"});
  EXPECT_EQ(KindsOf("text", "xoxb-your-bot-token-goes-here"), V{});
  EXPECT_EQ(
      KindsOf("url", "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/aB3dE6gH9jK2mN5pQ8sT"),
      V{"slack-webhook"});
  EXPECT_EQ(KindsOf("url", "https://hooks.slack.com/services/XXX/YYY/ZZZ"), V{});
}

TEST(SecretScanFormatTest, Telegram) {
  const std::string token = "123456789:AAHfG3kL9mN2pQ5rS8tV1wX4yZ7aB0cD3eF";
  EXPECT_EQ(KindsOf("url", "https://api.telegram.org/bot" + token + "/sendMessage"),
            V{"telegram-bot-token"});
  EXPECT_EQ(KindsOf("text", token), V{"telegram-bot-token"});
  EXPECT_EQ(KindsOf("url", "https://api.telegram.org/bot<token>/sendMessage"), V{});
  EXPECT_EQ(KindsOf("text", "123:AAHfG3kL9mN2pQ5rS8tV1wX4yZ7aB0cD3eF"), V{});  // id too short
}

TEST(SecretScanFormatTest, Aws) {
  EXPECT_EQ(KindsOf("text", "key=AKIAZ7Q2M4N6P8R0T3V5 done"), V{"aws-access-key"});
  EXPECT_EQ(KindsOf("text", "AKIAIOSFODNN7EXAMPLE"), V{});   // the documentation example
  EXPECT_EQ(KindsOf("text", "AKIAZ7Q2M4N6P8R0T3V"), V{});    // 15 characters
  EXPECT_EQ(KindsOf("text", "XAKIAZ7Q2M4N6P8R0T3V5"), V{});  // inside a word
}

TEST(SecretScanFormatTest, Discord) {
  const std::string hook =
      "https://discord.com/api/webhooks/112233445566778899/" +
      std::string("aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hI6kL9nO2qR5tU8wX1zA4cD7fG0iJ3lM");
  EXPECT_EQ(KindsOf("webhookUrl", hook), V{"discord-webhook"});
  std::string old_host = hook;
  old_host.replace(old_host.find("discord.com"), 11, "discordapp.com");
  EXPECT_EQ(KindsOf("webhookUrl", old_host), V{"discord-webhook"});
  EXPECT_EQ(KindsOf("webhookUrl", "https://discord.com/api/webhooks/ID/TOKEN"), V{});
}

TEST(SecretScanFormatTest, Jwt) {
  EXPECT_EQ(KindsOf("text", kJwt), V{"jwt"});
  EXPECT_EQ(KindsOf("text", "eyJhbGciOi.short"), V{});
  EXPECT_EQ(KindsOf("text", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0."), V{});  // unsigned
}

TEST(SecretScanFormatTest, PemInCode) {
  std::string body;
  for (int i = 0; i < 4; ++i) body += "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\\n";
  const std::string code = "const key = '-----BEGIN PRIVATE KEY-----\\n" + body +
                           "-----END PRIVATE KEY-----';\nreturn [];";
  EXPECT_EQ(KindsOf("jsCode", code), V{"pem-private-key"});
  EXPECT_EQ(KindsOf("jsCode",
                    "const key = '-----BEGIN RSA PRIVATE KEY-----\\n...\\n"
                    "-----END RSA PRIVATE KEY-----';"),
            V{});  // no key material
  EXPECT_EQ(KindsOf("pythonCode", "key = '-----BEGIN PUBLIC KEY-----\\n" + body + "'"), V{});
}

TEST(SecretScanFormatTest, BearerInCode) {
  EXPECT_EQ(KindsOf("jsCode", "headers: { Authorization: 'Bearer sk-a1B2c3D4e5F6g7H8i9J0k1L2' }"),
            V{"authorization-header"});
  EXPECT_EQ(KindsOf("jsCode", "headers: { Authorization: 'Bearer ' + $env.TOKEN }"), V{});
  EXPECT_EQ(KindsOf("jsCode", "headers: { Authorization: `Bearer ${token}` }"), V{});
}

TEST(SecretScanKeyTest, SensitiveKeys) {
  for (const std::string key :
       {"api_key", "apiKey", "API-KEY", "token", "access_token", "authToken", "password", "passwd",
        "secret", "client_secret", "private_key"}) {
    EXPECT_EQ(KindsOf(key, "s3cr3tV4lue9"), V{"sensitive-key"}) << key;
  }
  EXPECT_EQ(KindsOf("tokenType", "s3cr3tV4lue9"), V{});
  EXPECT_EQ(KindsOf("description", "s3cr3tV4lue9"), V{});
}

TEST(SecretScanKeyTest, NearMisses) {
  EXPECT_EQ(KindsOf("apiKey", "={{ $json.apiKey }}"), V{});        // expression
  EXPECT_EQ(KindsOf("apiKey", "={{ $env.OPENAI_KEY }}xyz"), V{});  // expression
  EXPECT_EQ(KindsOf("apiKey", ""), V{});
  EXPECT_EQ(KindsOf("apiKey", "abc123"), V{});  // short
  for (const std::string placeholder :
       {"YOUR_API_KEY", "<token>", "xxxxxxxxxxxx", "changeme", "${API_KEY}", "{{ api_key }}",
        "OPENAI_API_KEY", "your api key here", "********", "undefinedtoken", "SECRETAPIKEY",
        "1700000000", "$GITHUB_TOKEN"}) {
    EXPECT_EQ(KindsOf("apiKey", placeholder), V{}) << placeholder;
  }
}

TEST(SecretScanKeyTest, TokenInExpressionLiteral) {
  const std::string url =
      "=https://api.telegram.org/bot123456789:AAHfG3kL9mN2pQ5rS8tV1wX4yZ7aB0cD3eF"
      "/sendMessage?chat_id={{ $json.chat }}";
  EXPECT_EQ(KindsOf("url", url), V{"telegram-bot-token"});
  EXPECT_EQ(KindsOf("url", "=https://api.telegram.org/bot{{ $json.token }}/sendMessage"), V{});
}

TEST(SecretScanKeyTest, HeaderParametersAndPaths) {
  Json params = {
      {"url", "https://api.example.org"},
      {"headerParameters",
       {{"parameters",
         Json::array({{{"name", "Content-Type"}, {"value", "application/json"}},
                      {{"name", "Authorization"}, {"value", "Bearer q8Zr5Tn2Lm7Wx4Kp"}},
                      {{"name", "Authorization"}, {"value", "=Bearer {{ $json.token }}"}},
                      {{"name", "X-API-Key"}, {"value", "k9J3m5N7p2Q4"}}})}}},
      {"options", {{"Authorization", "Basic dXNlcjpwYXNzd29yZA=="}}},
  };
  const std::vector<SecretFinding> findings = Scan(Workflow(params));
  const std::vector<SecretFinding> expected = {
      {"nodes[0].parameters.headerParameters.parameters[1].value", "authorization-header",
       "16 characters"},
      {"nodes[0].parameters.headerParameters.parameters[3].value", "sensitive-key",
       "12 characters"},
      {"nodes[0].parameters.options.Authorization", "authorization-header", "20 characters"},
  };
  EXPECT_EQ(findings, expected);
}

TEST(SecretScanKeyTest, CredentialReferencesAndOtherPlacesAreNotScanned) {
  Json wf = {{"nodes", Json::array({{{"name", "A"},
                                     {"parameters", Json::object()},
                                     {"credentials", {{"api", {{"id", kGitHub}, {"name", kJwt}}}}},
                                     {"notes", kGitHub}}})},
             {"meta", {{"token", kGitHub}}}};
  EXPECT_EQ(Scan(wf.dump()), std::vector<SecretFinding>{});
  const Json header = {{"name", "Authorization"}, {"value", "Bearer $GITHUB_API_KEY"}};
  EXPECT_EQ(Kinds(Scan(Workflow({{"headerParameters", {{"parameters", Json::array({header})}}}}))),
            V{});
}

TEST(SecretScanKeyTest, PinDataStaticDataAndQuotedKeys) {
  Json wf = {
      {"nodes", Json::array()},
      {"pinData", {{"Webhook", Json::array({{{"json", {{"password", "hunter2hunter2"}}}}})}}},
      {"staticData", {{"node:Poll", {{"last", kJwt}}}}}};
  const std::vector<SecretFinding> expected = {
      {"pinData.Webhook[0].json.password", "sensitive-key", "14 characters"},
      {"staticData[\"node:Poll\"].last", "jwt", std::to_string(kJwt.size()) + " characters"},
  };
  EXPECT_EQ(Scan(wf.dump()), expected);
}

TEST(SecretScanKeyTest, SeveralTokensInOneString) {
  const std::string code = "const a = '" + kGitHub + "'; const b = '" + kGitHub + "'; // " + kJwt;
  const std::vector<SecretFinding> expected = {
      {"nodes[0].parameters.jsCode", "github-token", "2 occurrences, first 40 characters"},
      {"nodes[0].parameters.jsCode", "jwt", std::to_string(kJwt.size()) + " characters"},
  };
  EXPECT_EQ(Scan(Workflow({{"jsCode", code}})), expected);
}

TEST(SecretScanErrorTest, NotJsonOrNotObject) {
  Result<std::vector<SecretFinding>> r = ScanWorkflowForSecrets("{\"nodes\": [", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "Corruption: workflow is not valid JSON");
  r = ScanWorkflowForSecrets("[]", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "InvalidArgument: workflow must be a JSON object");
}

TEST(SecretScanAllowTest, AllowedPathIsSkipped) {
  const std::string wf =
      Workflow({{"apiKey", "s3cr3tV4lue9"}, {"jsCode", "x = '" + kGitHub + "'"}});
  ASSERT_EQ(Scan(wf).size(), 2u);
  ScanOptions options;
  options.allowed_paths.insert("nodes[0].parameters.apiKey");
  const std::vector<SecretFinding> findings = Scan(wf, options);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].json_path, "nodes[0].parameters.jsCode");
}

TEST(SecretScanRedactTest, ReplacesOnlyTheSecrets) {
  Json params = {
      {"apiKey", "s3cr3tV4lue9"},
      {"jsCode", "const t = '" + kGitHub + "';\nreturn [];"},
      {"headerParameters",
       {{"parameters",
         Json::array({{{"name", "Authorization"}, {"value", "Bearer q8Zr5Tn2Lm7Wx4Kp"}}})}}},
      {"url", "https://example.org"},
  };
  const std::string wf = Workflow(params);
  const std::vector<SecretFinding> findings = Scan(wf);
  ASSERT_EQ(findings.size(), 3u);
  Result<std::string> redacted = RedactSecrets(wf, findings);
  ASSERT_OK(redacted);
  EXPECT_EQ(redacted->find("s3cr3tV4lue9"), std::string::npos);
  EXPECT_EQ(redacted->find(kGitHub), std::string::npos);
  EXPECT_EQ(redacted->find("q8Zr5Tn2Lm7Wx4Kp"), std::string::npos);

  Json expected = Json::parse(wf);
  Json& p = expected["nodes"][0]["parameters"];
  p["apiKey"] = "__REDACTED__";
  p["jsCode"] = "const t = '__REDACTED__';\nreturn [];";
  p["headerParameters"]["parameters"][0]["value"] = "Bearer __REDACTED__";
  EXPECT_EQ(Json::parse(*redacted), expected);  // everything else, and key order, unchanged
  EXPECT_EQ(Scan(*redacted), std::vector<SecretFinding>{});

  Result<std::string> custom = RedactSecrets(wf, {findings[0]}, "<secret>");
  ASSERT_OK(custom);
  EXPECT_EQ(Json::parse(*custom)["nodes"][0]["parameters"]["apiKey"], "<secret>");
  EXPECT_NE(custom->find(kGitHub), std::string::npos);  // only the given finding
}

// --- meta.json: any JSON document ---------------------------------------------

std::vector<SecretFinding> ScanMeta(const Json& meta, const ScanOptions& options = {}) {
  Result<std::vector<SecretFinding>> r = ScanJsonForSecrets(meta.dump(), kMetaJsonFile, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : std::vector<SecretFinding>{};
}

const std::string kSlackHook =
    "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/aB3dE6gH9jK2mN5pQ8sT";

Json LeakyMeta() {
  return {
      {"name", "Bundle"},
      {"author", {{"name", "Ann"}, {"api_key", "s3cr3tV4lue9"}}},
      {"links", Json::array({{{"url", kSlackHook}}})},
      {"headers", Json::array({{{"name", "Authorization"}, {"value", "Bearer q8Zr5Tn2Lm7Wx4Kp"}}})},
      {"notes", "old token " + kGitHub + " (revoked?)"},
      {"x.y", {{"password", "hunter2hunter2"}}},
  };
}

TEST(SecretScanJsonTest, EveryStringWithTheRulesOfParameters) {
  const std::vector<SecretFinding> expected = {
      {"meta.json:author.api_key", "sensitive-key", "12 characters"},
      {"meta.json:links[0].url", "slack-webhook", "65 characters"},
      {"meta.json:headers[0].value", "authorization-header", "16 characters"},
      {"meta.json:notes", "github-token", "40 characters"},
      {"meta.json:[\"x.y\"].password", "sensitive-key", "14 characters"},
  };
  EXPECT_EQ(ScanMeta(LeakyMeta()), expected);
}

TEST(SecretScanJsonTest, PlaceholdersExpressionsAndPlainKeysAreNot) {
  const Json meta = {
      {"name", "Bundle"},
      {"categories", Json::array({"ops", "s3cr3tV4lue9"})},
      {"description", "s3cr3tV4lue9"},  // not a sensitive key
      {"api_key", "YOUR_API_KEY"},
      {"password", "changeme"},
      {"token", "={{ $env.GITHUB_TOKEN }}"},  // an expression computes it
      {"client_secret", "OPENAI_API_KEY"},
      {"sample", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
      {"count", 3},
      {"nothing", nullptr},
  };
  EXPECT_EQ(ScanMeta(meta), std::vector<SecretFinding>{});
  // An expression's literal text is still searched for token formats.
  EXPECT_EQ(Kinds(ScanMeta({{"url", "=https://x/?t=" + kGitHub + "&q={{ $json.q }}"}})),
            V{"github-token"});
}

TEST(SecretScanJsonTest, AnyShapeOtherFileNamesAndErrors) {
  Result<std::vector<SecretFinding>> r =
      ScanJsonForSecrets(Json::array({"fine", kJwt}).dump(), "extra.json");
  ASSERT_OK(r);
  EXPECT_EQ(*r, (std::vector<SecretFinding>{
                    {"extra.json:[1]", "jwt", std::to_string(kJwt.size()) + " characters"}}));
  r = ScanJsonForSecrets("{\"token\": \"" + kGitHub + "\"");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(), "Corruption: meta.json is not valid JSON");
}

TEST(SecretScanJsonTest, AllowedPathIsSkipped) {
  ScanOptions options;
  options.allowed_paths = {"meta.json:author.api_key", "meta.json:notes", "author.api_key"};
  EXPECT_EQ(ScanMeta(LeakyMeta(), options),
            (std::vector<SecretFinding>{
                {"meta.json:links[0].url", "slack-webhook", "65 characters"},
                {"meta.json:headers[0].value", "authorization-header", "16 characters"},
                {"meta.json:[\"x.y\"].password", "sensitive-key", "14 characters"},
            }));
}

TEST(SecretScanJsonTest, RedactKeepsKeyOrderAndIndent) {
  const std::string text = LeakyMeta().dump();
  std::vector<SecretFinding> findings = ScanMeta(LeakyMeta());
  ASSERT_EQ(findings.size(), 5u);
  // Findings of the workflow or of another file are not this document's.
  findings.push_back({"name", "sensitive-key", "6 characters"});
  findings.push_back({"README.md:1", "github-token", "40 characters"});
  Result<std::string> redacted = RedactJsonSecrets(text, findings);
  ASSERT_OK(redacted);
  Json expected = LeakyMeta();
  expected["author"]["api_key"] = "__REDACTED__";
  expected["links"][0]["url"] = "https://__REDACTED__";
  expected["headers"][0]["value"] = "Bearer __REDACTED__";
  expected["notes"] = "old token __REDACTED__ (revoked?)";
  expected["x.y"]["password"] = "__REDACTED__";
  EXPECT_EQ(*redacted, expected.dump(2));
  EXPECT_EQ(ScanMeta(Json::parse(*redacted)), std::vector<SecretFinding>{});

  // Only the findings given, with another placeholder.
  redacted = RedactJsonSecrets(text, {findings[0]}, kMetaJsonFile, "<secret>");
  ASSERT_OK(redacted);
  EXPECT_EQ(Json::parse(*redacted)["author"]["api_key"], "<secret>");
  EXPECT_NE(redacted->find(kGitHub), std::string::npos);
}

// --- README.md: free text --------------------------------------------------------

std::vector<SecretFinding> ScanReadme(const std::string& text, const ScanOptions& options = {}) {
  return ScanTextForSecrets(text, kReadmeFile, options);
}

const std::string kBearer = "sk-a1B2c3D4e5F6g7H8i9J0k1L2";

std::string LeakyReadme() {
  return "# Deploy\n"
         "\n"
         "Set the token and the password in n8n before running this workflow.\n"
         "The API token is stored as a credential: never paste your password here.\n"
         "api_key: s3cr3tV4lue9, password = hunter2hunter2\n"
         "Authorization: Bearer <your-token>, or Bearer YOUR_TOKEN_GOES_HERE_123456\n"
         "Tokens look like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx or AKIAIOSFODNN7EXAMPLE.\n"
         "Old token: `" +
         kGitHub + "` (still valid?) and again " + kGitHub +
         "\n"
         "\n"
         "    curl -H 'Authorization: Bearer " +
         kBearer + "' https://api.example.org\n";
}

TEST(SecretScanTextTest, TokenFormatsAndBearerByLine) {
  const std::vector<SecretFinding> expected = {
      {"README.md:8", "github-token", "2 occurrences, first 40 characters"},
      {"README.md:10", "authorization-header", std::to_string(kBearer.size()) + " characters"},
  };
  EXPECT_EQ(ScanReadme(LeakyReadme()), expected);
}

TEST(SecretScanTextTest, ProseAndPlaceholdersAreNot) {
  // Lines 1-7 of the leaky README: words such as "token" and "password",
  // key-like text with values (no key rules in prose), placeholders.
  std::string text = LeakyReadme();
  text.resize(text.find("Old token"));
  EXPECT_EQ(ScanReadme(text), std::vector<SecretFinding>{});
  EXPECT_EQ(ScanReadme(""), std::vector<SecretFinding>{});
  EXPECT_EQ(ScanReadme("Bearer tokens are sent in the Authorization header.\n"),
            std::vector<SecretFinding>{});
  // Expressions are no rule here: '=' starts an ordinary line.
  EXPECT_EQ(Kinds(ScanReadme("=" + kGitHub)), V{"github-token"});
}

TEST(SecretScanTextTest, LinesCountFromOneAndAllowSkipsALine) {
  const std::string text = kJwt + "\r\nx\r\n\r\ny " + kGitHub;
  EXPECT_EQ(ScanReadme(text),
            (std::vector<SecretFinding>{
                {"README.md:1", "jwt", std::to_string(kJwt.size()) + " characters"},
                {"README.md:4", "github-token", "40 characters"}}));
  ScanOptions options;
  options.allowed_paths = {"README.md:1", "meta.json:1"};
  EXPECT_EQ(ScanReadme(text, options),
            (std::vector<SecretFinding>{{"README.md:4", "github-token", "40 characters"}}));
  EXPECT_EQ(ScanTextForSecrets(text, "NOTES.md")[1].json_path, "NOTES.md:4");
}

TEST(SecretScanTextTest, RedactReplacesOnlyTheTokenBytes) {
  const std::string text = LeakyReadme();
  const std::vector<SecretFinding> findings = ScanReadme(text);
  ASSERT_EQ(findings.size(), 2u);
  std::string expected = text;
  auto replace_all = [&expected](const std::string& token) {
    for (size_t pos = expected.find(token); pos != std::string::npos;
         pos = expected.find(token, pos)) {
      expected.replace(pos, token.size(), "__REDACTED__");
    }
  };
  replace_all(kGitHub);
  replace_all(kBearer);
  EXPECT_EQ(RedactTextSecrets(text, findings), expected);
  EXPECT_EQ(ScanReadme(expected), std::vector<SecretFinding>{});

  // Only the lines of the findings given (a workflow path is not a line).
  std::string one_line = text;
  one_line.replace(one_line.find(kBearer), kBearer.size(), "<secret>");
  EXPECT_EQ(RedactTextSecrets(text,
                              {findings[1],
                               {"nodes[0].parameters.jsCode", "jwt", ""},
                               {"meta.json:8", "github-token", ""}},
                              kReadmeFile, "<secret>"),
            one_line);
  EXPECT_EQ(RedactTextSecrets(text, {}), text);
}

TEST(SecretScanTextTest, RedactedPemKeepsItsLineBreaks) {
  std::string body;
  for (int i = 0; i < 4; ++i) body += "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n";
  const std::string text = "```\n-----BEGIN PRIVATE KEY-----\n" + body +
                           "-----END PRIVATE KEY-----\n```\nafter: " + kGitHub + "\n";
  const std::vector<SecretFinding> findings = ScanReadme(text);
  const std::vector<SecretFinding> expected = {
      {"README.md:2", "pem-private-key", "265 characters"},
      {"README.md:9", "github-token", "40 characters"},
  };
  EXPECT_EQ(findings, expected);
  EXPECT_EQ(RedactTextSecrets(text, findings),
            "```\n__REDACTED__\n\n\n\n\n\n```\nafter: __REDACTED__\n");
  // Line 9 is still line 9: an allowed line stays allowed after redaction.
  const std::string pem_only = RedactTextSecrets(text, {findings[0]});
  EXPECT_EQ(ScanReadme(pem_only), std::vector<SecretFinding>{findings[1]});
}

// --- The shared corpus -------------------------------------------------------

std::string ReadWhole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SecretScanCorpusTest, Zie619) {
  const std::string root = test::SharedDir() + "/corpus/n8n/zie619";
  if (!std::filesystem::is_directory(root)) GTEST_SKIP() << "corpus not present";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> texts;
  for (const auto& f : files) texts.push_back(ReadWhole(f));

  size_t workflows = 0;
  size_t unreadable = 0;
  size_t with_findings = 0;
  std::map<std::string, size_t> per_kind;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < texts.size(); ++i) {
    Result<std::vector<SecretFinding>> r = ScanWorkflowForSecrets(texts[i], {});
    if (!r.ok()) {
      ++unreadable;
      continue;
    }
    ++workflows;
    if (!r->empty()) {
      ++with_findings;
      // Redaction must leave nothing for the scanner to find.
      Result<std::string> redacted = RedactSecrets(texts[i], *r);
      ASSERT_OK(redacted);
      Result<std::vector<SecretFinding>> rescan = ScanWorkflowForSecrets(*redacted, {});
      ASSERT_OK(rescan);
      EXPECT_TRUE(rescan->empty()) << files[i].filename() << ": " << rescan->size() << " left";
    }
    for (const SecretFinding& f : *r) {
      ++per_kind[f.kind];
      if (std::getenv("FLOWSYNC_SECRET_SCAN_VERBOSE") != nullptr) {
        std::printf("%s %s %s (%s)\n", std::filesystem::relative(files[i], root).c_str(),
                    f.json_path.c_str(), f.kind.c_str(), f.hint.c_str());
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("secret scan: %zu files, %zu workflows, %zu with findings, %.2f s\n", files.size(),
              workflows, with_findings, seconds);
  for (const auto& [kind, count] : per_kind) std::printf("  %-22s %zu\n", kind.c_str(), count);

  EXPECT_EQ(files.size(), 2057u);
  EXPECT_EQ(unreadable, 0u);
  // Reviewed by path, kind and value shape: literal API keys in HTTP headers
  // and Set nodes, pinned payloads holding tokens, a Discord webhook URL. Few
  // are samples rather than credentials (a Stripe payment client_secret in
  // pinned data, a public training key, a demo password).
  EXPECT_EQ(with_findings, 30u);
  EXPECT_EQ(
      per_kind,
      (std::map<std::string, size_t>{
          {"authorization-header", 5}, {"discord-webhook", 3}, {"jwt", 2}, {"sensitive-key", 27}}));
  // No time limit here: speed belongs in benchmarks (the figure is printed
  // above), and a sanitizer build on a loaded machine once took 23 s.
}

}  // namespace
}  // namespace flowsync
