#include "promote/secret_scan.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

namespace flowsync {
namespace {

using Json = nlohmann::ordered_json;

// A secret inside one string: [begin, end) of the string's bytes.
struct Match {
  std::string_view kind;
  size_t begin = 0;
  size_t end = 0;
};

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpperAlnum(char c) { return (c >= 'A' && c <= 'Z') || IsDigit(c); }
bool IsBase64Url(char c) { return IsAlnum(c) || c == '_' || c == '-'; }
// Characters of a bearer token: base64, base64url, and the RFC 6750 extras.
bool IsTokenChar(char c) {
  return IsAlnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' ||
         c == '=';
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// End of the run of characters satisfying `pred` starting at `pos`.
size_t RunEnd(std::string_view s, size_t pos, bool (*pred)(char)) {
  while (pos < s.size() && pred(s[pos])) ++pos;
  return pos;
}

// True when the character before `pos` does not continue a word of `pred`.
bool BoundaryBefore(std::string_view s, size_t pos, bool (*pred)(char)) {
  return pos == 0 || !pred(s[pos - 1]);
}

// Placeholders and documentation examples, which are not secrets.
bool IsPlaceholder(std::string_view value) {
  const std::string lower = Lower(value);
  static constexpr std::string_view kMarkers[] = {
      "your_",        "your-",     "your ", "yourapi",  "yourtoken", "yoursecret",
      "yourpassword", "<",         ">",     "xxx",      "***",       "...",
      "changeme",     "change_me", "${",    "{{",       "example",   "placeholder",
      "insert",       "replace",   "dummy", "redacted", "here",      "[",
  };
  for (std::string_view marker : kMarkers) {
    if (lower.find(marker) != std::string::npos) return true;
  }
  // An environment variable name such as OPENAI_API_KEY.
  bool env_name = value.find('_') != std::string_view::npos;
  for (char c : value) {
    if (!((c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_')) env_name = false;
  }
  if (env_name) return true;
  // Too little variety to be random ("aaaaaaaa", "12121212").
  std::set<char> distinct(value.begin(), value.end());
  return distinct.size() < 5;
}

// A literal that could be a credential: long enough, one word, not a placeholder.
bool LooksLikeSecret(std::string_view value) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  if (value.size() < 8) return false;
  bool lower = false;
  bool upper = false;
  bool digit = false;
  bool other = false;
  for (char c : value) {
    if (std::isspace(static_cast<unsigned char>(c))) return false;  // prose, not a key
    lower |= c >= 'a' && c <= 'z';
    upper |= c >= 'A' && c <= 'Z';
    digit |= IsDigit(c);
    other |= !IsAlnum(c);
  }
  // One word of letters ("undefined", "SECRETKEY") or a number (an id, a
  // timestamp) is a sample value, not a generated credential.
  if (lower + upper + digit + other < 2) return false;
  // "$GITHUB_TOKEN": a reference to an environment variable.
  if (value.front() == '$') return false;
  return !IsPlaceholder(value);
}

// Normalized key name: lower case without '_', '-', ' ' and '.'.
std::string NormalizeKey(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '_' || c == '-' || c == ' ' || c == '.') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

enum class KeyClass { kPlain, kSensitive, kAuthorization };

KeyClass ClassifyKey(std::string_view key) {
  static const std::set<std::string, std::less<>> kSensitive = {
      "apikey",       "xapikey",         "apitoken",   "token",        "accesstoken",
      "xaccesstoken", "authtoken",       "xauthtoken", "bearertoken",  "refreshtoken",
      "password",     "passwd",          "secret",     "clientsecret", "apisecret",
      "secretkey",    "secretaccesskey", "privatekey", "bottoken",     "webhooksecret",
  };
  const std::string norm = NormalizeKey(key);
  if (norm == "authorization" || norm == "proxyauthorization") return KeyClass::kAuthorization;
  if (kSensitive.count(norm) != 0) return KeyClass::kSensitive;
  return KeyClass::kPlain;
}

// --- Token formats. Each appends the matches it finds in `s`. ---------------

void FindGitHub(std::string_view s, std::vector<Match>& out) {
  for (size_t pos = s.find("gh"); pos != std::string_view::npos; pos = s.find("gh", pos + 1)) {
    if (!BoundaryBefore(s, pos, IsBase64Url)) continue;
    if (pos + 4 <= s.size() && s[pos + 3] == '_' &&
        std::string_view("pousr").find(s[pos + 2]) != std::string_view::npos) {
      const size_t end = RunEnd(s, pos + 4, IsAlnum);
      if (end - (pos + 4) >= 36) out.push_back({"github-token", pos, end});
    }
  }
  static constexpr std::string_view kPat = "github_pat_";
  for (size_t pos = s.find(kPat); pos != std::string_view::npos; pos = s.find(kPat, pos + 1)) {
    if (!BoundaryBefore(s, pos, IsBase64Url)) continue;
    const size_t end = RunEnd(s, pos + kPat.size(), [](char c) { return IsAlnum(c) || c == '_'; });
    if (end - (pos + kPat.size()) >= 22) out.push_back({"github-token", pos, end});
  }
}

void FindSlack(std::string_view s, std::vector<Match>& out) {
  for (size_t pos = s.find("xox"); pos != std::string_view::npos; pos = s.find("xox", pos + 1)) {
    if (!BoundaryBefore(s, pos, IsBase64Url) || pos + 5 > s.size()) continue;
    if (std::string_view("bpars").find(s[pos + 3]) == std::string_view::npos || s[pos + 4] != '-') {
      continue;
    }
    const size_t end = RunEnd(s, pos + 5, [](char c) { return IsAlnum(c) || c == '-'; });
    const std::string_view body = s.substr(pos + 5, end - pos - 5);
    const bool has_digit = std::any_of(body.begin(), body.end(), IsDigit);
    if (body.size() >= 20 && has_digit) out.push_back({"slack-token", pos, end});
  }
  static constexpr std::string_view kHook = "hooks.slack.com/services/";
  for (size_t pos = s.find(kHook); pos != std::string_view::npos; pos = s.find(kHook, pos + 1)) {
    size_t p = pos + kHook.size();
    if (p >= s.size() || s[p] != 'T') continue;
    p = RunEnd(s, p, IsUpperAlnum);
    if (p >= s.size() || s[p] != '/' || p + 1 >= s.size() || s[p + 1] != 'B') continue;
    p = RunEnd(s, p + 1, IsUpperAlnum);
    if (p >= s.size() || s[p] != '/') continue;
    const size_t end = RunEnd(s, p + 1, IsAlnum);
    if (end - (p + 1) >= 16) out.push_back({"slack-webhook", pos, end});
  }
}

// <8-10 digits>:<35 base64url characters>, e.g. in api.telegram.org/bot<token>/.
void FindTelegram(std::string_view s, std::vector<Match>& out) {
  for (size_t colon = s.find(':'); colon != std::string_view::npos;
       colon = s.find(':', colon + 1)) {
    size_t begin = colon;
    while (begin > 0 && IsDigit(s[begin - 1])) --begin;
    const size_t digits = colon - begin;
    if (digits < 8 || digits > 10) continue;
    // The id may follow "bot" in a URL; otherwise it must start a word.
    const bool after_bot = begin >= 3 && s.substr(begin - 3, 3) == "bot";
    if (!after_bot && !BoundaryBefore(s, begin, IsAlnum)) continue;
    const size_t end = RunEnd(s, colon + 1, IsBase64Url);
    if (end - (colon + 1) == 35) out.push_back({"telegram-bot-token", begin, end});
  }
}

void FindAws(std::string_view s, std::vector<Match>& out) {
  for (size_t pos = s.find("IA"); pos != std::string_view::npos; pos = s.find("IA", pos + 1)) {
    if (pos < 2) continue;
    const size_t begin = pos - 2;
    const std::string_view prefix = s.substr(begin, 4);
    if (prefix != "AKIA" && prefix != "ASIA") continue;
    if (!BoundaryBefore(s, begin, IsAlnum)) continue;
    const size_t end = RunEnd(s, begin + 4, IsUpperAlnum);
    if (end - (begin + 4) == 16 && (end == s.size() || !IsAlnum(s[end]))) {
      out.push_back({"aws-access-key", begin, end});
    }
  }
}

void FindDiscord(std::string_view s, std::vector<Match>& out) {
  static constexpr std::string_view kPath = ".com/api/webhooks/";
  for (size_t pos = s.find(kPath); pos != std::string_view::npos; pos = s.find(kPath, pos + 1)) {
    size_t begin = std::string_view::npos;
    for (std::string_view host : {"discordapp", "discord"}) {
      if (pos >= host.size() && s.substr(pos - host.size(), host.size()) == host) {
        begin = pos - host.size();
        break;
      }
    }
    if (begin == std::string_view::npos) continue;
    size_t p = pos + kPath.size();
    const size_t id_end = RunEnd(s, p, IsDigit);
    if (id_end - p < 17 || id_end >= s.size() || s[id_end] != '/') continue;
    p = id_end + 1;
    const size_t end = RunEnd(s, p, IsBase64Url);
    if (end - p >= 60) out.push_back({"discord-webhook", begin, end});
  }
}

void FindJwt(std::string_view s, std::vector<Match>& out) {
  for (size_t pos = s.find("eyJ"); pos != std::string_view::npos; pos = s.find("eyJ", pos + 1)) {
    if (!BoundaryBefore(s, pos, IsBase64Url)) continue;
    const size_t header_end = RunEnd(s, pos, IsBase64Url);
    if (header_end - pos < 10 || header_end >= s.size() || s[header_end] != '.') continue;
    const size_t payload_end = RunEnd(s, header_end + 1, IsBase64Url);
    if (payload_end - header_end - 1 < 10 || payload_end >= s.size() || s[payload_end] != '.') {
      continue;
    }
    const size_t end = RunEnd(s, payload_end + 1, IsBase64Url);
    if (end - payload_end - 1 >= 16) out.push_back({"jwt", pos, end});
    pos = end - 1;
  }
}

// -----BEGIN [RSA |EC |OPENSSH |ENCRYPTED ]PRIVATE KEY----- with a real body.
void FindPem(std::string_view s, std::vector<Match>& out) {
  static constexpr std::string_view kBegin = "-----BEGIN ";
  static constexpr std::string_view kKey = "PRIVATE KEY-----";
  for (size_t pos = s.find(kBegin); pos != std::string_view::npos; pos = s.find(kBegin, pos + 1)) {
    const size_t key = s.find(kKey, pos);
    if (key == std::string_view::npos || key - pos > 40) continue;
    const size_t body_begin = key + kKey.size();
    size_t end_marker = s.find("-----END ", body_begin);
    size_t end = s.size();
    if (end_marker != std::string_view::npos) {
      const size_t close = s.find(kKey, end_marker);
      end = close == std::string_view::npos ? s.size() : close + kKey.size();
    } else {
      end_marker = s.size();
    }
    // Count key material, skipping escaped newlines written as "\n" in code.
    size_t material = 0;
    for (size_t i = body_begin; i < end_marker; ++i) {
      if (IsAlnum(s[i]) || s[i] == '+' || s[i] == '/') ++material;
    }
    if (material >= 64) out.push_back({"pem-private-key", pos, end});
    pos = end - 1;
  }
}

// "Bearer <literal token>" in free text such as code or an expression.
void FindBearer(std::string_view s, std::vector<Match>& out) {
  static constexpr std::string_view kBearer = "Bearer ";
  for (size_t pos = s.find(kBearer); pos != std::string_view::npos;
       pos = s.find(kBearer, pos + 1)) {
    const size_t begin = pos + kBearer.size();
    const size_t end = RunEnd(s, begin, IsTokenChar);
    if (end - begin >= 20) out.push_back({"authorization-header", begin, end});
  }
}

// Token formats anywhere in `s`, without placeholders, in text order.
std::vector<Match> FindTokens(std::string_view s) {
  std::vector<Match> found;
  FindGitHub(s, found);
  FindSlack(s, found);
  FindTelegram(s, found);
  FindAws(s, found);
  FindDiscord(s, found);
  FindJwt(s, found);
  FindPem(s, found);
  FindBearer(s, found);
  std::vector<Match> out;
  for (const Match& m : found) {
    if (m.kind != "pem-private-key" && IsPlaceholder(s.substr(m.begin, m.end - m.begin))) continue;
    out.push_back(m);
  }
  std::sort(out.begin(), out.end(),
            [](const Match& a, const Match& b) { return a.begin < b.begin; });
  return out;
}

// The literal text of an expression: '=' and every {{ ... }} blanked out, so
// offsets stay those of the original string.
std::string ExpressionLiteralText(std::string_view s) {
  std::string out(s);
  out[0] = ' ';
  size_t pos = 0;
  while ((pos = out.find("{{", pos)) != std::string::npos) {
    const size_t close = out.find("}}", pos + 2);
    const size_t end = close == std::string::npos ? out.size() : close + 2;
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(pos),
              out.begin() + static_cast<std::ptrdiff_t>(end), ' ');
    pos = end;
  }
  return out;
}

// Trimmed [begin, end) of `value`.
std::pair<size_t, size_t> Trimmed(std::string_view value) {
  size_t begin = 0;
  size_t end = value.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(value[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(value[end - 1]))) --end;
  return {begin, end};
}

// Every secret in the string `value` stored under a key of class `key_class`.
std::vector<Match> ScanString(std::string_view value, KeyClass key_class) {
  if (value.empty()) return {};
  if (value.front() == '=') return FindTokens(ExpressionLiteralText(value));
  std::vector<Match> matches = FindTokens(value);
  if (!matches.empty()) return matches;
  const auto [begin, end] = Trimmed(value);
  const std::string_view trimmed = value.substr(begin, end - begin);
  if (key_class == KeyClass::kAuthorization) {
    // "<scheme> <credential>" or a bare credential.
    size_t cred = begin;
    const size_t space = trimmed.find(' ');
    if (space != std::string_view::npos) cred = begin + space + 1;
    while (cred < end && value[cred] == ' ') ++cred;
    if (LooksLikeSecret(value.substr(cred, end - cred))) {
      return {Match{"authorization-header", cred, end}};
    }
  } else if (key_class == KeyClass::kSensitive && LooksLikeSecret(trimmed)) {
    return {Match{"sensitive-key", begin, end}};
  }
  return {};
}

bool IsIdentifier(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(),
                     [](char c) { return IsAlnum(c) || c == '_' || c == '$' || c == '-'; });
}

std::string ChildPath(const std::string& parent, const std::string& key) {
  std::string prefix = parent;
  if (IsIdentifier(key)) return prefix.empty() ? key : prefix + "." + key;
  return prefix + "[" + Json(key).dump(-1, ' ', false, Json::error_handler_t::replace) + "]";
}

// Calls `visit(path, value, key_class)` for every string where secrets may
// live, in document order.
using StringVisitor = std::function<void(const std::string&, Json&, KeyClass)>;

void WalkValue(Json& value, const std::string& path, KeyClass key_class,
               const StringVisitor& visit) {
  if (value.is_string()) {
    visit(path, value, key_class);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      WalkValue(value[i], path + "[" + std::to_string(i) + "]", key_class, visit);
    }
  } else if (value.is_object()) {
    // n8n name/value pairs: the name classifies the value.
    KeyClass pair_class = KeyClass::kPlain;
    auto name = value.find("name");
    if (name != value.end() && name->is_string() && value.contains("value")) {
      pair_class = ClassifyKey(name->get_ref<const std::string&>());
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
      KeyClass child_class = ClassifyKey(it.key());
      if (it.key() == "value" && pair_class != KeyClass::kPlain) child_class = pair_class;
      WalkValue(it.value(), ChildPath(path, it.key()), child_class, visit);
    }
  }
}

void WalkWorkflow(Json& workflow, const StringVisitor& visit) {
  auto nodes = workflow.find("nodes");
  if (nodes != workflow.end() && nodes->is_array()) {
    for (size_t i = 0; i < nodes->size(); ++i) {
      Json& node = (*nodes)[i];
      if (!node.is_object()) continue;
      auto params = node.find("parameters");
      if (params == node.end()) continue;
      WalkValue(*params, "nodes[" + std::to_string(i) + "].parameters", KeyClass::kPlain, visit);
    }
  }
  for (const char* top : {"pinData", "staticData"}) {
    auto it = workflow.find(top);
    if (it != workflow.end()) WalkValue(*it, top, KeyClass::kPlain, visit);
  }
}

// `what` names the document in the error; the text itself is never quoted.
Result<Json> ParseJson(std::string_view text, std::string_view what) {
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Corruption(std::string(what) + " is not valid JSON");
  return doc;
}

Result<Json> ParseWorkflow(std::string_view text) {
  FS_TRY_ASSIGN(Json doc, ParseJson(text, "workflow"));
  if (!doc.is_object()) return Status::InvalidArgument("workflow must be a JSON object");
  return doc;
}

// Appends the findings of the `matches` of one location: one per kind, in
// order of first occurrence, with a hint that never holds the value.
void AppendFindings(const std::string& path, const std::vector<Match>& matches,
                    std::vector<SecretFinding>* findings) {
  std::vector<std::string_view> kinds;
  for (const Match& m : matches) {
    if (std::find(kinds.begin(), kinds.end(), m.kind) == kinds.end()) kinds.push_back(m.kind);
  }
  for (std::string_view kind : kinds) {
    size_t count = 0;
    size_t first_length = 0;
    for (const Match& m : matches) {
      if (m.kind != kind) continue;
      if (count++ == 0) first_length = m.end - m.begin;
    }
    std::string hint = std::to_string(first_length) + " characters";
    if (count > 1) hint = std::to_string(count) + " occurrences, first " + hint;
    findings->push_back({path, std::string(kind), std::move(hint)});
  }
}

// Appends `text` to `out` with each of `matches` (sorted by begin) replaced
// by `placeholder`; a match overlapping one already replaced is skipped.
// With `keep_line_breaks` the line breaks inside a match follow its
// placeholder.
void AppendRedacted(std::string_view text, const std::vector<Match>& matches,
                    std::string_view placeholder, bool keep_line_breaks, std::string* out) {
  auto line_breaks = [&](size_t begin, size_t end) {
    if (!keep_line_breaks) return;
    for (size_t i = begin; i < end; ++i) {
      if (text[i] == '\n' || text[i] == '\r') out->push_back(text[i]);
    }
  };
  size_t pos = 0;
  for (const Match& m : matches) {
    if (m.begin < pos) {  // overlaps the last placeholder, which now covers it too
      if (m.end > pos) {
        line_breaks(pos, m.end);
        pos = m.end;
      }
      continue;
    }
    out->append(text.substr(pos, m.begin - pos));
    out->append(placeholder);
    line_breaks(m.begin, m.end);
    pos = m.end;
  }
  out->append(text.substr(pos));
}

// The redacted form of the string `text` stored under a key of class
// `key_class`: its tokens replaced, or the whole string when the scanner no
// longer sees a match there.
std::string RedactString(const std::string& text, KeyClass key_class,
                         std::string_view placeholder) {
  const std::vector<Match> matches = ScanString(text, key_class);
  if (matches.empty()) return std::string(placeholder);
  std::string out;
  AppendRedacted(text, matches, placeholder, /*keep_line_breaks=*/false, &out);
  return out;
}

std::string FilePrefix(std::string_view file) { return std::string(file) + ":"; }

// The tokens of `text`, each with the 1-based line of its first character.
std::vector<std::pair<size_t, Match>> TextMatches(std::string_view text) {
  std::vector<std::pair<size_t, Match>> out;
  size_t line = 1;
  size_t counted = 0;  // bytes before this offset are counted in `line`
  for (const Match& m : FindTokens(text)) {
    line +=
        static_cast<size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(counted),
                                       text.begin() + static_cast<std::ptrdiff_t>(m.begin), '\n'));
    counted = m.begin;
    out.emplace_back(line, m);
  }
  return out;
}

}  // namespace

