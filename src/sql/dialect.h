// What differs between flowsync's SQL dialects, in one place: the stores
// (store/sqlite, store/postgres) and the SQL that promotion writes
// (promote/workflow_sql) both build their statements from these pieces, so
// a rule about a dialect is written once.
//
// Everything here is pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "flowsync/sql_dialect.h"
#include "flowsync/workflow.h"

namespace flowsync {

// SQL for the current time, in the form the dialect's timestamps are kept
// (PostgreSQL: timestamptz; SQLite: RFC 3339 UTC text with milliseconds).
std::string_view SqlNow(SqlDialect dialect);

// An expression rendering timestamp `column` as RFC 3339 UTC with
// milliseconds ("2026-11-22T03:12:49.123Z", as FormatTimestampMs writes):
// SQLite keeps that text already; PostgreSQL formats its timestamptz.
std::string SqlTimestampText(SqlDialect dialect, std::string_view column);

// `expr` as text: PostgreSQL casts its uuids, enums and jsonb; SQLite
// keeps text already (and a cast there would hide an index).
std::string SqlAsText(SqlDialect dialect, std::string_view expr);

// " COLLATE \"C\"" on PostgreSQL, where text otherwise sorts by the
// server's locale; nothing on SQLite, which sorts by bytes. Appended to an
// ORDER BY term so both backends list in the same (byte) order.
std::string_view SqlByteOrder(SqlDialect dialect);

// The physical row order ("rowid", "ctid"): the order rows were written in,
// for a table without a key of its own.
std::string_view SqlRowOrder(SqlDialect dialect);

// A SQL string expression holding exactly `text`.
//   SQLite: '...' with quotes doubled.
//   PostgreSQL: dollar quoting, $fs$...$fs$, with a tag the text does not
//   contain, so neither backslashes nor standard_conforming_strings matter.
// Control bytes other than tab, line feed and carriage return are never
// written raw: such text becomes a parenthesised concatenation of literals
// and char(N) (SQLite) or chr(N) (PostgreSQL), e.g. ('a' || char(27)).
// PostgreSQL's chr(0) is an error ("null character not permitted"): text
// for PostgreSQL should hold no NUL, which its text type cannot store.
std::string SqlStringLiteral(SqlDialect dialect, std::string_view text);

// Whether PostgreSQL's workflows.definition holds `wf` as jsonb: not for
// phase files, and not for JSON that jsonb cannot hold (\u0000 in a
// string); those keep only their text. SQLite has no such column.
bool HasJsonbDefinition(const ParsedWorkflow& wf);

}  // namespace flowsync
