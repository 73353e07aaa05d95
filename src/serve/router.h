// Routes of `flowsync serve`: a table of {method, pattern, handler}. A
// pattern is a path whose segments may be {name} (one segment) or, last,
// {name*} (the rest of the path, one segment or more). Matching a path:
// no pattern matches -> 404; patterns match but none for the method -> 405
// with the methods that would do (Allow).
//
// Thread-safety: built once, then Match is safe from any thread.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "serve/http_server.h"

namespace flowsync::serve {

using PathParams = std::map<std::string, std::string, std::less<>>;

// Whether `path` matches `pattern`, filling `params`.
bool MatchRoutePattern(std::string_view pattern, std::string_view path, PathParams& params);

template <typename Handler>
class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;
    Handler handler;
  };

  void Add(std::string method, std::string pattern, Handler handler) {
    routes_.push_back({std::move(method), std::move(pattern), std::move(handler)});
  }

  struct Match {
    const Route* route = nullptr;  // null: no route for this method
    PathParams params;
    std::vector<std::string> allow;  // when route is null: the methods that match the path
  };

  Match Find(std::string_view method, std::string_view path) const {
    Match m;
    for (const Route& r : routes_) {
      PathParams params;
      if (!MatchRoutePattern(r.pattern, path, params)) continue;
      if (r.method == method || (method == "HEAD" && r.method == "GET")) {
        m.route = &r;
        m.params = std::move(params);
        return m;
      }
      m.allow.push_back(r.method);
    }
    return m;
  }

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace flowsync::serve
