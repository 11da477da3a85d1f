// Full push of N transactions of the shared benchmark workload (../shared/bench/workload.js)
// from a site to the real mpp-central over mutual TLS, then an incremental sync of 200
// changes, then a sync with nothing to do: seconds, bytes on the wire (HTTP level), the
// centre's peak RSS.
//
//   node ../shared/bench/workload.js 100000 > /tmp/w.ndjson
//   build/tests/bench/sync_bench --ndjson /tmp/w.ndjson [--dir DIR]
//
// Workload documents become applications (id, service mapped onto the catalogue, status,
// times, fee, officer, channel, notes, citizen_ref), one change each, loaded straight into the
// site's store in one transaction (the load is not timed as sync).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "schema/migrations.h"
#include "sync/core/clock.h"
#include "sync/core/hlc.h"
#include "sync/core/json_util.h"
#include "sync/core/time_util.h"
#include "sync/db/database.h"
#include "sync/store/change_log.h"
#include "sync/store/versions.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace {

using mpp::Json;
using SteadyClock = std::chrono::steady_clock;

void Run(const std::vector<std::string>& argv, std::string* out = nullptr) {
  std::string o;
  if (mpp::testing::RunCommand(argv, &o) != 0) {
    std::fprintf(stderr, "failed: %s\n%s\n", argv[0].c_str(), o.c_str());
    std::exit(1);
  }
  if (out) *out = o;
}

long PeakRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

Json SyncOnce(const std::string& data) {
  std::string out;
  Run({MPP_CTL_BIN, "--data", data, "sync", "--json"}, &out);
  return Json::parse(out.substr(0, out.find('\n')));
}

}  // namespace

