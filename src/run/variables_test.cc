#include "run/variables.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "util/memory_file_system.h"
#include "util/test_util.h"

namespace flowsync::run {
namespace {

SecretKey KeyOf(char c) {
  SecretKey key;
  key.bytes.fill(static_cast<unsigned char>(c));
  return key;
}

TEST(Variables, ASealedSecretOpensOnlyWithItsKeyForItsVariable) {
  const SecretKey key = KeyOf('k');
  Variable v{"prod", "API_TOKEN", SealSecret(key, "prod", "API_TOKEN", "s3cr3t-value"), true, 1};
  EXPECT_EQ(v.value.rfind("sealed:v1:", 0), 0u);
  EXPECT_EQ(v.value.find("s3cr3t"), std::string::npos);
  auto plain = OpenSecret(key, v);
  ASSERT_OK(plain);
  EXPECT_EQ(*plain, "s3cr3t-value");
  // Two seals of one value differ (a fresh nonce each).
  EXPECT_NE(SealSecret(key, "prod", "API_TOKEN", "s3cr3t-value"), v.value);

  auto wrong_key = OpenSecret(KeyOf('x'), v);
  EXPECT_EQ(wrong_key.status().message(),
            "variable API_TOKEN (environment prod): cannot be opened with this key (sealed with "
            "another key, or for another variable)");
  Variable moved = v;
  moved.name = "OTHER";
  EXPECT_FALSE(OpenSecret(key, moved).ok());
  moved = v;
  moved.environment = "dev";
  EXPECT_FALSE(OpenSecret(key, moved).ok());
  Variable damaged = v;
  damaged.value = "sealed:v1:!!";
  EXPECT_EQ(OpenSecret(key, damaged).status().message(),
            "variable API_TOKEN (environment prod): the stored value is damaged");
  Variable plain_text = v;
  plain_text.value = "s3cr3t-value";
  EXPECT_EQ(OpenSecret(key, plain_text).status().message(),
            "variable API_TOKEN (environment prod): the stored value is not sealed");
}

TEST(Variables, ResolveOpensSecretsAndNeedsAKeyForThem) {
  const SecretKey key = KeyOf('k');
  std::vector<Variable> vars = {
      {"prod", "A", SealSecret(key, "prod", "A", "alpha-secret"), true, 1},
      {"prod", "B", "plain", false, 1}};
  auto resolved = ResolveVariables(vars, key);
  ASSERT_OK(resolved);
  ASSERT_EQ(resolved->env.size(), 2u);
  EXPECT_EQ(resolved->env[0], std::make_pair(std::string("A"), std::string("alpha-secret")));
  EXPECT_EQ(resolved->env[1], std::make_pair(std::string("B"), std::string("plain")));
  EXPECT_EQ(resolved->secret_values, std::vector<std::string>{"alpha-secret"});
  auto no_key = ResolveVariables(vars, std::nullopt);
  EXPECT_EQ(no_key.status().message(),
            "variable A (environment prod) is secret: set FLOWSYNC_SECRET_KEY or "
            "FLOWSYNC_SECRET_KEY_FILE to the key it was sealed with");
  EXPECT_OK(ResolveVariables({vars[1]}, std::nullopt));
}

TEST(Variables, MaskSecretsReplacesEveryOccurrence) {
  EXPECT_EQ(MaskSecrets("token=abcd1234 again abcd1234.", {"abcd1234"}),
            "token=[secret] again [secret].");
  // Too short to mask without hiding ordinary text.
  EXPECT_EQ(MaskSecrets("a b c", {"b"}), "a b c");
  EXPECT_EQ(MaskSecrets("xsecretsecretx", {"secret"}), "x[secret][secret]x");
}

TEST(Variables, NamesAndEnvironments) {
  EXPECT_OK(CheckVariableName("API_TOKEN"));
  EXPECT_OK(CheckVariableName("_x1"));
  EXPECT_EQ(CheckVariableName("1X").message(),
            "variable name '1X': expected letters, digits and _ (not first a digit), at most 128");
  EXPECT_FALSE(CheckVariableName("A-B").ok());
  EXPECT_FALSE(CheckVariableName("").ok());
  EXPECT_EQ(CheckVariableName("FLOWSYNC_TASK").message(),
            "variable name 'FLOWSYNC_TASK': FLOWSYNC_ names are the task's own (FLOWSYNC_TASK, "
            "...)");
  EXPECT_OK(CheckEnvironmentName("prod-eu.1"));
  EXPECT_EQ(CheckEnvironmentName("a b").message(),
            "environment 'a b': expected letters, digits, _, . and -, at most 64");
}

TEST(Variables, TheKeyComesFromTheEnvironmentOrAFile) {
  MemoryFileSystem fs;
  ::unsetenv(kSecretKeyEnv);
  ::unsetenv(kSecretKeyFileEnv);
  auto none = LoadSecretKey(fs);
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());

  const std::string text = GenerateSecretKey();
  EXPECT_EQ(text.size(), 44u);
  ::setenv(kSecretKeyEnv, text.c_str(), 1);
  auto from_env = LoadSecretKey(fs);
  ASSERT_OK(from_env);
  ASSERT_TRUE(from_env->has_value());
  ::unsetenv(kSecretKeyEnv);

  ASSERT_OK(fs.SetFile("/keys/flowsync.key", text + "\n"));
  ::setenv(kSecretKeyFileEnv, "/keys/flowsync.key", 1);
  auto from_file = LoadSecretKey(fs);
  ASSERT_OK(from_file);
  ASSERT_TRUE(from_file->has_value());
  EXPECT_EQ((*from_file)->bytes, (*from_env)->bytes);

  ASSERT_OK(fs.SetFile("/keys/short.key", "c2hvcnQ="));
  ::setenv(kSecretKeyFileEnv, "/keys/short.key", 1);
  EXPECT_EQ(LoadSecretKey(fs).status().message(),
            "/keys/short.key: not a key (expected 32 bytes in base64, as `flowsync var keygen` "
            "prints)");
  ::unsetenv(kSecretKeyFileEnv);
  ::setenv(kSecretKeyEnv, "not base64 at all!", 1);
  EXPECT_EQ(LoadSecretKey(fs).status().message(),
            "FLOWSYNC_SECRET_KEY: not a key (expected 32 bytes in base64, as `flowsync var "
            "keygen` prints)");
  ::unsetenv(kSecretKeyEnv);
}

}  // namespace
}  // namespace flowsync::run
