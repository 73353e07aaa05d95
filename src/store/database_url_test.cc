#include "flowsync/database_url.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/test_util.h"

namespace flowsync {
namespace {

using Kind = DatabaseUrl::Kind;

std::string Error(std::string_view text) {
  Result<DatabaseUrl> url = ParseDatabaseUrl(text);
  EXPECT_FALSE(url.ok()) << text;
  EXPECT_EQ(url.status().code(), StatusCode::kInvalidArgument) << text;
  return url.status().message();
}

TEST(ParseDatabaseUrl, SqliteForms) {
  struct Case {
    std::string_view text;
    std::string_view path;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"sqlite:db/x.db", "db/x.db"},
           {"sqlite:///abs/x.db", "/abs/x.db"},
           {"sqlite://rel/x.db", "rel/x.db"},
           {"sqlite3:x.db", "x.db"},
           {"sqlite:a=b.db", "a=b.db"},  // the way to a file whose name holds '='
           {"sqlite:password=hunter2", "password=hunter2"},
           {"x.db", "x.db"},
           {"./x.db", "./x.db"},
           {"../data/x.db", "../data/x.db"},
           {"/a/b c.db", "/a/b c.db"},
           {"flows", "flows"},
           {"postgres", "postgres"},  // a file, as psql's bare database name is not
           {"C:\\flows\\x.db", "C:\\flows\\x.db"},
           {"C:/flows/x.db", "C:/flows/x.db"},
           {"\\\\server\\share\\x.db", "\\\\server\\share\\x.db"},
           {"file:x.db", "file:x.db"},
           {":memory:", ":memory:"},
       }) {
    Result<DatabaseUrl> url = ParseDatabaseUrl(c.text);
    ASSERT_OK(url);
    EXPECT_EQ(url->kind, Kind::kSqlite) << c.text;
    EXPECT_EQ(url->path, c.path) << c.text;
    EXPECT_EQ(url->url, c.text);
  }
}

TEST(ParseDatabaseUrl, PostgresForms) {
  struct Case {
    std::string_view text;
    std::string_view conninfo;
    std::string_view schema;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"postgres://u@h/db", "postgres://u@h/db", "public"},
           {"postgresql://u:pw@h:5432/db?sslmode=require",
            "postgresql://u:pw@h:5432/db?sslmode=require", "public"},
           {"postgresql://u@h/db?schema=flows&sslmode=require",
            "postgresql://u@h/db?sslmode=require", "flows"},
           {"postgresql://u@h/db?sslmode=require&schema=flows&connect_timeout=3",
            "postgresql://u@h/db?sslmode=require&connect_timeout=3", "flows"},
           {"postgresql://h/db?schema=flows", "postgresql://h/db", "flows"},
           {"postgresql://u@[::1]:5432/db", "postgresql://u@[::1]:5432/db", "public"},
           {"postgresql://me:p%40ss@h/db", "postgresql://me:p%40ss@h/db", "public"},
           {"postgresql:///db?host=/var/run/postgresql",
            "postgresql:///db?host=/var/run/postgresql", "public"},
           {"postgresql://", "postgresql://", "public"},  // all from PG* variables
           {"host=127.0.0.1 port=1 user=me password=hunter2 dbname=postgres",
            "host=127.0.0.1 port=1 user=me password=hunter2 dbname=postgres", "public"},
           {"service=prod", "service=prod", "public"},
           {"dbname=x.db", "dbname=x.db", "public"},
           {"host = h  password = 'a b\\' c'", "host = h  password = 'a b\\' c'", "public"},
           {"host=h schema=flows dbname=d", "host=h  dbname=d", "flows"},
           {"host=h schema='flows'", "host=h ", "flows"},
       }) {
    Result<DatabaseUrl> url = ParseDatabaseUrl(c.text);
    ASSERT_OK(url);
    EXPECT_EQ(url->kind, Kind::kPostgres) << c.text;
    EXPECT_EQ(url->conninfo, c.conninfo) << c.text;
    EXPECT_EQ(url->schema, c.schema) << c.text;
    EXPECT_EQ(url->url, c.text);
    EXPECT_EQ(url->path, "") << c.text;
  }
}

