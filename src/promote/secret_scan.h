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

struct SecretFinding {
  // Location of the string holding the secret, in the style of the workflow
  // reader's findings: "nodes[3].parameters.headerParameters.parameters[0].value",
  // "pinData.Webhook[0].json.token". Keys that are not plain identifiers are
  // written quoted: `parameters["x.y"]`.
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
                                  std::string_view placeholder = "__REDACTED__");

}  // namespace flowsync
