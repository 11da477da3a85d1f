// mppctl's commands on the site's own files: init, config, status, log, conflicts.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "node/common/private_files.h"
#include "node/ctl/commands.h"
#include "sync/core/json.h"
#include "sync/core/time_util.h"
#include "sync/net/tls.h"

namespace mpp::ctl {

int InitCmd(const Args& a) {
  const common::Options& opt = a.options;
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
Status SaveSyncSettings(const common::Options& opt) {
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

int ConfigCmd(const Args& a) {
  const common::Options& opt = a.options;
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

namespace {

std::string Kb(int64_t bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f kB", static_cast<double>(bytes) / 1000.0);
  return b;
}

std::string Seconds(int64_t ms) {
  char b[32];
  std::snprintf(b, sizeof b, "%+.1f s", static_cast<double>(ms) / 1000.0);
  return b;
}

std::string Plural(int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "3 h ago", "2 days ago", from an RFC 3339 time; "" when it does not parse.
std::string Ago(const Json& when, int64_t now_ms) {
  if (!when.is_string()) return "";
  auto t = ParseRfc3339(when.get<std::string>());
  if (!t) return "";
  const int64_t s = (now_ms - *t) / 1000;
  if (s < 0) return "in the future";
  if (s < 120) return std::to_string(s) + " s ago";
  if (s < 7200) return std::to_string(s / 60) + " min ago";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86400) + " days ago";
}

std::string When(const Json& when, int64_t now_ms) {
  if (!when.is_string()) return "never";
  return when.get<std::string>() + " (" + Ago(when, now_ms) + ")";
}

Result<std::unique_ptr<store::SiteStore>> OpenStore(const Args& a, Clock& clock, Random& random) {
  return store::SiteStore::Open(a.at("data") + "/site.db", clock, random);
}

// The last attempt, the last contact and the last complete push and pull, from the history.
Json SyncSummary(const Json& history) {
  Json out = {{"last_attempt", nullptr},
              {"last_contact_at", nullptr},
              {"last_push_at", nullptr},
              {"last_pull_at", nullptr},
              {"last_bundle", nullptr}};
  for (const Json& h : history) {  // oldest first
    out["last_attempt"] = h;
    if (h["via"] == "bundle") out["last_bundle"] = h;
    if (h["contacted"].get<bool>()) out["last_contact_at"] = h["finished_at"];
    if (h["push_complete"].get<bool>()) out["last_push_at"] = h["finished_at"];
    if (h["pull_complete"].get<bool>()) out["last_pull_at"] = h["finished_at"];
  }
  return out;
}

}  // namespace

int ConflictsCmd(const Args& a) {
  if (!a.has("data")) return Usage("conflicts needs --data");
  const std::string verb = a.words.empty() ? "list" : a.words[0];
  if (verb != "list" && verb != "show" && verb != "resolve") {
    return Usage("conflicts takes list, show ID or resolve ID --keep winner|loser, not " + verb);
  }
  if (verb == "list" && a.words.size() > 1) return Usage("conflicts list takes no ID");
  if (verb != "list" && a.words.size() != 2) return Usage("conflicts " + verb + " needs one ID");
  if (verb == "resolve" &&
      (!a.has("keep") || (a.at("keep") != "winner" && a.at("keep") != "loser"))) {
    return Usage("conflicts resolve ID needs --keep winner or --keep loser");
  }
  if (verb != "resolve" && a.has("keep")) return Usage("--keep goes with conflicts resolve");
  SystemClock clock;
  CryptoRandom random;
  auto store = OpenStore(a, clock, random);
  if (!store) return Fail(store.error());
  if (verb == "resolve") {
    auto r = (*store)->office().ResolveConflict(a.words[1], Json{{"keep", a.at("keep")}});
    if (!r) return Fail(r.error());
    if (a.has("json")) {
      std::cout << r->dump() << "\n";
    } else {
      std::cout << "conflict " << a.words[1] << ": kept the " << a.at("keep") << "'s value of "
                << (*r)["table"].get<std::string>() << " " << (*r)["row_id"].get<std::string>()
                << " (" << (*r)["columns"].dump()
                << ") as a new edit here; the next sync closes the conflict at the centre\n";
    }
    return kExitDone;
  }
  auto c = (*store)->office().ListConflicts(std::nullopt);
  if (!c) return Fail(c.error());
  if (verb == "show") {
    for (const Json& i : (*c)["items"]) {
      if (i["id"] != a.words[1]) continue;
      if (a.has("json")) {
        std::cout << i.dump() << "\n";
        return kExitDone;
      }
      std::cout << "conflict   " << i["id"].get<std::string>() << " ("
                << i["status"].get<std::string>() << ")\nrow        "
                << i["table"].get<std::string>() << " " << i["row_id"].get<std::string>() << ", "
                << i["column"].get<std::string>() << "\ndetected   "
                << i["detected_at"].get<std::string>() << "\nwinner     "
                << i["winner"]["value"].dump() << " from "
                << i["winner"]["origin"].get<std::string>() << " (hlc "
                << i["winner"]["hlc"].get<std::string>() << "), the value both ends hold"
                << "\nloser      " << i["loser"]["value"].dump() << " from "
                << i["loser"]["origin"].get<std::string>() << " (hlc "
                << i["loser"]["hlc"].get<std::string>() << ")\n";
      if (i["status"] == "resolved") {
        std::cout << "resolved   " << i["resolved_at"].dump() << ": " << i["resolution"].dump()
                  << "\n";
      } else {
        std::cout << "to settle  mppctl --data DIR conflicts resolve " << i["id"].get<std::string>()
                  << " --keep winner|loser\n";
      }
      return kExitDone;
    }
    return Fail(MakeError(Errc::kNotFound, "no conflict " + a.words[1] +
                                               " at this site (mppctl conflicts list shows them)"));
  }
  if (a.has("json")) {
    std::cout << c->dump() << "\n";
    return kExitDone;
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
  return kExitDone;
}

int LogCmd(const Args& a) {
  if (!a.has("data")) return Usage("log needs --data");
  auto tail = common::WholeNumberFlag(a.options, "tail", 20, 1, 1000, " attempts");
  if (!tail) return Usage(tail.error().message);
  SystemClock clock;
  CryptoRandom random;
  auto store = OpenStore(a, clock, random);
  if (!store) return Fail(store.error());
  auto history = (*store)->replica().SyncHistory(static_cast<int>(*tail));
  if (!history) return Fail(history.error());
  if (a.has("json")) {
    std::cout << Json{{"items", *history}}.dump() << "\n";
    return kExitDone;
  }
  if (history->empty()) std::printf("no sync attempts yet\n");
  for (const Json& h : *history) {
    std::string what = h["direction"].get<std::string>();
    std::printf("%s %-7s %-6s %-8s pushed %lld, pulled %lld, %.1f kB up, %.1f kB down",
                h["started_at"].get<std::string>().c_str(), h["via"].get<std::string>().c_str(),
                what.c_str(), h["outcome"].get<std::string>().c_str(),
                static_cast<long long>(h["pushed"].get<int64_t>()),
                static_cast<long long>(h["pulled"].get<int64_t>()),
                static_cast<double>(h["bytes_sent"].get<int64_t>()) / 1000.0,
                static_cast<double>(h["bytes_received"].get<int64_t>()) / 1000.0);
    if (!h["error"].is_null()) {
      std::printf(": %s: %s", h["error"]["code"].get<std::string>().c_str(),
                  h["error"]["message"].get<std::string>().c_str());
    }
    std::printf("\n");
  }
  return kExitDone;
}

int StatusCmd(const Args& a) {
  if (!a.has("data")) return Usage("status needs --data");
  SystemClock clock;
  CryptoRandom random;
  auto store = OpenStore(a, clock, random);
  if (!store) return Fail(store.error());
  auto summary = (*store)->office().StatusSummary();
  if (!summary) return Fail(summary.error());
  auto pending = (*store)->replica().PendingChanges();
  if (!pending) return Fail(pending.error());
  auto history = (*store)->replica().SyncHistory(1000);
  if (!history) return Fail(history.error());
  Json j = std::move(summary).value();
  j["pending_bytes"] = pending->bytes;
  j["sync"] = SyncSummary(*history);
  const int64_t now = clock.NowMs();

  // The centre, as configured, and whether it answers this site (not "the internet").
  Json centre = {{"configured", false}};
  auto settings = LoadSyncSettings(a.options);
  if (settings) {
    centre = {{"configured", true}, {"address", settings->central}, {"checked", false}};
    auto expiry = net::CertificateNotAfterMs(settings->tls.cert_file);
    if (expiry) {
      j["certificate"] = {{"file", settings->tls.cert_file},
                          {"not_after", FormatUtc(*expiry)},
                          {"days_left", (*expiry - now) / 86'400'000}};
    } else {
      j["certificate"] = {{"file", settings->tls.cert_file}, {"error", expiry.error().message}};
    }
    if (!a.has("offline")) {
      SyncSession s;
      auto opened = OpenSync(a.options, s, 10);
      auto hello = opened ? s.replicator->SayHello() : Result<replicator::Hello>(opened.error());
      centre["checked"] = true;
      centre["answers"] = hello.ok();
      if (hello) {
        centre["acked_seq"] = hello->acked_seq;
        centre["clock_offset_ms"] = hello->clock_offset_ms;
        centre["round_trip_ms"] = static_cast<int64_t>(hello->round_trip_ms);
      } else {
        centre["error"] = {{"code", ErrcName(hello.error().code)},
                           {"message", hello.error().message}};
      }
    }
  }
  j["centre"] = centre;
  // The background sync of mpp-node (--sync-every), as it last wrote its state.
  j["agent"] = nullptr;
  if (std::ifstream in(a.at("data") + "/sync-agent.json"); in) {
    auto agent = ParseJson(
        std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    if (agent && agent->is_object()) j["agent"] = *agent;
  }
  if (a.has("json")) {
    std::cout << j.dump(2) << "\n";
    return kExitDone;
  }
  std::cout << "site          " << j["site_code"].get<std::string>() << "  "
            << j.value("site_name", "") << " (" << j.value("time_zone", "") << ")\n"
            << "schema        v" << j["schema_version"] << "\n";
  if (!centre["configured"].get<bool>()) {
    std::cout << "centre        not configured (mppctl --data DIR config --central HOST:PORT "
                 "--cert FILE --key FILE --ca FILE)\n";
  } else {
    std::cout << "centre        " << centre["address"].get<std::string>() << ": ";
    if (!centre["checked"].get<bool>()) {
      std::cout << "not asked (--offline)\n";
    } else if (centre["answers"].get<bool>()) {
      std::cout << "answers (" << centre["round_trip_ms"] << " ms); it holds this site's changes "
                << "up to seq " << centre["acked_seq"] << "\n";
    } else {
      std::cout << "does NOT answer: " << centre["error"]["code"].get<std::string>() << ": "
                << centre["error"]["message"].get<std::string>() << "\n";
    }
    const Json& cert = j["certificate"];
    std::cout << "certificate   " << cert["file"].get<std::string>();
    if (cert.contains("error")) {
      std::cout << ": " << cert["error"].get<std::string>() << "\n";
    } else {
      const int64_t days = cert["days_left"].get<int64_t>();
      std::cout << (days < 0 ? " EXPIRED on " : " valid until ")
                << cert["not_after"].get<std::string>() << " (" << days << " days)"
                << (days >= 0 && days < 30 ? ": ask the ministry for a new one" : "") << "\n";
    }
  }
  const Json& sy = j["sync"];
  std::cout << "last contact  " << When(sy["last_contact_at"], now) << "\n"
            << "last push     " << When(sy["last_push_at"], now) << "\n"
            << "last pull     " << When(sy["last_pull_at"], now) << "\n";
  if (!sy["last_bundle"].is_null()) {
    std::cout << "last bundle   " << sy["last_bundle"]["direction"].get<std::string>() << " "
              << When(sy["last_bundle"]["finished_at"], now) << "\n";
  }
  if (!sy["last_attempt"].is_null()) {
    const Json& l = sy["last_attempt"];
    std::cout << "last attempt  " << l["finished_at"].get<std::string>() << " "
              << l["outcome"].get<std::string>();
    if (!l["error"].is_null()) {
      std::cout << ": " << l["error"]["code"].get<std::string>() << ": "
                << l["error"]["message"].get<std::string>();
    }
    std::cout << "\n";
  }
  if (j["agent"].is_object()) {
    const Json& ag = j["agent"];
    std::cout << "sync agent    every " << ag.value("every_s", int64_t{0}) << " s"
              << (ag["window"].is_string() ? " in " + ag["window"].get<std::string>() : "")
              << "; next attempt " << ag.value("next_attempt_at", "?");
    if (ag.value("failures_in_a_row", 0) > 0) {
      std::cout << "; " << ag.value("failures_in_a_row", 0) << " failures in a row, backing off ("
                << (ag["last_error"].is_string() ? ag["last_error"].get<std::string>() : "") << ")";
    }
    std::cout << " (as of " << ag.value("updated_at", "?") << ")\n";
  } else {
    std::cout << "sync agent    off (mpp-node --sync-every S)\n";
  }
  std::cout << "pending sync  " << Plural(j["pending_changes"].get<int64_t>(), "change", "changes")
            << ", " << Kb(pending->bytes) << " (last seq " << j["last_change_seq"] << ")\n"
            << "clock         " << j["clock"]["now"].get<std::string>() << ", "
            << Seconds(j["clock"]["offset_from_centre_ms"].get<int64_t>())
            << " from the centre's at the last sync";
  if (centre.contains("clock_offset_ms")) {
    std::cout << ", " << Seconds(centre["clock_offset_ms"].get<int64_t>()) << " now";
  }
  std::cout << "\nNIK sealing   "
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
  return kExitDone;
}

}  // namespace mpp::ctl
