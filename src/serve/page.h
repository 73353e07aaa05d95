// The web page of `flowsync serve`, embedded in the binary: one HTML
// document with its CSS and JavaScript inline, no CDN, no build step. It
// reads the JSON API with the session cookie /login set.
#pragma once

#include <string>
#include <string_view>

namespace flowsync::serve {

// The page (workflow list, a workflow's graph, versions and diff,
// executions).
std::string_view PageHtml();

// The login form; `problem` (plain text, may be empty) is shown above it.
std::string LoginHtml(std::string_view problem);

}  // namespace flowsync::serve
