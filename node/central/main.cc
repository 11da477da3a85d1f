// mpp-central: the central server. HTTPS only, with mutual TLS: every client presents a
// certificate from the ministry CA naming its site or role.
//
//   mpp-central --data DIR --listen HOST:PORT --cert FILE --key FILE --ca FILE [--crl FILE]
//               [--nik-sealing-key FILE[,FILE...]] [--citizen-key FILE]
//               [--config FILE] [--log-level LEVEL] [--workers N] [--rate-limit N] [--timeout S]
//   mpp-central import FILE  (same flags; a site's USB bundle, node/central/bundles.h)
//   mpp-central export --site CODE --out FILE  (same flags; a bundle for the site)
//
// Prints "listening HOST:PORT" on stdout once it accepts connections. SIGINT/SIGTERM stop it.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "node/central/bundles.h"
#include "node/central/central_api.h"
#include "node/common/daemon.h"
#include "node/common/dir_lock.h"
#include "node/common/options.h"
#include "node/common/private_files.h"
#include "schema/migrations.h"
#include "sync/core/log.h"
#include "sync/protocol/messages.h"
#include "sync/store/central_store.h"

namespace {

constexpr const char* kUsage =
    "usage: mpp-central --data DIR --listen HOST:PORT --cert FILE --key FILE --ca FILE\n"
    "                   [--crl FILE] [--config FILE] [--log-level LEVEL] [--workers N]\n"
    "                   [--rate-limit N] [--timeout S] [--max-connections N]\n"
    "                   [--max-per-address N] [--nik-sealing-key FILE[,FILE...]]\n"
    "                   [--citizen-key FILE]\n"
    "  --data DIR     holds central.db (created on first start)\n"
    "  --cert/--key   the centre's server certificate and key (PEM)\n"
    "  --ca           the ministry CA that signs site, ministry and operator certificates\n"
    "  --crl          the CA's CRL; re-read when it changes, revoked clients are refused\n"
    "  --rate-limit N requests a second each certificate may make (bursts of 2N); beyond:\n"
    "                 429 rate_limited with Retry-After. Default 50; 0 turns it off\n"
    "  --timeout S    a connection that takes longer than S seconds (default 30) to finish\n"
    "                 its TLS handshake or to send a request is dropped (slow-drip clients)\n"
    "  --max-connections N  connections open at once (default: the open-files limit less 64)\n"
    "  --max-per-address N  connections open at once from one IP address (default 64)\n"
    "  --nik-sealing-key FILES  the ministry's NIK sealing private keys (PEM, comma-separated:\n"
    "                 the current one and any older one sites may still seal with)\n"
    "  --citizen-key FILE  the national citizen key (32 bytes or more): the centre makes\n"
    "                 each citizen_ref with it from the NIK a site sealed. Both keys are kept\n"
    "                 outside DIR, so that a copy of the database carries no key\n"
    "  --config FILE  JSON object with the same keys (data, listen, cert, key, ca, crl, ...)\n"
    "USB bundles, with the same flags or --config, while the daemon is stopped:\n"
    "  mpp-central import FILE                    take a site's bundle (mppctl export)\n"
    "  mpp-central export --site CODE --out FILE  a bundle for the site (mppctl import)\n";

int Usage(const std::string& problem) {
  std::cerr << "mpp-central: " << problem << "\n" << kUsage;
  return 2;
}

mpp::Result<std::string> ReadKeyFile(const std::string& flag, std::string path) {
  while (!path.empty() && path.front() == ' ') path.erase(0, 1);
  while (!path.empty() && path.back() == ' ') path.pop_back();
  if (path.empty()) return mpp::MakeError(mpp::Errc::kConfig, "--" + flag + " names no file");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return mpp::MakeError(mpp::Errc::kConfig,
                          "cannot read " + path + " (--" + flag + "): " + std::strerror(errno));
  }
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The keys that open the NIKs sites seal; none (with a warning) when neither flag is given.
mpp::Result<std::shared_ptr<const mpp::CitizenKeys>> CitizenKeysFromFlags(
    const mpp::common::Options& opt) {
  if (!opt.count("nik-sealing-key") && !opt.count("citizen-key")) {  // a demo
    mpp::Log(mpp::LogLevel::kWarn, "no_citizen_keys",
             {{"message",
               "no --nik-sealing-key and --citizen-key: sealed NIKs are kept unopened and "
               "applications get no citizen_ref until they are given"}});
    return std::shared_ptr<const mpp::CitizenKeys>();
  }
  if (!opt.count("nik-sealing-key") || !opt.count("citizen-key")) {
    return mpp::MakeError(mpp::Errc::kConfig,
                          "--nik-sealing-key and --citizen-key go together: one opens the NIK "
                          "a site sealed, the other makes its citizen_ref");
  }
  auto keys = std::make_shared<mpp::CitizenKeys>();
  std::stringstream list(opt.at("nik-sealing-key"));
  for (std::string path; std::getline(list, path, ',');) {
    MPP_ASSIGN_OR_RETURN(auto pem, ReadKeyFile("nik-sealing-key", path));
    if (auto s = keys->AddSealingKey(pem); !s) {
      return mpp::MakeError(mpp::Errc::kConfig, path + ": " + s.error().message);
    }
  }
  MPP_ASSIGN_OR_RETURN(auto citizen, ReadKeyFile("citizen-key", opt.at("citizen-key")));
  if (auto s = keys->SetCitizenKey(citizen); !s) {
    return mpp::MakeError(mpp::Errc::kConfig, opt.at("citizen-key") + ": " + s.error().message);
  }
  mpp::Log(mpp::LogLevel::kInfo, "citizen_keys_loaded",
           {{"citizen_key", keys->citizen_key_id()}, {"sealing_keys", keys->sealing_key_ids()}});
  return std::shared_ptr<const mpp::CitizenKeys>(std::move(keys));
}

int Run(int argc, char** argv) {
  mpp::common::KeepFilesPrivate();
  mpp::common::OptionSpec spec;
  spec.valued = {"data",
                 "listen",
                 "cert",
                 "key",
                 "ca",
                 "crl",
                 "log-level",
                 "workers",
                 "rate-limit",
                 "timeout",
                 "max-connections",
                 "max-per-address",
                 "nik-sealing-key",
                 "citizen-key",
                 "site",
                 "out"};
  spec.max_positional = 2;  // import FILE | export
  spec.config_file = true;
  auto line = mpp::common::ParseOptions(argc, argv, spec);
  if (!line) return Usage(line.error().message);
  auto opt = &line->options;
  if (opt->count("help")) {
    std::cout << kUsage;
    return 0;
  }
  const std::string command = line->positional.empty() ? "" : line->positional[0];
  if (!command.empty()) {
    if (command != "import" && command != "export") return Usage("unknown command " + command);
    if (!opt->count("data")) return Usage("--data is required");
    if (auto s =
            mpp::common::ApplyLogLevel(opt->count("log-level") ? opt->at("log-level") : "warn");
        !s) {
      return Usage(s.error().message);
    }
    if (command == "import") {
      if (line->positional.size() != 2) return Usage("import needs the bundle's FILE");
      if (!opt->count("ca")) return Usage("import needs --ca (and --crl) to check the signer");
      auto keys = CitizenKeysFromFlags(*opt);
      if (!keys) return Usage(keys.error().message);
      return mpp::central::ImportBundle(*opt, line->positional[1], *keys);
    }
    if (line->positional.size() != 1) return Usage("export takes no FILE: --out FILE");
    for (const char* required : {"site", "out", "cert", "key"}) {
      if (!opt->count(required)) return Usage(std::string("export needs --") + required);
    }
    return mpp::central::ExportBundle(*opt);
  }
  if (!line->positional.empty() || opt->count("site") || opt->count("out")) {
    return Usage("--site and --out go with export");
  }
  for (const char* required : {"data", "listen", "cert", "key", "ca"}) {
    if (!opt->count(required)) return Usage(std::string("--") + required + " is required");
  }
  auto options = mpp::common::ServerFlags(*opt, opt->at("listen"));
  if (!options) return Usage(options.error().message);
  auto rate = mpp::common::WholeNumberFlag(*opt, "rate-limit", 50, 0, 100000, " (0: no limit)");
  if (!rate) return Usage(rate.error().message);
  auto timeout = mpp::common::WholeNumberFlag(*opt, "timeout", 30, 1, 3600, " seconds");
  if (!timeout) return Usage(timeout.error().message);

  mpp::common::BlockStopSignals();
  if (auto s = mpp::common::MakePrivateDirectory(opt->at("data")); !s) {
    mpp::Log(
        mpp::LogLevel::kError, "start_failed",
        {{"code", std::string(mpp::ErrcName(s.error().code))}, {"message", s.error().message}});
    return 1;
  }
  // One process writes central.db: the daemon, or an import or export run while it is stopped.
  auto lock = mpp::common::DirLock::Acquire(opt->at("data"), "mpp-central");
  if (!lock) {
    mpp::Log(mpp::LogLevel::kError, "start_failed",
             {{"code", std::string(mpp::ErrcName(lock.error().code))},
              {"message", lock.error().message}});
    return 1;
  }
  auto keys = CitizenKeysFromFlags(*opt);
  if (!keys) {
    mpp::Log(mpp::LogLevel::kError, "start_failed",
             {{"code", std::string(mpp::ErrcName(keys.error().code))},
              {"message", keys.error().message}});
    return 1;
  }
  mpp::SystemClock clock;
  auto store =
      mpp::store::OpenSqliteCentralStore(opt->at("data") + "/central.db", clock, {}, *keys);
  if (!store) {
    mpp::Log(mpp::LogLevel::kError, "open_failed",
             {{"code", std::string(mpp::ErrcName(store.error().code))},
              {"message", store.error().message}});
    return 1;
  }
  mpp::central::CentralApi api(**store, clock, mpp::schema::Migrations().back().version);
  api.LimitRate(static_cast<double>(*rate), 2.0 * static_cast<double>(*rate));
  options->timeout = std::chrono::seconds(*timeout);
  options->body_limit = mpp::protocol::kMaxSyncBody;
  options->tls = mpp::net::TlsServerConfig{opt->at("cert"), opt->at("key"), opt->at("ca"),
                                           opt->count("crl") ? opt->at("crl") : ""};
  // Every refused TLS client in the audit log (bounded by the server: 10 a minute per address, 300
  // in all).
  options->on_tls_refusal = [&store](const mpp::net::HttpServerOptions::TlsRefusal& r) {
    std::string detail = r.reason;
    if (!r.certificate.empty()) detail += "; certificate " + r.certificate;
    if (r.suppressed > 0) detail += "; " + std::to_string(r.suppressed) + " more not recorded";
    (void)(*store)->Audit("tls:" + r.address, "TLS handshake",
                          mpp::MakeError(mpp::Errc::kUnauthenticated, detail));
  };
  return mpp::common::ServeUntilSignalled(
      *options, [&api](const mpp::http::Request& r) { return api.Handle(r); }, "mpp-central");
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
