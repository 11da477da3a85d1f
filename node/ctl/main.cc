// mppctl: the technician's tool.
//
//   mppctl init --site CODE --data DIR [--nik-sealing-key FILE] [sync options]
//   mppctl --data DIR status [--json]
//   mppctl --data DIR sync [sync options] [--timeout S] [--json]
//   mppctl --data DIR verify [sync options] [--timeout S]
//   mppctl --data DIR conflicts
//   mppctl generate --node HOST:PORT [--visits N] [--seed S]
//
// sync options: --central HOST:PORT --cert FILE --key FILE --ca FILE; `init` stores them in
// DIR/sync.json so later commands need only --data.
//
// Options may come before or after the command; `--help` prints the usage.
//
// Exit status (Exit below; docs/operations.md): 0 done, 1 refused for what was sent, 2 bad
// usage, 3 the centre unreachable, 4 refused (TLS, certificate, role), 5 verify found
// differences, 6 a local problem (disk, database, data directory, configuration).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "node/common/dir_lock.h"
#include "node/common/options.h"
#include "node/common/private_files.h"
#include "node/ctl/demo_generator.h"
#include "node/ctl/https_transport.h"
#include "schema/migrations.h"
#include "sync/core/json.h"
#include "sync/net/http_client.h"
#include "sync/net/tls.h"
#include "sync/protocol/wire.h"
#include "sync/store/site_store.h"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  mppctl init --site CODE --data DIR [--nik-sealing-key FILE]\n"
    "      create a site database with the reference data, and DIR/site-ref.key, this\n"
    "      site's own key for finding citizens by NIK. FILE is the ministry's public NIK\n"
    "      sealing key (PEM): each NIK goes to the centre sealed with it. Without it the\n"
    "      centre gets no national reference of this site's citizens (fit only for a demo)\n"
    "  mppctl --data DIR config [--central HOST:PORT] [--cert FILE] [--key FILE] [--ca FILE]\n"
    "                           [--nik-sealing-key FILE]\n"
    "      set or change the sync settings (DIR/sync.json) or the ministry's public NIK\n"
    "      sealing key of an initialised site (restart mpp-node after a new sealing key)\n"
    "  mppctl --data DIR status [--json]\n"
    "      what this site holds and how much is waiting to sync (works with mpp-node running)\n"
    "  mppctl --data DIR sync [--json] [--timeout S]\n"
    "      push this site's pending changes to the centre and pull what is new (progress on\n"
    "      stderr; prints what moved). A request unanswered for S seconds (default 120) fails\n"
    "      the sync: the link stalled; what was acknowledged stays acknowledged\n"
    "  mppctl --data DIR verify [--timeout S] [--json]\n"
    "      compare this site's data with the centre's copy, table by table\n"
    "  mppctl --data DIR conflicts [--json]\n"
    "      concurrent edits this site has seen, with both values and the winner\n"
    "  mppctl generate --node HOST:PORT [--visits N] [--seed S]\n"
    "      record N realistic citizen visits through a running node's office API\n"
    "sync options (stored by init in DIR/sync.json): --central HOST:PORT --cert FILE --key FILE\n"
    "  --ca FILE   (the site's certificate and key, and the ministry CA)\n"
    "mppctl help | --help | --version\n"
    "exit status: 0 done, 1 refused by the centre for what was sent (or a bug), 2 usage,\n"
    "  3 centre unreachable (link down, no answer: try again), 4 refused (certificate\n"
    "  revoked, expired or unknown; role; site), 5 verify found differences, 6 a local\n"
    "  problem (disk, database, data directory, configuration)\n";

int Usage(const std::string& problem) {
  std::cerr << "mppctl: " << problem << "\n" << kUsage;
  return 2;
}

// The exit status a script can act on (docs/operations.md, "Exit status").
enum Exit : int {
  kExitDone = 0,
  kExitFailed = 1,       // the centre refused the request for what it says, or a bug
  kExitUsage = 2,        // a wrong command line
  kExitUnreachable = 3,  // no link to the centre, or no answer: try again later
  kExitRefused = 4,      // the centre or TLS refused this site: certificate, role, site code
  kExitDiffers = 5,      // verify: the site and the centre hold different data
  kExitLocal = 6,        // a problem here: disk, database, data directory, configuration
};

