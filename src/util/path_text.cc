#include "util/path_text.h"

#include "util/utf8.h"

namespace flowsync {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Whether `s` at `i` holds "\xHH" with two lowercase hex digits.
bool IsEscapeAt(std::string_view s, size_t i) {
  return i + 3 < s.size() && s[i] == '\\' && s[i + 1] == 'x' && HexValue(s[i + 2]) >= 0 &&
         HexValue(s[i + 3]) >= 0;
}

void AppendEscape(unsigned char byte, std::string& out) {
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 0xf];
}

}  // namespace

std::string PathToText(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  size_t i = 0;
  while (i < path.size()) {
    const size_t len = Utf8SequenceLength(path, i);
    if (len == 0) {
      AppendEscape(static_cast<unsigned char>(path[i]), out);
      ++i;
    } else if (IsEscapeAt(path, i)) {
      AppendEscape('\\', out);
      ++i;
    } else {
      out.append(path.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string TextToPath(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (IsEscapeAt(text, i)) {
      out += static_cast<char>(HexValue(text[i + 2]) * 16 + HexValue(text[i + 3]));
      i += 4;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string ValidUtf8(std::string text) {
  if (FindInvalidUtf8(text) == std::string::npos) return text;
  return PathToText(text);
}

}  // namespace flowsync
