// The flowsync command line: a thin adapter over the library.
#pragma once

namespace flowsync::cli {

// Parses argv, runs one sub-command and returns the process exit status
// (see README.md, "Exit status").
int Main(int argc, char** argv);

}  // namespace flowsync::cli