int ExitFor(mpp::Errc code) {
  switch (code) {
    case mpp::Errc::kUnreachable:
    case mpp::Errc::kRateLimited:
      return kExitUnreachable;
    case mpp::Errc::kTlsRefused:
    case mpp::Errc::kUnauthenticated:
    case mpp::Errc::kForbiddenRole:
    case mpp::Errc::kUnknownSite:
      return kExitRefused;
    case mpp::Errc::kStorage:
    case mpp::Errc::kDiskFull:
    case mpp::Errc::kNotInitialised:
    case mpp::Errc::kAlreadyInitialised:
    case mpp::Errc::kSchemaTooNew:
    case mpp::Errc::kInUse:
    case mpp::Errc::kConfig:
      return kExitLocal;
    default:
      return kExitFailed;
  }
}

int Fail(const mpp::Error& e) {
  std::cerr << "mppctl: " << mpp::ErrcName(e.code) << ": " << e.message << "\n";
  return ExitFor(e.code);
}

mpp::Status SaveSyncSettings(const std::map<std::string, std::string>& opt);

// HOST:PORT, not a URL.
mpp::Status CheckCentral(const std::string& c) {
  if (c.find("://") != std::string::npos || c.rfind(':') == std::string::npos) {
    return mpp::MakeError(mpp::Errc::kConfig,
                          "--central is HOST:PORT (e.g. 10.20.0.5:8443), not a URL: '" + c + "'");
  }
  return {};
}

int Init(const std::map<std::string, std::string>& opt) {
  if (!opt.count("site") || !opt.count("data")) return Usage("init needs --site and --data");
  // Everything is checked before anything is made, and a failed init leaves nothing behind.
  const bool sync_given =
      opt.count("central") || opt.count("cert") || opt.count("key") || opt.count("ca");
  if (sync_given) {
    for (const char* k : {"central", "cert", "key", "ca"}) {
      if (!opt.count(k)) {
        return Usage(std::string("init with sync settings needs --central, --cert, --key and "
                                 "--ca (--") +
                     k + " is missing); or set them later with mppctl config");
      }
    }
    if (auto s = CheckCentral(opt.at("central")); !s) return Usage(s.error().message);
    if (auto s = mpp::net::CheckOwnCertificate({opt.at("cert"), opt.at("key"), opt.at("ca"), ""},
                                               "mpp:site:" + opt.at("site"));
        !s) {
      return Fail(s.error());
    }
  }
  mpp::store::InitOptions init{opt.at("site"), ""};
  if (opt.count("nik-sealing-key")) {
    std::ifstream in(opt.at("nik-sealing-key"), std::ios::binary);
    if (!in) {
      return Fail(mpp::MakeError(mpp::Errc::kConfig, "cannot read " + opt.at("nik-sealing-key")));
    }
    init.sealing_key_pem.assign(std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>());
  } else {
    std::cerr << "mppctl: warning: no --nik-sealing-key; NIKs will not be sealed for the "
                 "centre, which then cannot count this site's citizens nationally (fine for a "
                 "demo, not for production)\n";
  }
  const std::string dir = opt.at("data");
  const bool dir_existed = std::filesystem::exists(dir);
  if (auto s = mpp::common::MakePrivateDirectory(dir); !s) return Fail(s.error());
  auto fail_init = [&](const mpp::Error& e) {
    std::error_code ec;
    if (!dir_existed) std::filesystem::remove(dir, ec);  // only if it is still empty
    return Fail(e);
  };
  mpp::SystemClock clock;
  mpp::CryptoRandom random;
  if (auto s = mpp::store::SiteStore::Initialise(dir + "/site.db", init, clock, random); !s) {
    if (s.error().code == mpp::Errc::kConfig && opt.count("nik-sealing-key")) {
      return fail_init(
          mpp::MakeError(s.error().code, opt.at("nik-sealing-key") + ": " + s.error().message));
    }
    return fail_init(s.error());
  }
  if (sync_given) {
    if (auto s = SaveSyncSettings(opt); !s) return Fail(s.error());
  }
  std::cout << "initialised site " << init.site_code << " in " << dir << "/site.db\n";
  return 0;
}

