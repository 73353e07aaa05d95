// Classification of database settings, and their masked form for messages.
#include "flowsync/database_url.h"

#include <libpq-fe.h>

#include <optional>
#include <vector>

namespace flowsync {
namespace {

constexpr std::string_view kMask = "***";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsPostgresUrl(std::string_view text) {
  return StartsWith(text, "postgresql://") || StartsWith(text, "postgres://");
}

// The scheme of "SCHEME://...", or empty.
std::string_view UrlScheme(std::string_view text) {
  size_t colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0) return {};
  std::string_view scheme = text.substr(0, colon);
  for (char c : scheme) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.';
    if (!ok) return {};
  }
  return scheme;
}

// %XX-decoding as libpq does it; nullopt when malformed.
std::optional<std::string> PercentDecode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 1 < s.size() ? hex(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? hex(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// A span [begin, end) of the text.
struct Span {
  size_t begin = 0;
  size_t end = 0;
};

// One `key = value` pair of a libpq connection string.
struct ConninfoPair {
  std::string key;
  Span whole;  // from the key to the end of the value (closing quote included)
  Span value;  // the value as written (quotes included)
};

// Lexes a libpq key=value connection string as libpq's conninfo_parse does:
// `key = value` pairs separated by white space, values bare or in single
// quotes, with backslash escapes in both. Returns the pairs read before the
// first error; a value whose quote is never closed runs to the end.
// `complete` says whether the whole text was read. With `skip_bad_words`, a
// word not followed by '=' is passed over and the pairs after it are read
// too (what masking needs: libpq refuses such a text, and the error quotes
// it).
std::vector<ConninfoPair> LexConninfo(std::string_view text, bool* complete,
                                      bool skip_bad_words = false) {
  std::vector<ConninfoPair> pairs;
  *complete = false;
  size_t i = 0;
  const size_t n = text.size();
  while (true) {
    while (i < n && IsSpace(text[i])) ++i;
    if (i == n) break;
    ConninfoPair pair;
    pair.whole.begin = i;
    while (i < n && text[i] != '=' && !IsSpace(text[i])) ++i;
    pair.key = std::string(text.substr(pair.whole.begin, i - pair.whole.begin));
    while (i < n && IsSpace(text[i])) ++i;
    if (i == n || text[i] != '=') {  // missing '='
      if (skip_bad_words) continue;
      return pairs;
    }
    ++i;
    while (i < n && IsSpace(text[i])) ++i;
    pair.value.begin = i;
    bool closed = true;
    if (i < n && text[i] == '\'') {
      closed = false;
      for (++i; i < n; ++i) {
        if (text[i] == '\\') {
          ++i;
        } else if (text[i] == '\'') {
          ++i;
          closed = true;
          break;
        }
      }
      i = std::min(i, n);
    } else {
      for (; i < n && !IsSpace(text[i]); ++i) {
        if (text[i] == '\\' && i + 1 < n) ++i;
      }
    }
    pair.value.end = i;
    pair.whole.end = i;
    pairs.push_back(std::move(pair));
    if (!closed) return pairs;
  }
  *complete = true;
  return pairs;
}

// The spans of a URL that hold secrets: the password of the user
// information, and the value of every `password` query parameter. The user
// information ends at the first '@' before any '/', as libpq reads it.
std::vector<Span> UrlSecrets(std::string_view text) {
  std::vector<Span> secrets;
  size_t start = text.find("://") + 3;
  size_t p = start;
  while (p < text.size() && text[p] != '@' && text[p] != '/') ++p;
  size_t after_user = start;
  if (p < text.size() && text[p] == '@') {
    size_t colon = text.find(':', start);
    if (colon < p && colon + 1 < p) secrets.push_back({colon + 1, p});
    after_user = p + 1;
  }
  // The hosts end at the path or the query; a '?' or '/' inside an IPv6
  // host in brackets (a host that starts with '[') ends nothing, as libpq
  // reads it.
  size_t hosts_end = after_user;
  bool host_start = true;
  while (hosts_end < text.size() && text[hosts_end] != '/' && text[hosts_end] != '?') {
    if (host_start && text[hosts_end] == '[') {
      const size_t close = text.find(']', hosts_end);
      if (close == std::string_view::npos) break;
      hosts_end = close;
    }
    host_start = text[hosts_end] == ',';
    ++hosts_end;
  }
  size_t q = text.find('?', hosts_end);
  if (q == std::string_view::npos) return secrets;
  size_t param = q + 1;
  while (param <= text.size()) {
    size_t amp = text.find('&', param);
    if (amp == std::string_view::npos) amp = text.size();
    std::string_view pair = text.substr(param, amp - param);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && eq + 1 < pair.size()) {
      std::string_view key = pair.substr(0, eq);
      std::optional<std::string> decoded = PercentDecode(key);
      if (key == "password" || (decoded && *decoded == "password")) {
        secrets.push_back({param + eq + 1, amp});
      }
    }
    param = amp + 1;
  }
  return secrets;
}

constexpr std::string_view kN8nPrefix = "n8n+";

// The spans of `text` that hold secrets, whatever its form.
std::vector<Span> Secrets(std::string_view text) {
  if (StartsWith(text, kN8nPrefix)) {
    std::vector<Span> spans = Secrets(text.substr(kN8nPrefix.size()));
    for (Span& s : spans) {
      s.begin += kN8nPrefix.size();
      s.end += kN8nPrefix.size();
    }
    return spans;
  }
  if (StartsWith(text, "sqlite:") || StartsWith(text, "sqlite3:")) return {};
  if (!UrlScheme(text).empty()) return UrlSecrets(text);
  if (text.find('=') == std::string_view::npos) return {};
  bool complete = false;
  std::vector<Span> secrets;
  for (const ConninfoPair& pair : LexConninfo(text, &complete, /*skip_bad_words=*/true)) {
    // A word in front ("x n8n+password=...") glues the n8n+ prefix to the
    // first key; the value is the password all the same.
    std::string_view key = pair.key;
    while (StartsWith(key, kN8nPrefix)) key.remove_prefix(kN8nPrefix.size());
    if (key == "password" && pair.value.end > pair.value.begin) {
      secrets.push_back(pair.value);
    }
  }
  return secrets;
}

// `text` with `secrets` (ascending, disjoint) replaced by the mask.
std::string Replace(std::string_view text, const std::vector<Span>& secrets) {
  std::string out;
  size_t at = 0;
  for (const Span& s : secrets) {
    out.append(text.substr(at, s.begin - at));
    out.append(kMask);
    at = s.end;
  }
  out.append(text.substr(at));
  return out;
}

// libpq's message about `text`, which may quote the text or a part of it
// (a bad percent-encoded password, say): the text is shown masked, and no
// quoted part keeps a secret.
std::string ScrubMessage(std::string message, std::string_view text) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  std::vector<Span> spans = Secrets(text);
  if (spans.empty()) return message;
  std::string masked = Replace(text, spans);
  auto hide = [&](std::string quoted) {
    if (quoted == text) return masked;
    for (const Span& s : spans) {
      std::string_view secret = text.substr(s.begin, s.end - s.begin);
      for (size_t at = quoted.find(secret); at != std::string::npos;
           at = quoted.find(secret, at + kMask.size())) {
        quoted.replace(at, secret.size(), kMask);
      }
    }
    return quoted;
  };
  std::string out;
  std::string quoted;
  bool in_quotes = false;
  for (char c : message) {
    if (c == '"') {
      if (in_quotes) out += hide(std::move(quoted));
      quoted.clear();
      in_quotes = !in_quotes;
      out += c;
    } else {
      (in_quotes ? quoted : out) += c;
    }
  }
  if (in_quotes) out += hide(std::move(quoted));
  return out;
}

