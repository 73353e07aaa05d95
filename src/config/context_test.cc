#include "config/context.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "util/test_util.h"

namespace flowsync::config {
namespace {

class ContextTest : public ::testing::Test {
 protected:
  ContextTest() : root_(std::filesystem::canonical(dir_.path()).string()) {
    env_.cwd = root_ + "/sub";
    dir_.Write("sub/a.json", "{}");
  }
  Context Resolve(const Overrides& o = {}) {
    auto ctx = ResolveContext(o, env_);
    EXPECT_OK(ctx);
    return ctx.ok() ? *ctx : Context{};
  }
  test::TempDir dir_;
  std::string root_;
  Environment env_;
};

TEST_F(ContextTest, Defaults) {
  dir_.Write("flowsync.toml", "");
  Context ctx = Resolve();
  EXPECT_EQ(ctx.root, root_);  // found upwards from the current folder
  EXPECT_EQ(ctx.db.kind, DatabaseUrl::Kind::kSqlite);
  EXPECT_EQ(ctx.db.path, root_ + "/.flowsync/flowsync.db");
  EXPECT_TRUE(ctx.db_is_default);
  EXPECT_EQ(ctx.limits.max_file_size, SourceLimits{}.max_file_size);
  EXPECT_EQ(ctx.store_options.lock_timeout_ms, StoreOptions{}.lock_timeout_ms);
  EXPECT_EQ(ctx.store_options.project, kDefaultProject);
}

TEST_F(ContextTest, NoMarkerFollowsTheRootRule) {
  const std::string refusal = "no flowsync root in " + root_ +
                              "/sub or any parent (no .flowsync/ folder or flowsync.toml); run "
                              "`flowsync sync TREE` first, or pass --root";
  // Only sync makes the current folder a root.
  Overrides sync;
  sync.root_rule = RootRule::kCurrentDir;
  EXPECT_EQ(Resolve(sync).root, root_ + "/sub");
  Overrides tree;  // kRequired
  auto refused = ResolveContext(tree, env_);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(), refusal);
  tree.db = "x.db";
  EXPECT_EQ(ResolveContext(tree, env_).status().message(), refusal);
  // A reader of the database goes on without a root only when it is named.
  Overrides reader;
  reader.root_rule = RootRule::kDatabase;
  EXPECT_EQ(ResolveContext(reader, env_).status().message(), refusal + " or --db");
  reader.db = "x.db";
  Context named = Resolve(reader);
  EXPECT_EQ(named.root, "");
  EXPECT_EQ(named.db.path, "x.db");
  env_.database_url = "sqlite:/env.db";
  reader.db.reset();
  EXPECT_EQ(Resolve(reader).db.path, "/env.db");
  // Paths named only help to find the root of a reader ...
  reader.paths = {"a.json"};
  EXPECT_EQ(Resolve(reader).root, "");
  // ... but ids of files named need it.
  reader.root_rule = RootRule::kDatabaseAndFiles;
  EXPECT_EQ(ResolveContext(reader, env_).status().message(), refusal);
  reader.paths = {"My Workflow"};
  EXPECT_EQ(Resolve(reader).root, "");
  // A root named on the command line is taken as it is.
  Overrides o;
  o.root = "../sub/./";
  EXPECT_EQ(Resolve(o).root, root_ + "/sub");  // relative to the current folder
}

TEST_F(ContextTest, RootFromThePathsNamed) {
  dir_.Write("flows/.flowsync/keep", "");
  dir_.Write("flows/n8n/x.json", "{}");
  env_.cwd = root_;
  Overrides o;
  o.paths = {"flows/n8n/x.json"};
  Context ctx = Resolve(o);
  EXPECT_EQ(ctx.root, root_ + "/flows");
  EXPECT_EQ(ctx.db.path, root_ + "/flows/.flowsync/flowsync.db");
}

TEST_F(ContextTest, NamedRootMustBeReadableExceptForSync) {
  Overrides o;
  o.root = "/nonexistent";
  for (RootRule rule : {RootRule::kRequired, RootRule::kDatabase}) {
    o.root_rule = rule;
    auto ctx = ResolveContext(o, env_);
    EXPECT_EQ(ctx.status().code(), StatusCode::kConflict);
    EXPECT_EQ(ctx.status().message(),
              "root /nonexistent is missing or unreadable (No such file or directory); refusing "
              "to read it as an empty tree");
  }
  o.root_rule = RootRule::kCurrentDir;  // sync has its own guard rail, and --force
  EXPECT_EQ(Resolve(o).root, "/nonexistent");
}

TEST_F(ContextTest, FlagsBeatEnvironmentBeatsFile) {
  dir_.Write("flowsync.toml",
             "[database]\nurl = \"file.db\"\nproject = \"from-file\"\n"
             "[sync]\nmax_file_size = 100\nlock_timeout = 1\n");
  Context file = Resolve();
  EXPECT_EQ(file.db.path, root_ + "/file.db");
  EXPECT_FALSE(file.db_is_default);
  EXPECT_EQ(file.store_options.project, "from-file");
  EXPECT_EQ(file.limits.max_file_size, 100u);
  EXPECT_EQ(file.store_options.lock_timeout_ms, 1000);

  env_.database_url = "sqlite:/env.db";
  env_.project = "from-env";
  Context env = Resolve();
  EXPECT_EQ(env.db.path, "/env.db");
  EXPECT_EQ(env.store_options.project, "from-env");

  Overrides o;
  o.db = "postgres://h/db";
  o.project = "from-flag";
  o.max_file_size = "1KB";
  o.lock_timeout_s = 0.5;
  Context flag = Resolve(o);
  EXPECT_EQ(flag.db.kind, DatabaseUrl::Kind::kPostgres);
  EXPECT_EQ(flag.store_options.project, "from-flag");
  EXPECT_EQ(flag.limits.max_file_size, 1024u);
  EXPECT_EQ(flag.store_options.lock_timeout_ms, 500);
}

TEST_F(ContextTest, Errors) {
  dir_.Write("flowsync.toml", "");
  Overrides o;
  o.project = "Bad Name";
  auto bad_project = ResolveContext(o, env_);
  ASSERT_FALSE(bad_project.ok());
  EXPECT_EQ(bad_project.status().message(),
            "project 'Bad Name': use 1-63 characters of a-z, 0-9, '-' and '_', starting with a "
            "letter or digit");
  o = {};
  o.max_file_size = "lots";
  EXPECT_EQ(ResolveContext(o, env_).status().code(), StatusCode::kInvalidArgument);
  dir_.Write("flowsync.toml", "[nope]\n");
  EXPECT_EQ(ResolveContext({}, env_).status().message(),
            root_ + "/flowsync.toml:1: unknown section 'nope' (known: database, sync)");
}

TEST_F(ContextTest, OpeningCreatesOnlyWhatItMay) {
  dir_.Write("flowsync.toml", "");
  Context ctx = Resolve();
  auto missing = OpenContextStore(ctx, IfMissing::kFail);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto empty = OpenContextStore(ctx, IfMissing::kEmpty);
  ASSERT_OK(empty);
  EXPECT_EQ((*empty)->Describe(), "sqlite::memory:");
  EXPECT_FALSE(std::filesystem::exists(root_ + "/.flowsync"));
  ASSERT_OK(OpenContextStore(ctx, IfMissing::kCreate));
  EXPECT_TRUE(std::filesystem::exists(ctx.db.path));

  Overrides o;
  o.db = root_ + "/no/such/folder/x.db";
  auto nested = OpenContextStore(Resolve(o), IfMissing::kCreate);
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(), "cannot create database " + root_ +
                                           "/no/such/folder/x.db: folder " + root_ +
                                           "/no/such/folder does not exist");
}

