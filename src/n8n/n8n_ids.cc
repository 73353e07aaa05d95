#include "n8n/n8n_ids.h"

#include <array>
#include <cstdint>

#include "sync/identity.h"
#include "util/uuid.h"

namespace flowsync::n8n {
namespace {

constexpr std::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool IsN8nId(std::string_view id) {
  if (id.empty() || id.size() > 36) return false;
  for (char c : id) {
    if (!IsAlnum(c)) return false;
  }
  return true;
}

std::string N8nIdFromUuid(std::string_view uuid) {
  // The 32 hex digits as 16 bytes, read as a big number in base 62.
  std::array<uint8_t, 16> bytes{};
  size_t n = 0;
  for (size_t i = 0; i + 1 < uuid.size() && n < bytes.size(); ++i) {
    int hi = HexValue(uuid[i]);
    if (hi < 0) continue;
    int lo = HexValue(uuid[i + 1]);
    bytes[n++] = static_cast<uint8_t>(hi * 16 + lo);
    ++i;
  }
  std::string id;
  for (int digit = 0; digit < 16; ++digit) {
    uint32_t rest = 0;
    for (uint8_t& b : bytes) {
      uint32_t v = (rest << 8) | b;
      b = static_cast<uint8_t>(v / 62);
      rest = v % 62;
    }
    id += kAlphabet[rest];
  }
  bool letter = false;
  for (char c : id) letter = letter || c > '9';
  if (!letter) id[0] = static_cast<char>('a' + (id[0] - '0'));
  return id;
}

std::string N8nTagId(std::string_view name) {
  return N8nIdFromUuid(UuidV5(kWorkflowIdNamespace, "n8n-tag\n" + std::string(name)));
}

}  // namespace flowsync::n8n
