#include "serve/router.h"

namespace flowsync::serve {
namespace {

// The next '/'-separated segment of `s` (after a leading '/'), advancing it.
std::string_view NextSegment(std::string_view& s) {
  if (!s.empty() && s.front() == '/') s.remove_prefix(1);
  size_t end = s.find('/');
  std::string_view seg = s.substr(0, end);
  s = end == std::string_view::npos ? std::string_view() : s.substr(end);
  return seg;
}

}  // namespace

bool MatchRoutePattern(std::string_view pattern, std::string_view path, PathParams& params) {
  if (path.empty() || path.front() != '/') return false;
  if (pattern == "/") return path == "/";
  while (!pattern.empty()) {
    std::string_view want = NextSegment(pattern);
    if (want.size() >= 3 && want.front() == '{' && want.substr(want.size() - 2) == "*}") {
      std::string_view rest = path;
      if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
      if (rest.empty()) return false;
      params[std::string(want.substr(1, want.size() - 3))] = std::string(rest);
      return true;
    }
    if (path.empty()) return false;
    std::string_view got = NextSegment(path);
    if (want.size() >= 2 && want.front() == '{' && want.back() == '}') {
      if (got.empty()) return false;
      params[std::string(want.substr(1, want.size() - 2))] = std::string(got);
    } else if (want != got) {
      return false;
    }
  }
  return path.empty();
}

}  // namespace flowsync::serve
