// Phase files: flowlord-style TOML workflows made of [[phase]] tables.
//
// The format (see the flowlord reference): a top-level array of tables whose
// name is `phase` in any letter case; inside a table the keys task, rule,
// dependsOn, template (strings) and retry (integer), also matched ignoring
// case. Unknown keys are kept out of the model and reported as "unknown-key"
// warnings (flowlord ignores them silently, which hides typos such as
// `depends_on`). A key of the wrong type is an error, as in flowlord.
//
// Thread-safety: pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "flowsync/status.h"
#include "flowsync/workflow.h"

namespace flowsync {

// Reads a phase file's text. `display` names the file in messages and
// finding locations (the path relative to the sync root); `name` becomes the
// workflow name. std::nullopt for valid TOML without a `phase` array of
// tables (pyproject.toml and friends). Errors: Corruption,
// "<display>:line:column: invalid TOML: ..." or
// "<display>:3:9: phase 1: 'retry' must be an integer, got string".
Result<std::optional<ParsedWorkflow>> ReadPhaseFile(std::string_view text,
                                                    const std::string& display,
                                                    const std::string& name);

}  // namespace flowsync
