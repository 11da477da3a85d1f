// Running a server until SIGINT/SIGTERM: the common tail of mpp-node and mpp-central.
#pragma once

#include "sync/net/http_server.h"

namespace mpp::common {

// Blocks SIGINT/SIGTERM in every thread; call first in main, before any thread starts.
void BlockStopSignals();

// Starts `handler` on `options`, prints "listening HOST:PORT" on stdout (the real port when 0
// was asked), logs `started` with `fields`, waits for SIGINT/SIGTERM, stops gracefully.
// Returns the exit code: 0, or 1 if the server could not start.
int ServeUntilSignalled(const net::HttpServerOptions& options, http::Handler handler,
                        const std::string& what);

}  // namespace mpp::common
