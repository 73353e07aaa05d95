// Splitting SQL text into statements, and saying where one failed.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "flowsync/status.h"

namespace flowsync {

struct ScriptStatement {
  size_t offset = 0;  // first character after leading blanks and comments
  size_t length = 0;  // up to, not including, the ';' (or the end)
};

// The statements of `sql` under PostgreSQL's lexical rules: '...' strings
// ('' inside), E'...' strings (backslash escapes), "..." identifiers,
// $tag$...$tag$ bodies, -- and nested /* */ comments. Empty statements
// (only blanks and comments) are left out. A BEGIN ATOMIC body of a SQL
// function is not recognised: write such functions with a $$ body.
std::vector<ScriptStatement> SplitSqlScript(std::string_view sql);

// Where `needle` occurs in `sql` outside strings, quoted identifiers,
// dollar-quoted bodies and comments (same lexical rules).
std::vector<size_t> FindInCode(std::string_view sql, std::string_view needle);

// The offset of the first character at or after `offset` that is neither
// blank nor inside a comment.
size_t SkipBlanksAndComments(std::string_view sql, size_t offset);

// The error for statement number `number` (1-based) of `sql`, starting at
// `offset`: "statement 3 (line 12: INSERT INTO t ...): <message>".
Status ScriptStatementError(std::string_view sql, size_t offset, int number,
                            const Status& database_error);

}  // namespace flowsync