TEST(ParseDatabaseUrl, RefusesWhatIsNeitherWithLibpqsMessage) {
  EXPECT_EQ(Error(""), "empty database URL");
  EXPECT_EQ(Error("sqlite:"), "database URL 'sqlite:': names no file");
  EXPECT_EQ(Error("sqlite://"), "database URL 'sqlite://': names no file");
  EXPECT_EQ(Error("postgresql://[::1"),
            "database URL 'postgresql://[::1': end of string reached when looking for matching "
            "\"]\" in IPv6 host address in URI: \"postgresql://[::1\"");
  EXPECT_EQ(Error("postgresql://h/db?foo=1"),
            "database URL 'postgresql://h/db?foo=1': invalid URI query parameter: \"foo\"");
  EXPECT_EQ(Error("postgresql://h/db?schema=Flows"),
            "database URL 'postgresql://h/db?schema=Flows': schema 'Flows' must be a lower-case "
            "SQL identifier ([a-z_][a-z0-9_]*)");
  EXPECT_EQ(Error("host=h schema=1x"),
            "database URL 'host=h schema=1x': schema '1x' must be a lower-case SQL identifier "
            "([a-z_][a-z0-9_]*)");
  // An empty schema value at the very end: the text is given in a buffer of
  // its exact size, so that AddressSanitizer sees a read past it.
  for (std::string_view text : {"host=h schema=", "schema=\r\r\r"}) {
    const std::vector<char> exact(text.begin(), text.end());
    EXPECT_EQ(Error(std::string_view(exact.data(), exact.size())),
              "database URL '" + std::string(text) +
                  "': schema '' must be a lower-case SQL identifier ([a-z_][a-z0-9_]*)");
  }
  EXPECT_EQ(Error("a=b.db"),
            "database URL 'a=b.db': invalid connection option \"a\" (a SQLite file whose name "
            "holds '=' is written sqlite:PATH)");
  EXPECT_EQ(Error("./x=1.db"),
            "database URL './x=1.db': invalid connection option \"./x\" (a SQLite file whose name "
            "holds '=' is written sqlite:PATH)");
  EXPECT_EQ(Error("C:\\a=b\\x.db"),
            "database URL 'C:\\a=b\\x.db': invalid connection option \"C:\\a\" (a SQLite file "
            "whose name holds '=' is written sqlite:PATH)");
  EXPECT_EQ(Error("host=h dbname"),
            "database URL 'host=h dbname': missing \"=\" after \"dbname\" in connection info "
            "string (a SQLite file whose name holds '=' is written sqlite:PATH)");
  EXPECT_EQ(Error("mysql://u:hunter2@h/db"),
            "database URL 'mysql://u:***@h/db': unsupported scheme 'mysql' (use sqlite:PATH, "
            "sqlite:///ABS/PATH, a file path, postgresql://... or a libpq connection string)");
  EXPECT_EQ(Error("postgresql:x.db"),
            "database URL 'postgresql:x.db': a PostgreSQL URL starts with postgresql:// (for a "
            "SQLite file of that name, write sqlite:PATH)");
}

TEST(ParseDatabaseUrl, ErrorsNeverShowThePassword) {
  // libpq quotes the URL, or the token it could not decode: both masked.
  EXPECT_EQ(Error("postgresql://me:hunter2@[::1"),
            "database URL 'postgresql://me:***@[::1': end of string reached when looking for "
            "matching \"]\" in IPv6 host address in URI: \"postgresql://me:***@[::1\"");
  EXPECT_EQ(Error("postgresql://me:hunter%zz2@h/db"),
            "database URL 'postgresql://me:***@h/db': invalid percent-encoded token: \"***\"");
  EXPECT_EQ(Error("postgresql://h/db?password=hun%zzter2"),
            "database URL 'postgresql://h/db?password=***': invalid percent-encoded token: "
            "\"***\"");
  EXPECT_EQ(Error("hots=h password=hunter2"),
            "database URL 'hots=h password=***': invalid connection option \"hots\" (a SQLite "
            "file whose name holds '=' is written sqlite:PATH)");
  EXPECT_EQ(Error("host=h password='hunter2"),
            "database URL 'host=h password=***': unterminated quoted string in connection info "
            "string (a SQLite file whose name holds '=' is written sqlite:PATH)");
}

