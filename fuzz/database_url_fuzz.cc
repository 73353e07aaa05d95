// Database URLs and connection strings: classified (libpq's own parser for
// PostgreSQL forms) and masked. Masking hides the password libpq reads
// from a connection string it accepts, and a word without '=' in front of a
// key=value string (which libpq refuses, and the error quotes) hides as much.
#include <libpq-fe.h>

#include <string>

#include "flowsync/database_url.h"
#include "fuzz_check.h"

namespace {

size_t Count(std::string_view text, std::string_view part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// The password libpq reads from `text`, or "" (none, or libpq refuses it).
std::string LibpqPassword(const std::string& text) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
  PQfreemem(error);
  std::string password;
  for (PQconninfoOption* o = options; o && o->keyword; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val) password = o->val;
  }
  PQconninfoFree(options);
  return password;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flowsync;
  const std::string_view text = fuzz::AsText(data, size);
  (void)ParseDatabaseUrl(text);
  const std::string masked = MaskDatabaseUrl(text);
  if (text.find('\0') != std::string_view::npos) return 0;  // libpq reads C strings
  const std::string password = LibpqPassword(std::string(text));
  if (!password.empty()) {
    const std::string read_back = LibpqPassword(masked);
    FUZZ_CHECK(read_back.empty() || read_back == "***",
               "libpq reads a password in the masked text");
  }
  // Without escapes ('%' in URLs, '\' in key=value strings) the password is
  // written as libpq reads it, so each place it is written counts once; with
  // them the same letters may stand elsewhere (a host) and hide nothing.
  if (password.size() >= 3 && password.find('*') == std::string::npos &&
      text.find_first_of("%\\") == std::string_view::npos && Count(text, password) > 0) {
    FUZZ_CHECK(Count(masked, password) < Count(text, password), "a password libpq reads is shown");
  }
  std::string_view inner = text;  // what follows any n8n+ prefixes
  while (inner.substr(0, 4) == "n8n+") inner.remove_prefix(4);
  const size_t first = inner.find_first_not_of(" \t\n\r\f\v");
  if (text.find("://") == std::string_view::npos && inner.find('=') != std::string_view::npos &&
      first != std::string_view::npos && inner[first] != '=' && inner.substr(0, 7) != "sqlite:" &&
      inner.substr(0, 8) != "sqlite3:") {
    FUZZ_CHECK(MaskDatabaseUrl("x " + std::string(text)) == "x " + masked,
               "a word in front of a connection string shows what it hides");
  }
  return 0;
}