Status BadUrl(std::string_view text, std::string_view problem) {
  return Status::InvalidArgument("database URL '" + MaskDatabaseUrl(text) +
                                 "': " + std::string(problem));
}

// A lower-case SQL identifier, as flowsync names schemas.
bool ValidSchema(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

Status CheckSchema(std::string_view text, const std::string& schema) {
  if (ValidSchema(schema)) return Status::OK();
  return BadUrl(text,
                "schema '" + schema + "' must be a lower-case SQL identifier ([a-z_][a-z0-9_]*)");
}

// Splits flowsync's `schema` parameter off a PostgreSQL URL or connection
// string into url->schema, the rest into url->conninfo.
Status SplitSchema(std::string_view text, DatabaseUrl* url) {
  url->schema = "public";
  if (IsPostgresUrl(text)) {
    size_t q = text.find('?');
    if (q == std::string_view::npos) {
      url->conninfo = std::string(text);
      return Status::OK();
    }
    std::string kept;
    size_t start = q + 1;
    while (start <= text.size()) {
      size_t amp = text.find('&', start);
      if (amp == std::string_view::npos) amp = text.size();
      std::string_view pair = text.substr(start, amp - start);
      if (StartsWith(pair, "schema=")) {
        url->schema = std::string(pair.substr(7));
        FS_TRY(CheckSchema(text, url->schema));
      } else if (!pair.empty()) {
        kept += (kept.empty() ? "" : "&") + std::string(pair);
      }
      start = amp + 1;
    }
    url->conninfo = std::string(text.substr(0, q)) + (kept.empty() ? "" : "?" + kept);
    return Status::OK();
  }
  bool complete = false;
  std::vector<ConninfoPair> pairs = LexConninfo(text, &complete);
  url->conninfo = std::string(text);
  if (!complete) return Status::OK();  // libpq says what is wrong
  std::string kept;
  size_t at = 0;
  for (const ConninfoPair& pair : pairs) {
    if (pair.key != "schema") continue;
    kept.append(text.substr(at, pair.whole.begin - at));
    at = pair.whole.end;
    bool quoted = pair.value.end > pair.value.begin && text[pair.value.begin] == '\'';
    url->schema = std::string(text.substr(pair.value.begin + (quoted ? 1 : 0),
                                          pair.value.end - pair.value.begin - (quoted ? 2 : 0)));
    FS_TRY(CheckSchema(text, url->schema));
  }
  kept.append(text.substr(at));
  url->conninfo = std::move(kept);
  return Status::OK();
}

// libpq's verdict on a connection string or URL.
Status CheckConninfo(std::string_view text, const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options != nullptr) {
    PQconninfoFree(options);
    return Status::OK();
  }
  std::string message = error != nullptr ? error : "out of memory";
  if (error != nullptr) PQfreemem(error);
  message = ScrubMessage(std::move(message), text);
  if (!IsPostgresUrl(text)) {
    message += " (a SQLite file whose name holds '=' is written sqlite:PATH)";
  }
  return BadUrl(text, message);
}

}  // namespace