TEST_F(ContextTest, AMissingDatabaseIsNamedAndOnlyTheDefaultSuggestsDb) {
  dir_.Write("flowsync.toml", "");
  auto fallback = OpenContextStore(Resolve(), IfMissing::kFail);
  EXPECT_EQ(fallback.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fallback.status().message(), "no flowsync database at " + root_ +
                                             "/.flowsync/flowsync.db (run `flowsync sync` "
                                             "first, or pass --db)");
  Overrides o;
  o.db = "/nope";
  auto given = OpenContextStore(Resolve(o), IfMissing::kFail);
  EXPECT_EQ(given.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(given.status().message(),
            "no database at /nope: the file does not exist (check the path; `flowsync sync` "
            "creates it)");
  EXPECT_FALSE(std::filesystem::exists("/nope"));
}

TEST_F(ContextTest, ConnectionStringsArePostgresFromEverySource) {
  const std::string conninfo = "host=127.0.0.1 port=1 user=me password=hunter2 dbname=postgres";
  dir_.Write("flowsync.toml", "[database]\nurl = \"" + conninfo + "\"\n");
  Context file = Resolve();
  EXPECT_EQ(file.db.kind, DatabaseUrl::Kind::kPostgres);
  EXPECT_EQ(file.db.conninfo, conninfo);  // not made relative to the file
  env_.database_url = "service=prod schema=flows";
  Context env = Resolve();
  EXPECT_EQ(env.db.kind, DatabaseUrl::Kind::kPostgres);
  EXPECT_EQ(env.db.schema, "flows");
  Overrides o;
  o.db = "hots=h password=hunter2";
  auto bad = ResolveContext(o, env_);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "database URL 'hots=h password=***': invalid connection option \"hots\" (a SQLite "
            "file whose name holds '=' is written sqlite:PATH)");
  dir_.Write("flowsync.toml", "[database]\nurl = \"postgresql://me:hunter2@[::1\"\n");
  env_.database_url.reset();
  EXPECT_EQ(ResolveContext({}, env_).status().message(),
            root_ +
                "/flowsync.toml:2: database URL 'postgresql://me:***@[::1': end of string "
                "reached when looking for matching \"]\" in IPv6 host address in URI: "
                "\"postgresql://me:***@[::1\"");
}

}  // namespace
}  // namespace flowsync::config
