#include "phase/query.h"

#include <utility>

namespace flowsync::phase {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's strconv.Quote for the short ASCII snippets of escape errors.
std::string GoQuote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  out += '"';
  return out;
}

}  // namespace

const std::string& QueryValues::Get(std::string_view key) const {
  static const std::string kEmpty;
  auto it = values_.find(key);
  if (it == values_.end() || it->second.empty()) return kEmpty;
  return it->second.front();
}

const std::vector<std::string>& QueryValues::All(std::string_view key) const {
  static const std::vector<std::string> kNone;
  auto it = values_.find(key);
  return it == values_.end() ? kNone : it->second;
}

bool QueryValues::Has(std::string_view key) const { return values_.find(key) != values_.end(); }

void QueryValues::Add(std::string key, std::string value) {
  values_[std::move(key)].push_back(std::move(value));
}

Result<std::string> QueryUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || HexValue(text[i + 1]) < 0 || HexValue(text[i + 2]) < 0) {
        return Status::InvalidArgument("invalid URL escape " + GoQuote(text.substr(i, 3)));
      }
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 3;
    } else {
      out += c == '+' ? ' ' : c;
      ++i;
    }
  }
  return out;
}

Status ParseQuery(std::string_view query, QueryValues* out) {
  Status error;
  while (!query.empty()) {
    std::string_view pair;
    const size_t amp = query.find('&');
    if (amp == std::string_view::npos) {
      pair = query;
      query = {};
    } else {
      pair = query.substr(0, amp);
      query.remove_prefix(amp + 1);
    }
    if (pair.find(';') != std::string_view::npos) {
      error = Status::InvalidArgument("invalid semicolon separator in query");
      continue;
    }
    if (pair.empty()) continue;
    std::string_view key = pair;
    std::string_view value;
    if (const size_t eq = pair.find('='); eq != std::string_view::npos) {
      key = pair.substr(0, eq);
      value = pair.substr(eq + 1);
    }
    Result<std::string> k = QueryUnescape(key);
    if (!k.ok()) {
      if (error.ok()) error = k.status();
      continue;
    }
    Result<std::string> v = QueryUnescape(value);
    if (!v.ok()) {
      if (error.ok()) error = v.status();
      continue;
    }
    out->Add(std::move(k).value(), std::move(v).value());
  }
  return error;
}

}  // namespace flowsync::phase