// Writes the sync options given into DIR/sync.json, keeping the ones not given.
mpp::Status SaveSyncSettings(const std::map<std::string, std::string>& opt) {
  const std::string path = opt.at("data") + "/sync.json";
  mpp::Json sync = mpp::Json::object();
  if (std::ifstream in(path); in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto j = mpp::ParseJson(text);
    if (!j || !j->is_object()) {
      return mpp::MakeError(mpp::Errc::kConfig, path + " is not a JSON object: move it away");
    }
    sync = *j;
  }
  if (opt.count("central")) {
    MPP_RETURN_IF_ERROR(CheckCentral(opt.at("central")));
    sync["central"] = opt.at("central");
  }
  for (const char* k : {"cert", "key", "ca"}) {
    if (opt.count(k)) sync[k] = std::filesystem::absolute(opt.at(k)).string();
  }
  std::ofstream out(path, std::ios::trunc);
  out << sync.dump(2) << "\n";
  if (!out) return mpp::MakeError(mpp::Errc::kStorage, "cannot write " + path);
  return {};
}

int Config(const std::map<std::string, std::string>& opt) {
  if (!opt.count("data")) return Usage("config needs --data");
  bool sync_given = false;
  for (const char* k : {"central", "cert", "key", "ca"}) sync_given = sync_given || opt.count(k);
  if (!sync_given && !opt.count("nik-sealing-key")) {
    return Usage(
        "config needs something to set: --central, --cert, --key, --ca or "
        "--nik-sealing-key");
  }
  mpp::SystemClock clock;
  mpp::CryptoRandom random;
  auto store = mpp::store::SiteStore::Open(opt.at("data") + "/site.db", clock, random);
  if (!store) return Fail(store.error());
  if (opt.count("nik-sealing-key")) {
    std::ifstream in(opt.at("nik-sealing-key"), std::ios::binary);
    if (!in) {
      return Fail(mpp::MakeError(mpp::Errc::kConfig, "cannot read " + opt.at("nik-sealing-key")));
    }
    const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto s = (*store)->SetSealingKey(pem); !s) {
      return Fail(
          mpp::MakeError(s.error().code, opt.at("nik-sealing-key") + ": " + s.error().message));
    }
    std::cout << "NIK sealing key set; restart mpp-node so that it seals with it\n";
  }
  if (sync_given) {
    if (opt.count("cert") || opt.count("key") || opt.count("ca")) {  // the files as they will be
      std::map<std::string, std::string> files;
      if (std::ifstream in(opt.at("data") + "/sync.json"); in) {
        auto j = mpp::ParseJson(
            std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
        if (j && j->is_object()) {
          for (const auto& [k, v] : j->items()) {
            if (v.is_string()) files[k] = v.get<std::string>();
          }
        }
      }
      for (const char* k : {"cert", "key", "ca"}) {
        if (opt.count(k)) files[k] = opt.at(k);
      }
      if (files.count("cert") && files.count("key") && files.count("ca")) {
        if (auto s = mpp::net::CheckOwnCertificate({files["cert"], files["key"], files["ca"], ""},
                                                   "mpp:site:" + (*store)->site_code());
            !s) {
          return Fail(s.error());
        }
      }
    }
    if (auto s = SaveSyncSettings(opt); !s) return Fail(s.error());
    std::cout << "sync settings saved in " << opt.at("data") << "/sync.json\n";
  }
  return 0;
}

