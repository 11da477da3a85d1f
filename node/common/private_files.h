// What the programs write is their user's alone: site and centre databases hold citizens'
// records, the data directory holds keys and TLS sessions.
#pragma once

#include <string>

#include "sync/core/result.h"

namespace mpp::common {

// Sets the umask to 077, so every file and directory the program creates (databases, their
// -wal and -shm files, sync.json, the TLS session, locks, logs) is its owner's only, whatever
// umask the shell or the service manager left. Call first in main.
void KeepFilesPrivate();

// Creates `dir` (and its parents) if missing, mode 0700 whatever the umask. One that existed
// and that other users can read is left as it is (it may be a shared directory) with a
// warning in the log: the databases in it are 0600 all the same. kConfig saying what to do
// when it cannot be made.
Status MakePrivateDirectory(const std::string& dir);

}  // namespace mpp::common