std::string MaskDatabaseUrl(std::string_view text) { return Replace(text, Secrets(text)); }

Result<DatabaseUrl> ParseDatabaseUrl(std::string_view text) {
  if (StartsWith(text, kN8nPrefix)) {
    std::string_view rest = text.substr(kN8nPrefix.size());
    if (StartsWith(rest, kN8nPrefix) || rest.empty()) {
      return BadUrl(text,
                    "n8n+ is followed by sqlite:PATH, postgresql://... or a libpq "
                    "connection string");
    }
    Result<DatabaseUrl> inner = ParseDatabaseUrl(rest);
    if (!inner.ok()) {
      return Status(inner.status().code(),
                    "database URL '" + MaskDatabaseUrl(text) + "'" +
                        inner.status().message().substr(inner.status().message().find("':") + 1));
    }
    inner->url = std::string(text);
    inner->n8n = true;
    return inner;
  }
  DatabaseUrl url;
  url.url = std::string(text);
  if (text.empty()) return Status::InvalidArgument("empty database URL");
  for (std::string_view scheme : {"sqlite3:", "sqlite:"}) {
    if (StartsWith(text, scheme)) {
      std::string_view rest = text.substr(scheme.size());
      // sqlite:///abs/path and sqlite://rel/path, as dbmate reads them.
      if (StartsWith(rest, "//")) rest.remove_prefix(2);
      if (rest.empty()) return BadUrl(text, "names no file");
      url.path = std::string(rest);
      return url;
    }
  }
  std::string_view scheme = UrlScheme(text);
  if (!scheme.empty() && !IsPostgresUrl(text)) {
    return BadUrl(text, "unsupported scheme '" + std::string(scheme) +
                            "' (use sqlite:PATH, sqlite:///ABS/PATH, a file path, "
                            "postgresql://... or a libpq connection string)");
  }
  if (IsPostgresUrl(text) || text.find('=') != std::string_view::npos) {
    url.kind = DatabaseUrl::Kind::kPostgres;
    FS_TRY(SplitSchema(text, &url));
    FS_TRY(CheckConninfo(text, url.conninfo));
    return url;
  }
  if (StartsWith(text, "postgres:") || StartsWith(text, "postgresql:")) {
    return BadUrl(text,
                  "a PostgreSQL URL starts with postgresql:// (for a SQLite file of "
                  "that name, write sqlite:PATH)");
  }
  url.path = std::string(text);
  return url;
}

}  // namespace flowsync
