// Secret scanning of n8n workflows before they are promoted to another
// environment: credentials never leave the environment they belong to.
//
// The scanner looks only where secrets live in a workflow:
//   - node parameters, recursively (strings inside objects and arrays,
//     including code held in jsCode/pythonCode strings);
//   - the top-level pinData and staticData trees.
// Credential references (a node's `credentials` block of {id, name}) are never
// read: they name a credential, they do not hold one.
//
// A string is reported when
//   - it holds a well-known token format anywhere in its text (GitHub, Slack
//     token or webhook, Telegram bot token, AWS access key id, Discord webhook,
//     JWT, PEM private key, or a literal "Bearer <token>"), or
//   - it is the literal value of a sensitive key (api_key, token, password,
//     secret, client_secret, private_key, ... matched case-insensitively and
//     ignoring '_', '-' and spaces), of an `Authorization` key, or of an n8n
//     name/value pair ({name: "Authorization", value: "Bearer ..."}, the shape
//     of headerParameters.parameters[] and queryParameters.parameters[]).
// Values of sensitive keys count only when they look like a secret: at least
// 8 characters and not a placeholder ("YOUR_API_KEY", "<token>", "xxxx",
// "changeme", "${VAR}", "{{ ... }}", an environment variable name, ...).
// n8n expressions (strings starting with '=') are never reported as the value
// of a sensitive key, since they compute the value at run time; their literal
// text outside {{ ... }} is still searched for token formats, because a token
// pasted into an expression ("=https://api.telegram.org/bot<token>/...") leaks
// just the same.
//
// A bundle's other members travel with its workflow and are scanned too:
//   - meta.json (ScanJsonForSecrets): every string value of the document,
//     with the same token formats, sensitive-key and name/value rules and
//     expression rule as node parameters;
//   - README.md (ScanTextForSecrets): token formats and a literal
//     "Bearer <token>" only. Sensitive-key rules need a key, and prose has
//     none: "set the token and the password in n8n" is no finding.
// Their findings are named "meta.json:JSON_PATH" and "README.md:LINE", which
// no workflow path can be (those start with nodes, pinData or staticData),
// so one set of --allow paths serves all three.
//
// Findings never carry the secret itself: only where it is, what kind it is
// and a hint such as "46 characters".
//
// Thread-safety: free functions over their arguments; safe to call
// concurrently.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/status.h"

namespace flowsync {

// What --redact writes in place of a secret.
inline constexpr std::string_view kRedactedPlaceholder = "__REDACTED__";

struct SecretFinding {
  // Location of the string holding the secret, in the style of the workflow
  // reader's findings: "nodes[3].parameters.headerParameters.parameters[0].value",
  // "pinData.Webhook[0].json.token". Keys that are not plain identifiers are
  // written quoted: `parameters["x.y"]`. Outside the workflow JSON the file
  // comes first: "meta.json:author.api_key", "README.md:12" (1-based line of
  // the match's first character).
  std::string json_path;
  // One of: "github-token", "slack-token", "slack-webhook", "telegram-bot-token",
  // "aws-access-key", "discord-webhook", "jwt", "pem-private-key",
  // "authorization-header", "sensitive-key".
  std::string kind;
  // Never the value: its length and, for several matches in one string, how
  // many ("51 characters", "2 occurrences, first 40 characters").
  std::string hint;

  friend bool operator==(const SecretFinding&, const SecretFinding&) = default;
};

struct ScanOptions {
  // json_path values accepted deliberately (`--allow PATH`): no finding is
  // reported at exactly these paths.
  std::set<std::string> allowed_paths;
};

// Scans one workflow document (an n8n workflow JSON object). Findings come in
// document order, at most one per (json_path, kind).
// Errors: Corruption when the text is not JSON; InvalidArgument when it is not
// a JSON object.
Result<std::vector<SecretFinding>> ScanWorkflowForSecrets(std::string_view workflow_json,
                                                          const ScanOptions& options = {});

// Returns `workflow_json` with the secrets at the findings' paths replaced by
// `placeholder`. Where a token sits inside a longer string (code, a URL, a
// "Bearer ..." header) only the token is replaced; a sensitive key's value is
// replaced whole, as is any string at a finding's path where the scanner no
// longer sees a match. Key order is kept; the output is indented by 2 spaces.
// Paths that name no string are ignored.
// Errors: as ScanWorkflowForSecrets.
Result<std::string> RedactSecrets(std::string_view workflow_json,
                                  const std::vector<SecretFinding>& findings,
                                  std::string_view placeholder = kRedactedPlaceholder);

// Bundle members scanned besides workflow.json; their findings' paths start
// with the name and a ':'.
inline constexpr std::string_view kMetaJsonFile = "meta.json";
inline constexpr std::string_view kReadmeFile = "README.md";

// Scans a JSON document of any shape (a bundle's meta.json): every string
// value, wherever it is, by the rules of node parameters. Paths are
// "<file>:<json path>" ("meta.json:author.api_key", "meta.json:[0]" for an
// array at the top). Findings come in document order, at most one per
// (json_path, kind).
// Errors: Corruption "<file> is not valid JSON" (never quoting the text).
Result<std::vector<SecretFinding>> ScanJsonForSecrets(std::string_view json,
                                                      std::string_view file = kMetaJsonFile,
                                                      const ScanOptions& options = {});

// RedactSecrets for a document scanned by ScanJsonForSecrets: the strings
// at the findings' paths that start with "<file>:" are redacted (findings
// of other files are ignored). Key order is kept; 2-space indentation.
// Errors: as ScanJsonForSecrets.
Result<std::string> RedactJsonSecrets(std::string_view json,
                                      const std::vector<SecretFinding>& findings,
                                      std::string_view file = kMetaJsonFile,
                                      std::string_view placeholder = kRedactedPlaceholder);

// Scans free text (a bundle's README.md) for token formats and literal
// "Bearer <token>"s; no key rules, no expression rule. Paths are
// "<file>:<line>". Findings come in text order, at most one per (line,
// kind); a match that spans lines (a PEM key) counts on its first line.
std::vector<SecretFinding> ScanTextForSecrets(std::string_view text,
                                              std::string_view file = kReadmeFile,
                                              const ScanOptions& options = {});

// Returns `text` with every token on the findings' lines (paths starting
// with "<file>:") replaced by `placeholder`; every other byte is kept as it
// was. A token that spans lines keeps its line breaks after the
// placeholder, so that each line keeps its number and the findings of the
// redacted text name the lines they named before.
std::string RedactTextSecrets(std::string_view text, const std::vector<SecretFinding>& findings,
                              std::string_view file = kReadmeFile,
                              std::string_view placeholder = kRedactedPlaceholder);

}  // namespace flowsync
