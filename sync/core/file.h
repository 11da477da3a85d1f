// Files the programs write for people to carry or read back: a bundle for the USB stick, the
// TLS session, the sync agent's state. Whole or not at all, never through a link somebody
// else planted.
#pragma once

#include <string>
#include <string_view>

#include "sync/core/result.h"

namespace mpp {

// Writes `bytes` to `path` whole or not at all: a fresh file (mode 0600, created with
// O_EXCL in the same directory, so no symlink or file of another user is written through)
// is filled, flushed to the disk and renamed over `path`. A `path` that exists and is not
// a regular file (a directory, a symlink, a device) is refused with kConfig; a full disk
// is kDiskFull; any other failure kStorage. Nothing is left behind on failure.
Status WriteFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace mpp