Result<std::vector<SecretFinding>> ScanWorkflowForSecrets(std::string_view workflow_json,
                                                          const ScanOptions& options) {
  FS_TRY_ASSIGN(Json doc, ParseWorkflow(workflow_json));
  std::vector<SecretFinding> findings;
  WalkWorkflow(doc, [&](const std::string& path, Json& value, KeyClass key_class) {
    if (options.allowed_paths.count(path) != 0) return;
    AppendFindings(path, ScanString(value.get_ref<const std::string&>(), key_class), &findings);
  });
  return findings;
}

Result<std::string> RedactSecrets(std::string_view workflow_json,
                                  const std::vector<SecretFinding>& findings,
                                  std::string_view placeholder) {
  FS_TRY_ASSIGN(Json doc, ParseWorkflow(workflow_json));
  std::set<std::string, std::less<>> paths;
  for (const SecretFinding& f : findings) paths.insert(f.json_path);
  WalkWorkflow(doc, [&](const std::string& path, Json& value, KeyClass key_class) {
    if (paths.count(path) == 0) return;
    value = RedactString(value.get<std::string>(), key_class, placeholder);
  });
  return doc.dump(2, ' ', false, Json::error_handler_t::replace);
}

Result<std::vector<SecretFinding>> ScanJsonForSecrets(std::string_view json, std::string_view file,
                                                      const ScanOptions& options) {
  FS_TRY_ASSIGN(Json doc, ParseJson(json, file));
  const std::string prefix = FilePrefix(file);
  std::vector<SecretFinding> findings;
  WalkValue(doc, "", KeyClass::kPlain,
            [&](const std::string& path, Json& value, KeyClass key_class) {
              const std::string full_path = prefix + path;
              if (options.allowed_paths.count(full_path) != 0) return;
              AppendFindings(full_path, ScanString(value.get_ref<const std::string&>(), key_class),
                             &findings);
            });
  return findings;
}

