#include "serve/signature.h"

#include <gtest/gtest.h>

#include <set>

#include "serve/server.h"
#include "util/test_util.h"

namespace flowsync::serve {
namespace {

TEST(SignatureTest, HmacSha256KnownAnswer) {
  // RFC 4231, test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SignatureTest, GithubFormIsChecked) {
  const std::string body = R"({"ref":"main"})";
  const std::string good = "sha256=" + HmacSha256Hex("key", body);
  EXPECT_TRUE(SignatureMatches(good, "key", body));
  std::string upper = good;
  for (size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_TRUE(SignatureMatches(upper, "key", body));
  EXPECT_FALSE(SignatureMatches(good, "other key", body));
  EXPECT_FALSE(SignatureMatches(good, "key", body + " "));
  EXPECT_FALSE(SignatureMatches(good.substr(7), "key", body));
  EXPECT_FALSE(SignatureMatches("sha1=" + good.substr(7), "key", body));
  EXPECT_FALSE(SignatureMatches(good.substr(0, good.size() - 1), "key", body));
  EXPECT_FALSE(SignatureMatches("", "key", body));
}

TEST(SignatureTest, TokensAreNewEachTime) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto t = NewApiToken();
    ASSERT_OK(t);
    EXPECT_EQ(t->size(), 4u + 64u);
    EXPECT_EQ(t->substr(0, 4), "fst_");
    seen.insert(*t);
  }
  EXPECT_EQ(seen.size(), 20u);
}

TEST(SignatureTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(WebhookSecretTest, ASealedSecretOpensOnlyForItsWebhookAndKey) {
  run::SecretKey key, other;
  key.bytes.fill(7);
  other.bytes.fill(8);
  WebhookRegistration hook;
  hook.path = "orders/new";
  hook.secret_sealed = SealWebhookSecret(key, "default", hook, "s3cret");
  ASSERT_TRUE(hook.secret_sealed->starts_with("sealed:v1:"));
  EXPECT_EQ(hook.secret_sealed->find("s3cret"), std::string::npos);
  auto opened = OpenWebhookSecret(key, "default", hook);
  ASSERT_OK(opened);
  EXPECT_EQ(*opened, "s3cret");
  EXPECT_FALSE(OpenWebhookSecret(other, "default", hook).ok());
  EXPECT_FALSE(OpenWebhookSecret(key, "team-b", hook).ok());
  WebhookRegistration moved = hook;
  moved.path = "orders/other";
  EXPECT_FALSE(OpenWebhookSecret(key, "default", moved).ok());
}

}  // namespace
}  // namespace flowsync::serve