int main(int argc, char** argv) {
  std::string ndjson, base;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--ndjson")) ndjson = argv[i + 1];
    if (!std::strcmp(argv[i], "--dir")) base = argv[i + 1];
  }
  if (ndjson.empty()) {
    std::fprintf(stderr, "usage: sync_bench --ndjson FILE [--dir DIR]\n");
    return 2;
  }
  if (!base.empty()) setenv("TMPDIR", base.c_str(), 1);
  mpp::testing::TempDir dir;
  const std::string pki = dir.File("pki"), ca = std::string(MPP_SOURCE_DIR) + "/certs/mpp-ca.sh";
  Run({"/bin/bash", ca, "init", pki});
  Run({"/bin/bash", ca, "central", pki, "central"});
  Run({"/bin/bash", ca, "site", pki, "MPP7301"});
  mpp::testing::Process central(
      {MPP_CENTRAL_BIN, "--data", dir.File("central"), "--listen", "127.0.0.1:0", "--cert",
       pki + "/central.crt", "--key", pki + "/central.key", "--ca", pki + "/ca.crt", "--log-level",
       "warn"},
      dir.File("central.log"));
  const std::string line = central.WaitForLine("listening ");
  const std::string port = line.substr(line.rfind(':') + 1);
  const std::string site = dir.File("site");
  Run({MPP_CTL_BIN, "init", "--site", "MPP7301", "--data", site, "--central", "127.0.0.1:" + port,
       "--cert", pki + "/MPP7301.crt", "--key", pki + "/MPP7301.key", "--ca", pki + "/ca.crt"});

  // Load the workload into the site's store: one application (and one change) per document.
  auto db = mpp::db::Database::Open(site + "/site.db", {.create = false});
  auto policy = mpp::store::LoadMergePolicy(**db);
  std::vector<std::string> services;
  {
    auto s = (*db)->Prepare("SELECT code FROM services ORDER BY code");
    while (*(*s)->Step()) services.push_back((*s)->ColumnText(0));
  }
  mpp::SystemClock clock;
  mpp::Hlc hlc(clock);
  std::ifstream in(ndjson);
  std::string l;
  std::map<std::string, std::string> service_of;
  std::vector<Json> docs;
  size_t ndjson_bytes = 0;
  const auto load0 = SteadyClock::now();
  {
    mpp::db::Transaction tx(**db);
    while (std::getline(in, l)) {
      ndjson_bytes += l.size() + 1;
      Json d = Json::parse(l);
      const std::string code = d["service_code"];
      if (!service_of.count(code)) service_of[code] = services[service_of.size() % services.size()];
      const std::string status = d["status"];
      const bool done = status == "completed" || status == "rejected";
      const mpp::HlcStamp t = hlc.Now();
      Json row = {
          {"id", d["id"]},
          {"site_code", "MPP7301"},
          {"service_code", service_of[code]},
          {"citizen_ref", d["citizen_ref"]},
          {"counter_code", nullptr},
          {"ticket_id", nullptr},
          {"channel", d["channel"] == "online" ? "online" : "walk_in"},
          {"status", status},
          {"received_at", mpp::FormatUtc(*mpp::ParseRfc3339(d["received_at"].get<std::string>()))},
          {"completed_at",
           done ? Json(mpp::FormatUtc(*mpp::ParseRfc3339(d["completed_at"].get<std::string>())))
                : Json(nullptr)},
          {"fee_idr", d["fee_idr"]},
          {"officer", d["officer"]},
          {"notes", d["notes"]},
          {"created_hlc", static_cast<int64_t>(t)},
          {"updated_hlc", static_cast<int64_t>(t)}};
      if (auto st =
              mpp::store::InsertWithChange(**db, *policy, "applications", row, {t, "MPP7301"});
          !st) {
        std::fprintf(stderr, "load: %s\n", st.error().message.c_str());
        return 1;
      }
      docs.push_back(std::move(d));
    }
    if (!tx.Commit().ok()) return 1;
  }
  const double load_s = std::chrono::duration<double>(SteadyClock::now() - load0).count();
  const size_t n = docs.size();
  std::printf(
      "sync_bench: %zu workload transactions (%.1f MB NDJSON), loaded into the site in %.2f s\n", n,
      static_cast<double>(ndjson_bytes) / 1e6, load_s);

  auto row = [](const char* what, const Json& r) {
    std::printf("%-30s %9.2f %12.1f %12.1f %10lld %8d\n", what, r["seconds"].get<double>(),
                r["bytes_sent"].get<double>() / 1000.0, r["bytes_received"].get<double>() / 1000.0,
                static_cast<long long>(r["pushed"].get<int64_t>()), r["push_batches"].get<int>());
  };
  std::printf("%-30s %9s %12s %12s %10s %8s\n", "step", "seconds", "kB up", "kB down", "changes",
              "batches");
  const auto full0 = SteadyClock::now();
  Json full = SyncOnce(site);
  const double full_wall = std::chrono::duration<double>(SteadyClock::now() - full0).count();
  row("full push", full);

  // 100 new documents and 100 updates, as in the PouchDB harness's incremental step.
  {
    mpp::db::Transaction tx(**db);
    for (int k = 0; k < 100; ++k) {
      Json d = docs[static_cast<size_t>(k)];
      const mpp::HlcStamp t = hlc.Now();
      Json r = {{"id", "MPP7301-new-" + std::to_string(k)},
                {"site_code", "MPP7301"},
                {"service_code", services[static_cast<size_t>(k) % services.size()]},
                {"channel", "walk_in"},
                {"status", "received"},
                {"received_at", mpp::FormatUtc(clock.NowMs())},
                {"fee_idr", 0},
                {"notes", d["notes"]},
                {"created_hlc", static_cast<int64_t>(t)},
                {"updated_hlc", static_cast<int64_t>(t)}};
      if (!mpp::store::InsertWithChange(**db, *policy, "applications", r, {t, "MPP7301"}).ok())
        return 1;
    }
    for (int k = 0; k < 100; ++k) {
      const size_t i = static_cast<size_t>(k) * n / 100 + 7;
      if (i >= n) break;
      const mpp::HlcStamp t = hlc.Now();
      Json ch = {{"notes", docs[i]["notes"].get<std::string>() + "; status advanced."},
                 {"updated_hlc", static_cast<int64_t>(t)}};
      if (!mpp::store::UpdateWithChange(**db, *policy, "applications",
                                        docs[i]["id"].get<std::string>(), ch, {t, "MPP7301"})
               .ok())
        return 1;
    }
    if (!tx.Commit().ok()) return 1;
  }
  Json incr = SyncOnce(site);
  row("incremental (100 new, 100 upd)", incr);
  Json noop = SyncOnce(site);
  row("nothing to do", noop);
  std::printf(
      "full push: %.0f transactions/s (sync time), %.0f/s wall incl. process start; "
      "%.1f bytes up per transaction; NDJSON %.1f MB vs %.2f MB up\n",
      static_cast<double>(n) / full["seconds"].get<double>(), static_cast<double>(n) / full_wall,
      full["bytes_sent"].get<double>() / static_cast<double>(n),
      static_cast<double>(ndjson_bytes) / 1e6, full["bytes_sent"].get<double>() / 1e6);
  std::printf("mpp-central peak RSS: %.1f MiB\n",
              static_cast<double>(PeakRssKb(central.pid())) / 1024.0);
  std::string verify;
  Run({MPP_CTL_BIN, "--data", site, "verify"}, &verify);
  std::printf("%s", verify.c_str());
  return 0;
}