Result<std::string> RedactJsonSecrets(std::string_view json,
                                      const std::vector<SecretFinding>& findings,
                                      std::string_view file, std::string_view placeholder) {
  FS_TRY_ASSIGN(Json doc, ParseJson(json, file));
  const std::string prefix = FilePrefix(file);
  std::set<std::string, std::less<>> paths;
  for (const SecretFinding& f : findings) {
    if (f.json_path.starts_with(prefix)) paths.insert(f.json_path.substr(prefix.size()));
  }
  WalkValue(doc, "", KeyClass::kPlain,
            [&](const std::string& path, Json& value, KeyClass key_class) {
              if (paths.count(path) == 0) return;
              value = RedactString(value.get<std::string>(), key_class, placeholder);
            });
  return doc.dump(2, ' ', false, Json::error_handler_t::replace);
}

std::vector<SecretFinding> ScanTextForSecrets(std::string_view text, std::string_view file,
                                              const ScanOptions& options) {
  const std::string prefix = FilePrefix(file);
  std::vector<SecretFinding> findings;
  const std::vector<std::pair<size_t, Match>> matches = TextMatches(text);
  for (size_t i = 0; i < matches.size();) {
    const size_t line = matches[i].first;
    std::vector<Match> on_line;
    while (i < matches.size() && matches[i].first == line) on_line.push_back(matches[i++].second);
    const std::string path = prefix + std::to_string(line);
    if (options.allowed_paths.count(path) == 0) AppendFindings(path, on_line, &findings);
  }
  return findings;
}

std::string RedactTextSecrets(std::string_view text, const std::vector<SecretFinding>& findings,
                              std::string_view file, std::string_view placeholder) {
  const std::string prefix = FilePrefix(file);
  std::set<std::string, std::less<>> paths;
  for (const SecretFinding& f : findings) {
    if (f.json_path.starts_with(prefix)) paths.insert(f.json_path.substr(prefix.size()));
  }
  std::vector<Match> chosen;
  for (const auto& [line, m] : TextMatches(text)) {
    if (paths.count(std::to_string(line)) != 0) chosen.push_back(m);
  }
  std::string out;
  out.reserve(text.size());
  AppendRedacted(text, chosen, placeholder, /*keep_line_breaks=*/true, &out);
  return out;
}

}  // namespace flowsync
