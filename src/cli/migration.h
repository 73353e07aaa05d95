// `flowsync migration create`: turns workflows into reviewable SQL
// migrations (promote/migration_writer.h).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace flowsync::cli {

// Adds the `migration` command and its sub-commands to `app`; `*run` is set
// to the chosen sub-command's handler, which returns the exit status.
void AddMigrationCommand(CLI::App* app, std::function<int()>* run);

}  // namespace flowsync::cli