// The sync settings: flags, else DIR/sync.json.
mpp::Result<std::pair<std::string, mpp::net::TlsClientConfig>> SyncSettings(
    const std::map<std::string, std::string>& opt) {
  std::map<std::string, std::string> s;
  std::ifstream in(opt.at("data") + "/sync.json");
  if (in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto j = mpp::ParseJson(text);
    if (!j || !j->is_object()) {
      return mpp::MakeError(mpp::Errc::kConfig, opt.at("data") + "/sync.json is not a JSON object");
    }
    for (const auto& [k, v] : j->items()) {
      if (v.is_string()) s[k] = v;
    }
  }
  for (const char* k : {"central", "cert", "key", "ca"}) {
    if (opt.count(k)) s[k] = opt.at(k);
    if (!s.count(k)) {
      return mpp::MakeError(mpp::Errc::kConfig, std::string("no --") + k + " given and none in " +
                                                    opt.at("data") + "/sync.json");
    }
  }
  return std::pair{s["central"], mpp::net::TlsClientConfig{s["cert"], s["key"], s["ca"],
                                                           opt.at("data") + "/tls-session.pem"}};
}

struct SyncSession {
  std::unique_ptr<mpp::common::DirLock> lock;  // for a sync: one at a time per site
  mpp::SystemClock clock;
  mpp::CryptoRandom random;
  std::unique_ptr<mpp::store::SiteStore> store;
  std::unique_ptr<mpp::ctl::HttpsTransport> transport;
  std::unique_ptr<mpp::replicator::Replicator> replicator;
  std::string central;
};

mpp::Status OpenSync(const std::map<std::string, std::string>& opt, SyncSession& s) {
  MPP_ASSIGN_OR_RETURN(auto settings, SyncSettings(opt));
  const auto colon = settings.first.rfind(':');
  if (colon == std::string::npos) {
    return mpp::MakeError(mpp::Errc::kConfig, "central must be HOST:PORT");
  }
  MPP_ASSIGN_OR_RETURN(auto store,
                       mpp::store::SiteStore::Open(opt.at("data") + "/site.db", s.clock, s.random));
  s.store = std::move(store);
  s.central = settings.first;
  MPP_RETURN_IF_ERROR(CheckCentral(settings.first));
  MPP_ASSIGN_OR_RETURN(const int64_t timeout,
                       mpp::common::WholeNumberFlag(opt, "timeout", 120, 1, 3600, " seconds"));
  s.transport = std::make_unique<mpp::ctl::HttpsTransport>(
      settings.first.substr(0, colon),
      static_cast<uint16_t>(std::atoi(settings.first.c_str() + colon + 1)), settings.second,
      std::chrono::seconds(timeout));
  mpp::replicator::SyncOptions options;
  options.schema_version = mpp::schema::Migrations().back().version;
  s.replicator = std::make_unique<mpp::replicator::Replicator>(s.store->replica(), *s.transport,
                                                               s.clock, options);
  return {};
}

