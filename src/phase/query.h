// URL query strings exactly as Go's net/url reads them (url.ParseQuery and
// url.QueryUnescape), because flowlord phase rules and task meta are such
// strings and must mean the same thing here as there.
//
// Thread-safety: pure functions and values.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "flowsync/status.h"

namespace flowsync::phase {

// Go's url.Values: every value of a key, in the order they appeared. Keys
// are case-sensitive.
class QueryValues {
 public:
  // The first value of `key`, or "" (Go's Values.Get).
  const std::string& Get(std::string_view key) const;
  // Every value of `key`, in order; empty when absent.
  const std::vector<std::string>& All(std::string_view key) const;
  bool Has(std::string_view key) const;
  void Add(std::string key, std::string value);
  bool empty() const { return values_.empty(); }
  const std::map<std::string, std::vector<std::string>, std::less<>>& map() const {
    return values_;
  }
  bool operator==(const QueryValues&) const = default;

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

// Go's url.QueryUnescape: '+' becomes a space and %XX a byte. A '%' not
// followed by two hex digits is InvalidArgument,
// `invalid URL escape "%zz"` (Go's text).
Result<std::string> QueryUnescape(std::string_view text);

// Go's url.ParseQuery (Go 1.17 and later): pairs separated by '&', key and
// value split at the first '=', both unescaped; an empty pair is skipped; a
// pair holding ';' is skipped with the error
// "invalid semicolon separator in query"; a pair with a bad escape is skipped
// with the unescape error. As in Go, every pair that parsed is added to
// `out` even when the result is an error, and the error returned is the last
// semicolon error, or else the first escape error.
// REQUIRES: out != nullptr.
Status ParseQuery(std::string_view query, QueryValues* out);

}  // namespace flowsync::phase
