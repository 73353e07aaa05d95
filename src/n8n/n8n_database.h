// An open n8n database: a session on n8n's own tables, and its schema.
//
// For reading n8n (list, show, migration create) and for checking which n8n
// wrote a database before flowsync writes anything beside it. Opening never
// creates a database or a table: a path or database that does not exist is
// NotFound, one n8n did not create or a schema flowsync does not know is
// Unsupported (n8n_schema.h).
//
// Thread-safety: one thread at a time, as a Store.
#pragma once

#include <memory>
#include <string>

#include "flowsync/database_url.h"
#include "flowsync/status.h"
#include "n8n/n8n_schema.h"
#include "store/sql_connection.h"

namespace flowsync::n8n {

class N8nDatabase {
 public:
  virtual ~N8nDatabase() = default;
  virtual SqlConnection& connection() = 0;
  virtual const N8nSchema& schema() const = 0;
  // "n8n+sqlite:PATH", "n8n+postgresql://HOST:PORT/DB (schema S)": never a
  // password.
  virtual std::string Describe() const = 0;
};

// REQUIRES: url.n8n.
Result<std::unique_ptr<N8nDatabase>> OpenN8nDatabase(const DatabaseUrl& url);

}  // namespace flowsync::n8n
