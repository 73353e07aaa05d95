// `flowsync migrate up|down|status|validate|repair|baseline`: the migration
// runner (promote/migrate.h).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace flowsync::cli {

// Adds the `migrate` command and its sub-commands to `app`; `*run` is set
// to the chosen sub-command's handler, which returns the exit status.
void AddMigrateCommand(CLI::App* app, std::function<int()>* run);

}  // namespace flowsync::cli
