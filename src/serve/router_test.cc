#include "serve/router.h"

#include <gtest/gtest.h>

namespace flowsync::serve {
namespace {

TEST(RouterTest, MatchesSegmentsAndTails) {
  Router<int> r;
  r.Add("GET", "/", 1);
  r.Add("GET", "/api/v1/workflows", 2);
  r.Add("GET", "/api/v1/workflows/{id}", 3);
  r.Add("GET", "/api/v1/workflows/{id}/versions/{version}", 4);
  r.Add("POST", "/hooks/{path*}", 5);

  auto m = r.Find("GET", "/api/v1/workflows/abc/versions/2");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->handler, 4);
  EXPECT_EQ(m.params["id"], "abc");
  EXPECT_EQ(m.params["version"], "2");

  m = r.Find("POST", "/hooks/gh/push/main");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params["path"], "gh/push/main");

  EXPECT_EQ(r.Find("GET", "/").route->handler, 1);
  EXPECT_EQ(r.Find("HEAD", "/api/v1/workflows").route->handler, 2);
}

TEST(RouterTest, UnknownPathsAndMethods) {
  Router<int> r;
  r.Add("GET", "/api/v1/workflows", 1);
  r.Add("POST", "/hooks/{path*}", 2);
  auto m = r.Find("GET", "/api/v1/workflows/");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.allow.empty());
  EXPECT_EQ(r.Find("GET", "/hooks/").route, nullptr);
  EXPECT_EQ(r.Find("GET", "/api/v1/workflowsx").route, nullptr);
  EXPECT_EQ(r.Find("GET", "api/v1/workflows").route, nullptr);
  m = r.Find("DELETE", "/api/v1/workflows");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, std::vector<std::string>{"GET"});
  m = r.Find("GET", "/hooks/x");
  EXPECT_EQ(m.allow, std::vector<std::string>{"POST"});
  // An empty segment matches no {param}.
  r.Add("GET", "/api/v1/workflows/{id}", 3);
  EXPECT_EQ(r.Find("GET", "/api/v1/workflows//").route, nullptr);
}

}  // namespace
}  // namespace flowsync::serve
