// The flowsync command line: a thin adapter over the library.
#pragma once

#include "flowsync/status.h"

namespace flowsync::cli {

// Parses argv, runs one sub-command and returns the process exit status
// (see README.md, "Exit status").
int Main(int argc, char** argv);

// Prints "flowsync: error: <message>" and returns the exit status of `s`:
// the one place where a Status becomes an exit status.
int Fail(const Status& s);

}  // namespace flowsync::cli
