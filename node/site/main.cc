// mpp-node: the site daemon. Serves the office API over local HTTP from the site database.
//
//   mpp-node --data DIR [--listen 127.0.0.1:8080] [--config FILE] [--log-level LEVEL]
//            [--workers N]
//
// On start it prints "listening HOST:PORT" on stdout (PORT is the real one when 0 was asked),
// then logs structured lines on stderr. SIGINT/SIGTERM stop it gracefully; saved records are
// already on disk, so kill -9 loses nothing acknowledged.
#include <cstdio>
#include <iostream>
#include <string>

#include "node/common/daemon.h"
#include "node/common/dir_lock.h"
#include "node/common/options.h"
#include "node/site/office_api.h"
#include "sync/core/log.h"
#include "sync/store/site_store.h"

namespace {

constexpr const char* kUsage =
    "usage: mpp-node --data DIR [--listen HOST:PORT] [--config FILE] [--log-level "
    "debug|info|warn|error] [--workers N]\n"
    "  --data DIR      data directory made by `mppctl init` (holds site.db)\n"
    "  --listen        address of the office API (default 127.0.0.1:8080; port 0 = any)\n"
    "  --config FILE   JSON object with the same keys: data, listen, log_level, workers\n";

int Usage(const std::string& problem) {
  std::cerr << "mpp-node: " << problem << "\n" << kUsage;
  return 2;
}

int Run(int argc, char** argv) {
  auto opt = mpp::common::ParseOptions(argc, argv, {"data", "listen", "log-level", "workers"});
  if (!opt) return Usage(opt.error().message);
  if (opt->count("help")) {
    std::cout << kUsage;
    return 0;
  }
  if (!opt->count("data")) return Usage("--data is required");
  auto options = mpp::common::ServerFlags(*opt, "127.0.0.1:8080");
  if (!options) return Usage(options.error().message);

  auto lock = mpp::common::DirLock::Acquire(opt->at("data"), "mpp-node");
  if (!lock) {
    mpp::Log(mpp::LogLevel::kError, "start_failed",
             {{"code", std::string(mpp::ErrcName(lock.error().code))},
              {"message", lock.error().message}});
    return 1;
  }
  mpp::common::BlockStopSignals();
  mpp::SystemClock clock;
  mpp::CryptoRandom random;
  auto store = mpp::store::SiteStore::Open(opt->at("data") + "/site.db", clock, random);
  if (!store) {
    mpp::Log(mpp::LogLevel::kError, "open_failed",
             {{"code", std::string(mpp::ErrcName(store.error().code))},
              {"message", store.error().message}});
    return 1;
  }
  mpp::site::OfficeApi api((*store)->office());
  return mpp::common::ServeUntilSignalled(
      *options, [&api](const mpp::http::Request& r) { return api.Handle(r); },
      "mpp-node site=" + (*store)->site_code());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpp-node: fatal: %s\n", e.what());
    return 1;
  }
}
