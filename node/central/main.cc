// mpp-central: the central server. HTTPS only, with mutual TLS: every client presents a
// certificate from the ministry CA naming its site or role.
//
//   mpp-central --data DIR --listen HOST:PORT --cert FILE --key FILE --ca FILE [--crl FILE]
//               [--config FILE] [--log-level LEVEL] [--workers N]
//
// Prints "listening HOST:PORT" on stdout once it accepts connections. SIGINT/SIGTERM stop it.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "node/central/central_api.h"
#include "node/common/daemon.h"
#include "node/common/options.h"
#include "schema/migrations.h"
#include "sync/core/log.h"
#include "sync/protocol/messages.h"
#include "sync/store/central_store.h"

namespace {

constexpr const char* kUsage =
    "usage: mpp-central --data DIR --listen HOST:PORT --cert FILE --key FILE --ca FILE\n"
    "                   [--crl FILE] [--config FILE] [--log-level LEVEL] [--workers N]\n"
    "  --data DIR     holds central.db (created on first start)\n"
    "  --cert/--key   the centre's server certificate and key (PEM)\n"
    "  --ca           the ministry CA that signs site, ministry and operator certificates\n"
    "  --crl          the CA's CRL; re-read when it changes, revoked clients are refused\n"
    "  --config FILE  JSON object with the same keys (data, listen, cert, key, ca, crl, ...)\n";

int Usage(const std::string& problem) {
  std::cerr << "mpp-central: " << problem << "\n" << kUsage;
  return 2;
}

int Run(int argc, char** argv) {
  auto opt = mpp::cli::ParseOptions(
      argc, argv, {"data", "listen", "cert", "key", "ca", "crl", "log-level", "workers"});
  if (!opt) return Usage(opt.error().message);
  if (opt->count("help")) {
    std::cout << kUsage;
    return 0;
  }
  for (const char* required : {"data", "listen", "cert", "key", "ca"}) {
    if (!opt->count(required)) return Usage(std::string("--") + required + " is required");
  }
  auto listen = mpp::cli::ParseListen(opt->at("listen"));
  if (!listen) return Usage(listen.error().message);
  if (auto s = mpp::cli::ApplyLogLevel(opt->count("log-level") ? opt->at("log-level") : "info");
      !s) {
    return Usage(s.error().message);
  }
  const int workers = opt->count("workers") ? std::atoi(opt->at("workers").c_str()) : 4;
  if (workers < 1 || workers > 64) return Usage("--workers must be 1 to 64");

  mpp::cli::BlockStopSignals();
  std::error_code ec;
  std::filesystem::create_directories(opt->at("data"), ec);
  mpp::SystemClock clock;
  auto store = mpp::store::OpenSqliteCentralStore(opt->at("data") + "/central.db", clock);
  if (!store) {
    mpp::Log(mpp::LogLevel::kError, "open_failed",
             {{"code", std::string(mpp::ErrcName(store.error().code))},
              {"message", store.error().message}});
    return 1;
  }
  mpp::central::CentralApi api(**store, clock, mpp::schema::Migrations().back().version);
  mpp::net::HttpServerOptions options;
  options.host = listen->first;
  options.port = listen->second;
  options.worker_threads = workers;
  options.body_limit = mpp::protocol::kMaxSyncBody;
  options.tls = mpp::net::TlsServerConfig{opt->at("cert"), opt->at("key"), opt->at("ca"),
                                          opt->count("crl") ? opt->at("crl") : ""};
  return mpp::cli::ServeUntilSignalled(
      options, [&api](const mpp::net::HttpRequest& r) { return api.Handle(r); }, "mpp-central");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpp-central: fatal: %s\n", e.what());
    return 1;
  }
}