int Sync(const std::map<std::string, std::string>& opt) {
  if (!opt.count("data")) return Usage("sync needs --data");
  SyncSession s;
  auto lock = mpp::common::DirLock::Acquire(opt.at("data"), "sync");
  if (!lock) return Fail(lock.error());
  s.lock = std::move(lock).value();
  if (auto st = OpenSync(opt, s); !st) return Fail(st.error());
  auto pending = s.store->office().StatusSummary();
  const int64_t total = pending ? (*pending)["pending_changes"].get<int64_t>() : -1;
  const bool tty = isatty(STDERR_FILENO);
  auto progress = [&](const mpp::replicator::SyncProgress& p) {
    if (!tty) return;
    if (std::string(p.phase) == "push" && total > 0) {
      const int width = 30;
      const auto filled = static_cast<int>(width * std::min<int64_t>(p.done, total) / total);
      std::fprintf(stderr, "\rpush [%s%s] %lld/%lld changes",
                   std::string(static_cast<size_t>(filled), '#').c_str(),
                   std::string(static_cast<size_t>(width - filled), '.').c_str(),
                   static_cast<long long>(p.done), static_cast<long long>(total));
    } else {
      std::fprintf(stderr, "\r%s %lld changes%20s", p.phase, static_cast<long long>(p.done), "");
    }
  };
  auto report = s.replicator->SyncOnce(progress);
  if (tty) std::fprintf(stderr, "\n");
  if (!report) return Fail(report.error());
  const auto& r = *report;
  if (opt.count("json")) {
    std::cout << mpp::Json{{"pushed", r.pushed},
                           {"push_duplicates", r.push_duplicates},
                           {"push_batches", r.push_batches},
                           {"pulled", r.pulled},
                           {"conflicts", r.conflicts},
                           {"acked_seq", r.acked_seq},
                           {"bytes_sent", r.bytes_sent},
                           {"bytes_received", r.bytes_received},
                           {"seconds", r.seconds},
                           {"clock_offset_ms", r.clock_offset_ms},
                           {"clock_warning", r.clock_warning},
                           {"recovered", r.recovered},
                           {"renumbered", r.renumbered},
                           {"quarantined", r.quarantined},
                           {"refused", r.refused}}
                     .dump()
              << "\n";
  } else {
    std::printf("sync %s <-> %s\n", s.store->site_code().c_str(), s.central.c_str());
    if (r.recovered > 0 || r.renumbered > 0) {
      std::printf(
          "recovered %lld of this site's changes from the centre; %lld made here since were "
          "renumbered and sent (this disk was older than what the site had sent)\n",
          static_cast<long long>(r.recovered), static_cast<long long>(r.renumbered));
    }
    std::printf(
        "pushed %lld changes in %d %s (%lld already at the centre), pulled %lld, "
        "conflicts %lld\n",
        static_cast<long long>(r.pushed), r.push_batches, r.push_batches == 1 ? "batch" : "batches",
        static_cast<long long>(r.push_duplicates), static_cast<long long>(r.pulled),
        static_cast<long long>(r.conflicts));
    std::printf("acknowledged up to seq %lld; %.1f kB up, %.1f kB down; %.2f s\n",
                static_cast<long long>(r.acked_seq), static_cast<double>(r.bytes_sent) / 1000.0,
                static_cast<double>(r.bytes_received) / 1000.0, r.seconds);
  }
  if (r.quarantined > 0 && !r.refused.empty()) {
    std::fprintf(stderr,
                 "mppctl: warning: the centre set aside %lld of this site's changes it refused "
                 "(the rest were stored); an operator sees them under /api/v1/quarantine. "
                 "First: seq %lld %s: %s\n",
                 static_cast<long long>(r.quarantined),
                 static_cast<long long>(r.refused.at(0).value("seq", int64_t{0})),
                 r.refused.at(0).value("code", "").c_str(),
                 r.refused.at(0).value("message", "").c_str());
  }
  if (r.clock_warning) {
    std::fprintf(stderr,
                 "mppctl: warning: this PC's clock is %+.1f s off the centre's; changes are now "
                 "stamped with the centre's time, but please set the clock\n",
                 static_cast<double>(r.clock_offset_ms) / 1000.0);
  }
  return 0;
}

int Verify(const std::map<std::string, std::string>& opt) {
  if (!opt.count("data")) return Usage("verify needs --data");
  SyncSession s;
  if (auto st = OpenSync(opt, s); !st) return Fail(st.error());
  auto v = s.replicator->Verify();
  if (!v) return Fail(v.error());
  if (opt.count("json")) {
    std::cout << v->dump() << "\n";
    return (*v)["in_sync"].get<bool>() ? kExitDone : kExitDiffers;
  }
  if ((*v)["in_sync"].get<bool>()) {
    std::printf("in sync: %s and the centre hold the same data\n", s.store->site_code().c_str());
    return 0;
  }
  std::printf("NOT in sync: %s differs from the centre in:\n", s.store->site_code().c_str());
  for (const auto& d : (*v)["differences"]) {
    std::printf("  %-20s here %lld rows, centre %lld rows, key-hash buckets %s\n",
                d["table"].get<std::string>().c_str(),
                static_cast<long long>(d.value("count_here", 0)),
                static_cast<long long>(d.value("count_there", 0)),
                d.value("key_hash_buckets", mpp::Json::array()).dump().c_str());
  }
  std::printf("run `mppctl --data DIR sync`, then verify again\n");
  return kExitDiffers;
}

