#include "node/common/daemon.h"

#include <pthread.h>

#include <csignal>
#include <cstdio>

#include "sync/core/log.h"

namespace mpp::common {
namespace {

sigset_t StopSignals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  return s;
}

}  // namespace

void BlockStopSignals() {
  const sigset_t s = StopSignals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

int ServeUntilSignalled(const net::HttpServerOptions& options, http::Handler handler,
                        const std::string& what) {
  auto server = net::HttpServer::Start(options, std::move(handler));
  if (!server) {
    Log(LogLevel::kError, "listen_failed", {{"message", server.error().message}});
    return 1;
  }
  std::printf("listening %s:%u\n", options.host.c_str(), (*server)->port());
  std::fflush(stdout);
  Log(LogLevel::kInfo, "started",
      {{"what", what},
       {"listen", options.host + ":" + std::to_string((*server)->port())},
       {"tls", options.tls ? "mutual" : "off"}});
  const sigset_t s = StopSignals();
  int sig = 0;
  sigwait(&s, &sig);
  Log(LogLevel::kInfo, "stopping", {{"signal", std::to_string(sig)}});
  (*server)->Stop();
  return 0;
}

}  // namespace mpp::common