TEST(MaskDatabaseUrl, HidesEveryFormOfPassword) {
  struct Case {
    std::string_view text;
    std::string_view masked;
  };
  for (const Case& c : std::initializer_list<Case>{
           // URLs: user information, percent-encoded or not.
           {"postgresql://me:hunter2@host/db", "postgresql://me:***@host/db"},
           // A '?' inside an IPv6 host in brackets starts no query for libpq
           // (found by fuzzing): the password of the query after it is hidden.
           {"postgres://u@[::1?x=@]:5/d?password=p", "postgres://u@[::1?x=@]:5/d?password=***"},
           {"postgres://u@h1,[::/d?a]:5/d?password=p", "postgres://u@h1,[::/d?a]:5/d?password=***"},
           // ... but a '[' inside a host name is a letter of it.
           {"postgres://u@d=[::/d?password=@]:d", "postgres://u@d=[::/d?password=***"},
           {"postgres://me:hunter2@host:5432/db?sslmode=require",
            "postgres://me:***@host:5432/db?sslmode=require"},
           {"postgresql://me:p%40ss%2Fw0rd@host/db", "postgresql://me:***@host/db"},
           {"postgresql://me:pa:ss?x@host/db", "postgresql://me:***@host/db"},
           {"postgresql://me:hunter2@[::1]:5432/db", "postgresql://me:***@[::1]:5432/db"},
           {"postgresql://me:hunter2@h1:5432,h2:5433/db", "postgresql://me:***@h1:5432,h2:5433/db"},
           {"postgresql://:hunter2@host/db", "postgresql://:***@host/db"},
           // Query parameters, the name percent-encoded or not.
           {"postgresql://host/db?password=hunter2", "postgresql://host/db?password=***"},
           {"postgresql://host/db?sslmode=require&password=hunter2&schema=s",
            "postgresql://host/db?sslmode=require&password=***&schema=s"},
           {"postgresql://host/db?pass%77ord=hunter2", "postgresql://host/db?pass%77ord=***"},
           {"postgresql://me:a@host/db?password=b", "postgresql://me:***@host/db?password=***"},
           // Nothing to hide.
           {"postgresql://me@host/db", "postgresql://me@host/db"},
           {"postgresql://me:@host/db", "postgresql://me:@host/db"},
           {"postgresql://host/db?password=", "postgresql://host/db?password="},
           {"postgresql://host/me:x@y", "postgresql://host/me:x@y"},  // '@' after '/': a path
           {"postgresql://[::1", "postgresql://[::1"},
           // key=value, bare and quoted values, escapes, spaces around '='.
           {"host=127.0.0.1 port=1 user=me password=hunter2 dbname=postgres",
            "host=127.0.0.1 port=1 user=me password=*** dbname=postgres"},
           {"password=hunter2", "password=***"},
           {"host=h password = 'a b\\' c' dbname=d", "host=h password = *** dbname=d"},
           {"host=h password=hun\\ ter2 dbname=d", "host=h password=*** dbname=d"},
           {"host=h\tpassword='' dbname=d", "host=h\tpassword=*** dbname=d"},
           {"host=h password='unterminated dbname=d", "host=h password=***"},
           // Words without '=' (libpq refuses the text, and its error quotes
           // it masked): the pairs after them are still read.
           {"oops host=h password=hunter2", "oops host=h password=***"},
           {"x password='a b' y", "x password=*** y"},
           {"host=h bad password=hunter2 worse", "host=h bad password=*** worse"},
           {"password password=hunter2", "password password=***"},
           {"service=prod", "service=prod"},
           {"user=password", "user=password"},
           // Other schemes' user information.
           {"mysql://me:hunter2@h/db", "mysql://me:***@h/db"},
           // SQLite forms and paths come back as written.
           {"sqlite:password=x.db", "sqlite:password=x.db"},
           {"sqlite:///abs/x.db", "sqlite:///abs/x.db"},
           {"/data/flows.db", "/data/flows.db"},
           {"C:\\flows\\x.db", "C:\\flows\\x.db"},
           {"", ""},
       }) {
    EXPECT_EQ(MaskDatabaseUrl(c.text), c.masked) << c.text;
  }
}

