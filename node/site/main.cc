// mpp-node: the site daemon. Serves the office API over local HTTP from the site database.
//
//   mpp-node --data DIR --listen 127.0.0.1:8080 [--config FILE] [--log-level LEVEL]
//
// On start it prints "listening HOST:PORT" on stdout (PORT is the real one when 0 was asked),
// then logs structured lines on stderr. SIGINT/SIGTERM stop it gracefully; saved records are
// already on disk, so kill -9 loses nothing acknowledged.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "node/site/office_api.h"
#include "sync/core/json_util.h"
#include "sync/core/log.h"
#include "sync/net/http_server.h"
#include "sync/store/site_store.h"

namespace {

constexpr const char* kUsage =
    "usage: mpp-node --data DIR [--listen HOST:PORT] [--config FILE] [--log-level "
    "debug|info|warn|error] [--workers N]\n"
    "  --data DIR      data directory made by `mppctl init` (holds site.db)\n"
    "  --listen        address of the office API (default 127.0.0.1:8080; port 0 = any)\n"
    "  --config FILE   JSON object with the same keys: data, listen, log_level, workers\n";

struct Config {
  std::string data;
  std::string listen = "127.0.0.1:8080";
  std::string log_level = "info";
  int workers = 4;
};

int Usage(const std::string& problem) {
  std::cerr << "mpp-node: " << problem << "\n" << kUsage;
  return 2;
}

mpp::Status LoadConfigFile(const std::string& path, Config& c) {
  std::ifstream in(path);
  if (!in) return mpp::MakeError(mpp::Errc::kConfig, "cannot read config file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = mpp::ParseJson(text);
  if (!j) return mpp::MakeError(mpp::Errc::kConfig, path + ": " + j.error().message);
  if (!j->is_object()) return mpp::MakeError(mpp::Errc::kConfig, path + ": must be a JSON object");
  for (const auto& [k, v] : j->items()) {
    if (k == "data" && v.is_string()) {
      c.data = v;
    } else if (k == "listen" && v.is_string()) {
      c.listen = v;
    } else if (k == "log_level" && v.is_string()) {
      c.log_level = v;
    } else if (k == "workers" && v.is_number_integer()) {
      c.workers = v;
    } else {
      return mpp::MakeError(mpp::Errc::kConfig, path + ": unknown or mistyped key '" + k + "'");
    }
  }
  return {};
}

int Run(int argc, char** argv) {
  Config c;
  std::string config_file;
  Config flags;
  bool has[4] = {};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= argc) return Usage(a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--data") {
      flags.data = v, has[0] = true;
    } else if (a == "--listen") {
      flags.listen = v, has[1] = true;
    } else if (a == "--log-level") {
      flags.log_level = v, has[2] = true;
    } else if (a == "--workers") {
      flags.workers = std::atoi(v.c_str()), has[3] = true;
    } else if (a == "--config") {
      config_file = v;
    } else {
      return Usage("unknown option " + a);
    }
  }
  if (!config_file.empty()) {
    if (auto s = LoadConfigFile(config_file, c); !s) return Usage(s.error().message);
  }
  if (has[0]) c.data = flags.data;
  if (has[1]) c.listen = flags.listen;
  if (has[2]) c.log_level = flags.log_level;
  if (has[3]) c.workers = flags.workers;
  if (c.data.empty()) return Usage("--data is required");
  if (c.workers < 1 || c.workers > 64) return Usage("--workers must be 1 to 64");
  const auto colon = c.listen.rfind(':');
  if (colon == std::string::npos) return Usage("--listen must be HOST:PORT");
  const int port = std::atoi(c.listen.c_str() + colon + 1);
  if (port < 0 || port > 65535) return Usage("--listen port must be 0 to 65535");
  if (c.log_level == "debug") {
    mpp::SetLogLevel(mpp::LogLevel::kDebug);
  } else if (c.log_level == "warn") {
    mpp::SetLogLevel(mpp::LogLevel::kWarn);
  } else if (c.log_level == "error") {
    mpp::SetLogLevel(mpp::LogLevel::kError);
  } else if (c.log_level != "info") {
    return Usage("--log-level must be debug, info, warn or error");
  }

  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  mpp::SystemClock clock;
  mpp::CryptoRandom random;
  auto store = mpp::store::SiteStore::Open(c.data + "/site.db", clock, random);
  if (!store) {
    mpp::Log(mpp::LogLevel::kError, "open_failed",
             {{"code", std::string(mpp::ErrcName(store.error().code))},
              {"message", store.error().message}});
    return 1;
  }
  mpp::site::OfficeApi api(**store);
  mpp::net::HttpServerOptions options;
  options.host = c.listen.substr(0, colon);
  options.port = static_cast<uint16_t>(port);
  options.worker_threads = c.workers;
  auto server = mpp::net::HttpServer::Start(
      options, [&api](const mpp::net::HttpRequest& r) { return api.Handle(r); });
  if (!server) {
    mpp::Log(mpp::LogLevel::kError, "listen_failed", {{"message", server.error().message}});
    return 1;
  }
  std::printf("listening %s:%u\n", options.host.c_str(), (*server)->port());
  std::fflush(stdout);
  mpp::Log(mpp::LogLevel::kInfo, "started",
           {{"site", (*store)->site_code()},
            {"listen", options.host + ":" + std::to_string((*server)->port())}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  mpp::Log(mpp::LogLevel::kInfo, "stopping", {{"signal", std::to_string(sig)}});
  (*server)->Stop();
  return 0;
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
