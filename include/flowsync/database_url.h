// Which database a setting names (--db, $DATABASE_URL, [database] url), and
// how to show it without its password.
//
// Forms:
//   SQLite      sqlite:PATH, sqlite3:PATH (as dbmate writes them),
//               sqlite://PATH, sqlite:///ABS/PATH, or a file path;
//   PostgreSQL  postgres:// and postgresql:// URLs, and libpq key=value
//               connection strings ("host=h dbname=d", "service=name"),
//               as libpq's PQconninfoParse reads them. What a URL leaves out
//               comes from the PG* variables when connecting, as for psql.
// A value holding '=' is a connection string, never a file name: one that
// libpq refuses is an error, never a new SQLite file named after it (a file
// whose name holds '=' is written sqlite:PATH). flowsync's own `schema`
// parameter (`?schema=S`, or `schema=S` among key=value pairs) picks the
// PostgreSQL schema and is not passed to libpq.
//
// n8n's own database: any of these forms after "n8n+" (n8n+sqlite:PATH of
// n8n's database.sqlite, n8n+postgresql://..., n8n+postgres://...,
// n8n+host=... dbname=...). `schema` then names n8n's DB_POSTGRESDB_SCHEMA.
// flowsync reads and writes n8n's tables there and keeps its own
// bookkeeping beside them (src/n8n/).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "flowsync/status.h"

namespace flowsync {

struct DatabaseUrl {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  // The text it was parsed from. It may hold a password: never print it,
  // print MaskDatabaseUrl(url).
  std::string url;
  std::string path;      // SQLite: the file path as given (may be relative)
  std::string conninfo;  // PostgreSQL: what libpq is given (url without `schema`)
  std::string schema;    // PostgreSQL: the schema, "public" unless given
  bool n8n = false;      // written n8n+...: n8n's own database
};

// Classifies `text` as above. InvalidArgument, naming the masked text and
// what is wrong with it (libpq's own message for a connection string it
// refuses), otherwise.
Result<DatabaseUrl> ParseDatabaseUrl(std::string_view text);

// `text` as it may be shown: the password of a URL's user information and
// every `password` parameter (URL query, percent-encoded name or not;
// key=value pair, quoted or not) replaced by "***", as libpq-based tools
// mask it; the rest as written. Works on text that does not parse, too, so
// that an error about a bad URL can quote it. SQLite forms and file paths
// come back unchanged.
std::string MaskDatabaseUrl(std::string_view text);

}  // namespace flowsync
