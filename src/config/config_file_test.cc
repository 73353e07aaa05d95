#include "config/config_file.h"

#include <gtest/gtest.h>

#include "util/test_util.h"

namespace flowsync::config {
namespace {

TEST(ParseSizeTest, NumbersAndUnits) {
  EXPECT_EQ(*ParseSize("1024"), 1024u);
  EXPECT_EQ(*ParseSize("10B"), 10u);
  EXPECT_EQ(*ParseSize("512KB"), 512u << 10);
  EXPECT_EQ(*ParseSize("64mb"), 64u << 20);
  EXPECT_EQ(*ParseSize("1.5M"), 3u << 19);
  EXPECT_EQ(*ParseSize("2GiB"), 2ull << 30);
}

TEST(ParseSizeTest, RejectsWhatIsNoSize) {
  for (const char* text : {"lots", "-5KB", "0", "12TB", "", "inf"}) {
    auto size = ParseSize(text);
    ASSERT_FALSE(size.ok()) << text;
    EXPECT_EQ(size.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(size.status().message(),
              "'" + std::string(text) + "' is not a size (examples: 64MB, 512KB, 1024)");
  }
}

class ConfigFileTest : public ::testing::Test {
 protected:
  Result<ConfigFile> Load(const std::string& text) {
    dir_.Write(kConfigFileName, text);
    return LoadConfigFile(dir_.path());
  }
  std::string Error(const std::string& text) {
    auto config = Load(text);
    if (config.ok()) return "<ok>";
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
    std::string message = config.status().message();
    // Messages start with the file: strip the temporary folder.
    return message.substr(message.find(kConfigFileName));
  }
  test::TempDir dir_;
};

TEST_F(ConfigFileTest, NoFileIsAnEmptyConfig) {
  auto config = LoadConfigFile(dir_.path());
  ASSERT_OK(config);
  EXPECT_EQ(*config, ConfigFile{});
}

TEST_F(ConfigFileTest, ReadsEveryKey) {
  auto config = Load(
      "[database]\nurl = \"sqlite:state/x.db\"\nproject = \"team-a\"\n"
      "[sync]\nmax_file_size = \"1KB\"\nlock_timeout = 2.5\n");
  ASSERT_OK(config);
  EXPECT_EQ(config->db_url, "sqlite:" + dir_.path() + "/state/x.db");  // relative to the file
  EXPECT_EQ(config->project, "team-a");
  EXPECT_EQ(config->max_file_size, 1024u);
  EXPECT_EQ(config->lock_timeout_s, 2.5);
}

TEST_F(ConfigFileTest, AbsoluteAndPostgresUrlsAreKept) {
  EXPECT_EQ(Load("[database]\nurl = \"sqlite:/abs/x.db\"\n")->db_url, "sqlite:/abs/x.db");
  EXPECT_EQ(Load("[database]\nurl = \"postgres://h/db\"\n")->db_url, "postgres://h/db");
  EXPECT_EQ(Load("[sync]\nmax_file_size = 2048\n")->max_file_size, 2048u);
}

TEST_F(ConfigFileTest, ErrorsNameFileAndLine) {
  EXPECT_EQ(Error("[databse]\nurl = \"x\"\n"),
            "flowsync.toml:1: unknown section 'databse' (known: database, sync)");
  EXPECT_EQ(Error("[database]\nulr = \"x\"\n"),
            "flowsync.toml:2: unknown key 'database.ulr' (known: url, project)");
  EXPECT_EQ(Error("[database]\nurl = 3\n"), "flowsync.toml:2: 'database.url' must be a string");
  EXPECT_EQ(Error("[database]\nproject = 3\n"),
            "flowsync.toml:2: 'database.project' must be a string");
  EXPECT_EQ(Error("[sync]\nmax_file_size = 0\n"),
            "flowsync.toml:2: 'sync.max_file_size' must be positive");
  EXPECT_EQ(Error("[sync]\nmax_file_size = \"lots\"\n"),
            "flowsync.toml:2: sync.max_file_size: 'lots' is not a size (examples: 64MB, 512KB, "
            "1024)");
  EXPECT_EQ(Error("[sync]\nlock_timeout = -1\n"),
            "flowsync.toml:2: 'sync.lock_timeout' must be a number of seconds");
  EXPECT_EQ(Error("[sync]\nthreads = 4\n"),
            "flowsync.toml:2: unknown key 'sync.threads' (known: max_file_size, lock_timeout)");
  EXPECT_EQ(Error("[sync\n").substr(0, 18), "flowsync.toml:1:6:");
}

}  // namespace
}  // namespace flowsync::config
