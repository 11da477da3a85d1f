// mpp-node: the site daemon. Serves the office API over local HTTP from the site database.
//
//   mpp-node --data DIR [--listen 127.0.0.1:8080] [--allow-lan] [--allow-host NAMES]
//            [--config FILE] [--log-level LEVEL] [--workers N]
//
// On start it prints "listening HOST:PORT" on stdout (PORT is the real one when 0 was asked),
// then logs structured lines on stderr. SIGINT/SIGTERM stop it gracefully; saved records are
// already on disk, so kill -9 loses nothing acknowledged.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "node/common/daemon.h"
#include "node/common/dir_lock.h"
#include "node/common/options.h"
#include "node/common/private_files.h"
#include "node/site/node_metrics.h"
#include "node/site/office_api.h"
#include "node/site/sync_agent.h"
#include "schema/migrations.h"
#include "sync/core/log.h"
#include "sync/store/site_store.h"

namespace {

constexpr const char* kUsage =
    "usage: mpp-node --data DIR [--listen HOST:PORT] [--allow-lan] [--allow-host NAMES]\n"
    "                [--config FILE] [--log-level debug|info|warn|error] [--workers N]\n"
    "  --data DIR      data directory made by `mppctl init` (holds site.db)\n"
    "  --listen        address of the office API (default 127.0.0.1:8080; port 0 = any)\n"
    "  --allow-lan     accept a --listen address other than loopback (the office API has no\n"
    "                  accounts yet: anyone who reaches it can read and write)\n"
    "  --allow-host    comma-separated host names the API answers to besides IP addresses\n"
    "                  and localhost (a browser's Host header; refused otherwise)\n"
    "  --max-connections N  connections open at once (default: open-files limit less 64)\n"
    "  --max-per-address N  connections open at once from one IP address (default 64)\n"
    "  --sync-every S  sync with the centre every S seconds in the background (off by\n"
    "                  default): when the centre answers; backing off after failures; never\n"
    "                  at once with a manual mppctl sync (the settings of mppctl init/config)\n"
    "  --sync-window HH:MM-HH:MM  only in this daily window, the site's local time\n"
    "                  (e.g. 17:00-07:30: outside office hours)\n"
    "  --sync-limit-kbps N  keep the background sync under N kbit/s\n"
    "  --config FILE   JSON object with the same keys: data, listen, log_level, workers,\n"
    "                  sync_every, sync_window, sync_limit_kbps, ...\n";

// 127.0.0.0/8 and ::1: only this PC reaches them.
bool IsLoopback(const std::string& host) {
  unsigned char a[16];
  if (inet_pton(AF_INET, host.c_str(), a) == 1) return a[0] == 127;
  static const unsigned char kOne[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return inet_pton(AF_INET6, host.c_str(), a) == 1 && std::equal(a, a + 16, kOne);
}

int Usage(const std::string& problem) {
  std::cerr << "mpp-node: " << problem << "\n" << kUsage;
  return 2;
}

int Run(int argc, char** argv) {
  mpp::common::KeepFilesPrivate();
  auto line = mpp::common::ParseOptions(
      argc, argv,
      {.valued = {"data", "listen", "log-level", "workers", "allow-host", "max-connections",
                  "max-per-address", "sync-every", "sync-window", "sync-limit-kbps"},
       .switches = {"allow-lan"},
       .config_file = true});
  if (!line) return Usage(line.error().message);
  const mpp::common::Options* opt = &line->options;
  if (opt->count("help")) {
    std::cout << kUsage;
    return 0;
  }
  if (!opt->count("data")) return Usage("--data is required");
  auto options = mpp::common::ServerFlags(*opt, "127.0.0.1:8080");
  if (!options) return Usage(options.error().message);
  if (!IsLoopback(options->host) && !opt->count("allow-lan")) {
    return Usage("--listen " + options->host +
                 " reaches beyond this PC, and the office API has no accounts yet: anyone on "
                 "the network could read and write the site's records. Listen on 127.0.0.1, "
                 "or pass --allow-lan to accept that");
  }
  auto every = mpp::common::WholeNumberFlag(*opt, "sync-every", 0, 0, 86'400, " seconds (0: off)");
  if (!every) return Usage(every.error().message);
  auto kbps = mpp::common::WholeNumberFlag(*opt, "sync-limit-kbps", 0, 0, 1'000'000,
                                           " kbit/s (0: no limit)");
  if (!kbps) return Usage(kbps.error().message);
  std::optional<mpp::replicator::SyncWindow> window;
  if (opt->count("sync-window")) {
    auto w = mpp::replicator::SyncWindow::Parse(opt->at("sync-window"));
    if (!w) return Usage(w.error().message);
    window = *w;
  }
  if (*every == 0 && (window || *kbps > 0)) {
    return Usage("--sync-window and --sync-limit-kbps go with --sync-every S");
  }
  std::set<std::string> hosts;
  if (opt->count("allow-host")) {
    std::string names = opt->at("allow-host");
    std::transform(names.begin(), names.end(), names.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (size_t start = 0; start <= names.size();) {
      const size_t comma = std::min(names.find(',', start), names.size());
      if (comma > start) hosts.insert(names.substr(start, comma - start));
      start = comma + 1;
    }
  }

  auto lock = mpp::common::DirLock::Acquire(opt->at("data"), "mpp-node");
  if (!lock) {
    mpp::Log(mpp::LogLevel::kError, "start_failed",
             {{"code", std::string(mpp::ErrcName(lock.error().code))},
              {"message", lock.error().message}});
    return 1;
  }
  if (auto s = mpp::common::MakePrivateDirectory(opt->at("data")); !s) {
    mpp::Log(
        mpp::LogLevel::kError, "start_failed",
        {{"code", std::string(mpp::ErrcName(s.error().code))}, {"message", s.error().message}});
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
  mpp::http::Metrics metrics;
  mpp::site::OfficeApi api((*store)->office(), std::move(hosts), &metrics, [&store, &opt, &clock] {
    return mpp::site::NodeGauges(**store, opt->at("data"), clock);
  });
  std::unique_ptr<mpp::site::SyncAgent> agent;
  if (*every > 0) {
    agent = std::make_unique<mpp::site::SyncAgent>(
        **store,
        mpp::site::AgentOptions{opt->at("data"), *every, window, *kbps,
                                mpp::schema::Migrations().back().version},
        clock, random);
    agent->Start();
  }
  const int code = mpp::common::ServeUntilSignalled(
      *options, [&api](const mpp::http::Request& r) { return api.Handle(r); },
      "mpp-node site=" + (*store)->site_code());
  if (agent) agent->Stop();  // a sync in progress ends after its batch
  return code;
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
