#include "serve/page.h"

namespace flowsync::serve {
namespace {

constexpr std::string_view kLoginHead = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flowsync: sign in</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 30rem; margin: 4rem auto; padding: 0 1rem; }
label { display: block; margin: 1rem 0 .25rem; }
input { width: 100%; padding: .5rem; font: inherit; box-sizing: border-box; }
button { margin-top: 1rem; padding: .5rem 1rem; font: inherit; }
.problem { color: #a00; }
</style>
</head>
<body>
<main>
<h1>flowsync</h1>
)html";

constexpr std::string_view kLoginTail = R"html(<form method="get" action="/login">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<button type="submit">Sign in</button>
</form>
<p>Make a token with <code>flowsync token create</code>.</p>
</main>
</body>
</html>
)html";

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string LoginHtml(std::string_view problem) {
  std::string out(kLoginHead);
  if (!problem.empty()) {
    out += "<p class=\"problem\" role=\"alert\">" + HtmlEscape(problem) + "</p>\n";
  }
  out += kLoginTail;
  return out;
}

}  // namespace flowsync::serve