int Conflicts(const std::map<std::string, std::string>& opt) {
  if (!opt.count("data")) return Usage("conflicts needs --data");
  mpp::SystemClock clock;
  mpp::CryptoRandom random;
  auto store = mpp::store::SiteStore::Open(opt.at("data") + "/site.db", clock, random);
  if (!store) return Fail(store.error());
  auto c = (*store)->office().ListConflicts(std::nullopt);
  if (!c) return Fail(c.error());
  if (opt.count("json")) {
    std::cout << c->dump() << "\n";
    return 0;
  }
  if ((*c)["items"].empty()) std::printf("no conflicts\n");
  for (const auto& i : (*c)["items"]) {
    std::printf(
        "%s %-8s %s %s.%s: winner %s (%s), loser %s (%s)\n", i["id"].get<std::string>().c_str(),
        i["status"].get<std::string>().c_str(), i["detected_at"].get<std::string>().c_str(),
        i["table"].get<std::string>().c_str(), i["column"].get<std::string>().c_str(),
        i["winner"]["value"].dump().c_str(), i["winner"]["origin"].get<std::string>().c_str(),
        i["loser"]["value"].dump().c_str(), i["loser"]["origin"].get<std::string>().c_str());
  }
  return 0;
}

int Status(const std::map<std::string, std::string>& opt) {
  if (!opt.count("data")) return Usage("status needs --data");
  mpp::SystemClock clock;
  mpp::CryptoRandom random;
  auto store = mpp::store::SiteStore::Open(opt.at("data") + "/site.db", clock, random);
  if (!store) return Fail(store.error());
  auto s = (*store)->office().StatusSummary();
  if (!s) return Fail(s.error());
  if (opt.count("json")) {
    std::cout << s->dump(2) << "\n";
    return 0;
  }
  const mpp::Json& j = *s;
  std::cout << "site          " << j["site_code"].get<std::string>() << "  "
            << j.value("site_name", "") << " (" << j.value("time_zone", "") << ")\n"
            << "schema        v" << j["schema_version"] << "\n"
            << "pending sync  " << j["pending_changes"] << " changes (last seq "
            << j["last_change_seq"] << ")\n"
            << "clock         " << j["clock"]["now"].get<std::string>() << "  hlc "
            << j["clock"]["hlc"].get<std::string>() << "\n"
            << "NIK sealing   "
            << (j["nik_sealing_key"].is_null()
                    ? std::string("none: NIKs are not sealed for the centre (mppctl config "
                                  "--nik-sealing-key FILE)")
                    : "key " + j["nik_sealing_key"].get<std::string>() + ", " +
                          std::to_string(j["sealed_niks_waiting"].get<int64_t>()) +
                          " sealed NIKs waiting for the centre")
            << "\n"
            << "records\n";
  for (const auto& [table, n] : j["counts"].items()) {
    std::printf("  %-20s %8lld\n", table.c_str(), static_cast<long long>(n.get<int64_t>()));
  }
  std::cout << "applications by status\n";
  for (const auto& [status, n] : j["applications_by_status"].items()) {
    std::printf("  %-20s %8lld\n", status.c_str(), static_cast<long long>(n.get<int64_t>()));
  }
  return 0;
}