TEST(ParseDatabaseUrl, N8nForms) {
  struct Case {
    std::string_view text;
    Kind kind;
    std::string_view path;
    std::string_view conninfo;
    std::string_view schema;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"n8n+sqlite:home/.n8n/database.sqlite", Kind::kSqlite, "home/.n8n/database.sqlite", "",
            ""},
           {"n8n+sqlite:///abs/database.sqlite", Kind::kSqlite, "/abs/database.sqlite", "", ""},
           {"n8n+postgresql://u:pw@h/n8n?schema=n8n", Kind::kPostgres, "",
            "postgresql://u:pw@h/n8n", "n8n"},
           {"n8n+postgres://u@h/n8n?sslmode=disable", Kind::kPostgres, "",
            "postgres://u@h/n8n?sslmode=disable", "public"},
           {"n8n+host=h dbname=n8n schema=wf", Kind::kPostgres, "", "host=h dbname=n8n ", "wf"},
       }) {
    Result<DatabaseUrl> url = ParseDatabaseUrl(c.text);
    ASSERT_OK(url);
    EXPECT_TRUE(url->n8n) << c.text;
    EXPECT_EQ(url->kind, c.kind) << c.text;
    EXPECT_EQ(url->url, c.text);
    if (c.kind == Kind::kSqlite) {
      EXPECT_EQ(url->path, c.path) << c.text;
    } else {
      EXPECT_EQ(url->conninfo, c.conninfo) << c.text;
      EXPECT_EQ(url->schema, c.schema) << c.text;
    }
  }
  Result<DatabaseUrl> plain = ParseDatabaseUrl("sqlite:x.db");
  ASSERT_OK(plain);
  EXPECT_FALSE(plain->n8n);
}

TEST(ParseDatabaseUrl, N8nErrorsAreMasked) {
  EXPECT_EQ(Error("n8n+"),
            "database URL 'n8n+': n8n+ is followed by sqlite:PATH, postgresql://... or a libpq "
            "connection string");
  EXPECT_EQ(Error("n8n+n8n+sqlite:x"),
            "database URL 'n8n+n8n+sqlite:x': n8n+ is followed by sqlite:PATH, postgresql://... "
            "or a libpq connection string");
  EXPECT_EQ(Error("n8n+mysql://u:pw@h/db"),
            "database URL 'n8n+mysql://u:***@h/db': unsupported scheme 'mysql' (use sqlite:PATH, "
            "sqlite:///ABS/PATH, a file path, postgresql://... or a libpq connection string)");
  EXPECT_EQ(MaskDatabaseUrl("n8n+postgresql://u:pw@h/db?password=x"),
            "n8n+postgresql://u:***@h/db?password=***");
  EXPECT_EQ(MaskDatabaseUrl("n8n+host=h password='a b' dbname=d"),
            "n8n+host=h password=*** dbname=d");
  // A word in front glues n8n+ to the first key; the password stays hidden.
  EXPECT_EQ(MaskDatabaseUrl("n8n+password=hunter2"), "n8n+password=***");
  EXPECT_EQ(MaskDatabaseUrl("x n8n+password=hunter2"), "x n8n+password=***");
  EXPECT_EQ(MaskDatabaseUrl("x n8n+n8n+password='a b' host=h"), "x n8n+n8n+password=*** host=h");
  EXPECT_EQ(Error("x n8n+password=hunter2").find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace flowsync