int Generate(const std::map<std::string, std::string>& opt) {
  if (!opt.count("node")) return Usage("generate needs --node HOST:PORT");
  const std::string node = opt.at("node");
  const auto colon = node.rfind(':');
  if (colon == std::string::npos) return Usage("--node must be HOST:PORT");
  auto visits_flag = mpp::common::WholeNumberFlag(opt, "visits", 50, 1, 1'000'000, "");
  if (!visits_flag) return Usage(visits_flag.error().message);
  auto seed_flag = mpp::common::WholeNumberFlag(opt, "seed", 1, 0, INT64_MAX, "");
  if (!seed_flag) return Usage(seed_flag.error().message);
  const int visits = static_cast<int>(*visits_flag);
  const auto seed = static_cast<uint64_t>(*seed_flag);
  mpp::net::HttpClient client(node.substr(0, colon),
                              static_cast<uint16_t>(std::atoi(node.c_str() + colon + 1)));
  auto call = [&](const std::string& method, const std::string& path,
                  const mpp::Json& body) -> std::pair<int, mpp::Json> {
    auto r = client.Send(method, path, body.is_null() ? "" : body.dump());
    if (!r) return {0, mpp::Json{{"error", r.error().message}}};
    auto j = mpp::ParseJson(r->body);
    return {r->status, j ? *j : mpp::Json()};
  };
  auto [ss, services_json] = call("GET", "/api/v1/services", nullptr);
  auto [cs, counters_json] = call("GET", "/api/v1/counters", nullptr);
  auto [st, status_json] = call("GET", "/api/v1/status", nullptr);
  if (ss != 200 || cs != 200 || st != 200) {
    return Fail(mpp::MakeError(mpp::Errc::kInternal, "cannot read the catalogue from " + node));
  }
  std::vector<mpp::ctl::Service> services;
  for (const auto& s : services_json["items"]) {
    if (s["active"].get<bool>()) services.push_back({s["code"], s["agency_code"], s["fee_idr"]});
  }
  std::vector<mpp::ctl::Counter> counters;
  for (const auto& c : counters_json["items"]) counters.push_back({c["code"], c["agency_code"]});
  const std::string site = status_json["site_code"];
  const std::string regency = site.size() >= 7 ? site.substr(3, 4) : "7301";
  const auto t = mpp::ctl::GenerateVisits(visits, seed, regency, services, counters, call);
  std::printf(
      "generated %d visits at %s: %d applications (%d completed, %d rejected, %d cancelled, %d "
      "open), %d payments, %d surveys, %d complaints, %d failed calls\n",
      t.visits, site.c_str(), t.applications, t.completed, t.rejected, t.cancelled, t.open,
      t.payments, t.surveys, t.complaints, t.failed_calls);
  return t.failed_calls == 0 ? 0 : 1;
}

// Each command and the options it takes; any other option is refused, not ignored.
struct Command {
  const char* name;
  int (*run)(const mpp::common::Options&);
  std::set<std::string> options;
};

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"init", Init, {"site", "data", "nik-sealing-key", "central", "cert", "key", "ca"}},
      {"config", Config, {"data", "central", "cert", "key", "ca", "nik-sealing-key"}},
      {"status", Status, {"data", "json"}},
      {"sync", Sync, {"data", "central", "cert", "key", "ca", "timeout", "json"}},
      {"verify", Verify, {"data", "central", "cert", "key", "ca", "timeout", "json"}},
      {"conflicts", Conflicts, {"data", "json"}},
      {"generate", Generate, {"node", "visits", "seed"}},
  };
  return commands;
}

int Run(int argc, char** argv) {
  mpp::common::KeepFilesPrivate();
  mpp::common::OptionSpec spec;
  spec.switches = {"json", "version"};
  spec.max_positional = 1;  // the command, before or after the options
  for (const auto& c : Commands()) {
    for (const auto& o : c.options) {
      if (!spec.switches.count(o)) spec.valued.insert(o);
    }
  }
  auto line = mpp::common::ParseOptions(argc, argv, spec);
  if (!line) return Usage(line.error().message);
  if (line->options.count("version")) {
    std::cout << "mppctl " << MPP_VERSION << " (schema " << mpp::schema::Migrations().back().version
              << ", protocol " << mpp::protocol::kProtocolVersion << ")\n";
    return 0;
  }
  if (line->options.count("help") ||
      (!line->positional.empty() && line->positional.front() == "help")) {
    std::cout << kUsage;
    return 0;
  }
  if (line->positional.empty()) return Usage("no command given");
  const std::string& name = line->positional.front();
  const auto& commands = Commands();
  const auto c = std::find_if(commands.begin(), commands.end(),
                              [&](const Command& command) { return name == command.name; });
  if (c == commands.end()) return Usage("unknown command " + name);
  for (const auto& [key, value] : line->options) {
    if (!c->options.count(key)) return Usage(name + " does not take --" + key);
  }
  return c->run(line->options);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mppctl: fatal: %s\n", e.what());
    return 1;
  }
}
