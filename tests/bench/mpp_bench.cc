// mppsync's sync benchmark: the shared workload (tests/bench/workload.h, identical to
// ../shared/bench/workload.js) pushed from a site to the real mpp-central over mutual TLS, with
// bytes counted on the wire by a proxy (TLS records included). Prints a markdown table and
// writes JSON; tests/bench/run.sh runs it beside the PouchDB harness.
//
//   mpp_bench [--n 10000,100000] [--big 1000000] [--sites 200] [--profiles]
//             [--out FILE.json] [--dir DIR]
#include <sys/stat.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "node/common/https_transport.h"
#include "schema/migrations.h"
#include "sync/core/hlc.h"
#include "sync/core/json.h"
#include "sync/core/time_util.h"
#include "sync/db/database.h"
#include "sync/db/migrate.h"
#include "sync/replicator/replicator.h"
#include "sync/store/change_log.h"
#include "sync/store/site_store.h"
#include "sync/store/versions.h"
#include "tests/bench/workload.h"
#include "tests/support/central_process.h"
#include "tests/support/link_proxy.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace {

using mpp::Json;
using SteadyClock = std::chrono::steady_clock;
using mpp::testing::CentralProcess;
using mpp::testing::LinkProfile;
using mpp::testing::LinkProxy;
using mpp::testing::TestPki;

double Since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

std::string Run(const std::vector<std::string>& argv, long* rss_kb = nullptr,
                bool may_fail = false) {
  std::string out;
  const int code = mpp::testing::RunCommand(argv, &out, rss_kb);
  if (code != 0 && !may_fail) {
    std::fprintf(stderr, "failed (%d): %s\n%s\n", code, argv[0].c_str(), out.c_str());
    std::exit(1);
  }
  return code == 0 ? out : "";
}

// A failed setup step ends the run: a benchmark has nobody to report a failure to.
void OrExit(const mpp::Status& st) {
  if (st.ok()) return;
  std::fprintf(stderr, "%s\n", st.error().message.c_str());
  std::exit(1);
}

long PeakRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}
void ResetPeak(pid_t pid) { std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5"; }

// A centre on a fresh data directory behind a byte-counting proxy.
class Centre {
 public:
  Centre(const std::string& dir, const TestPki& pki, LinkProfile profile = {}) {
    auto central = CentralProcess::Start(pki, dir, {"--log-level", "error", "--workers", "4"});
    if (!central) OrExit(central.error());
    central_.emplace(std::move(central).value());
    proxy_ = std::make_unique<LinkProxy>(central_->port(), profile);
  }
  uint16_t port() const { return central_->port(); }
  uint16_t proxy_port() const { return proxy_->port(); }
  pid_t pid() const { return central_->pid(); }
  LinkProxy& proxy() { return *proxy_; }

 private:
  std::optional<CentralProcess> central_;
  std::unique_ptr<LinkProxy> proxy_;
};

std::string InitSite(const std::string& dir, const TestPki& pki, const std::string& code,
                     uint16_t port) {
  const std::string data = dir + "/" + code;
  OrExit(mpp::testing::InitSite(pki, code, data, port));
  return data;
}

// Workload transactions [from, to) into the site's store as applications, one change each,
// in one transaction. Returns the NDJSON bytes.
size_t LoadWorkload(const std::string& data, const std::string& site, int64_t from, int64_t to,
                    ZSTD_CCtx* entropy = nullptr, std::string* compressed = nullptr) {
  auto db = mpp::db::Database::Open(data + "/site.db", {.create = false});
  auto policy = mpp::store::LoadMergePolicy(**db);
  std::vector<std::string> services;
  {
    auto s = (*db)->Prepare("SELECT code FROM services ORDER BY code");
    while (*(*s)->Step()) services.push_back((*s)->ColumnText(0));
  }
  mpp::SystemClock clock;
  mpp::Hlc hlc(clock);
  hlc.Observe(
      static_cast<mpp::HlcStamp>(*(*db)->QueryInt("SELECT COALESCE(MAX(hlc),0) FROM change_log")));
  size_t bytes = 0;
  mpp::db::Transaction tx(**db);
  std::string pending;
  for (int64_t i = from; i < to; ++i) {
    const std::string line = mpp::bench::WorkloadTx(i);
    bytes += line.size() + 1;
    if (entropy) {
      pending += line + "\n";
      if (pending.size() > (1 << 20) || i + 1 == to) {
        ZSTD_inBuffer in{pending.data(), pending.size(), 0};
        std::string out(ZSTD_CStreamOutSize(), '\0');
        const ZSTD_EndDirective mode = i + 1 == to ? ZSTD_e_end : ZSTD_e_continue;
        for (;;) {
          ZSTD_outBuffer o{out.data(), out.size(), 0};
          const size_t left = ZSTD_compressStream2(entropy, &o, &in, mode);
          compressed->append(out.data(), o.pos);
          if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) break;
        }
        pending.clear();
      }
    }
    const Json d = Json::parse(line);
    const std::string status = d["status"];
    const bool done = status == "completed" || status == "rejected";
    const mpp::HlcStamp t = hlc.Now();
    const std::string code = d["service_code"];
    Json row = {
        {"id", site + d["id"].get<std::string>().substr(7)},
        {"site_code", site},
        {"service_code", services[std::hash<std::string>{}(code) % services.size()]},
        {"citizen_ref", d["citizen_ref"]},
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
    if (auto st = mpp::store::InsertWithChange(**db, *policy, "applications", row, {t, site});
        !st) {
      std::fprintf(stderr, "load: %s\n", st.error().message.c_str());
      std::exit(1);
    }
  }
  (void)tx.Commit();
  return bytes;
}

// The incremental step of the PouchDB harness: 100 new transactions and 100 updates.
void IncrementalWork(const std::string& data, const std::string& site, int64_t n) {
  LoadWorkload(data, site, n, n + 100);
  auto db = mpp::db::Database::Open(data + "/site.db", {.create = false});
  auto policy = mpp::store::LoadMergePolicy(**db);
  mpp::SystemClock clock;
  mpp::Hlc hlc(clock);
  hlc.Observe(
      static_cast<mpp::HlcStamp>(*(*db)->QueryInt("SELECT COALESCE(MAX(hlc),0) FROM change_log")));
  mpp::db::Transaction tx(**db);
  for (int64_t k = 0; k < 100; ++k) {
    const int64_t i = k * n / 100 + 7;
    char id[32];
    std::snprintf(id, sizeof id, "%s-%08lld", site.c_str(), static_cast<long long>(i));
    const mpp::HlcStamp t = hlc.Now();
    Json ch = {{"notes", "status advanced at the counter"},
               {"updated_hlc", static_cast<int64_t>(t)}};
    (void)mpp::store::UpdateWithChange(**db, *policy, "applications", id, ch, {t, site});
  }
  (void)tx.Commit();
}

struct SyncFigures {
  double seconds = 0;
  uint64_t wire_up = 0, wire_down = 0;  // TCP payload through the proxy: TLS records
  uint64_t http_up = 0, http_down = 0;  // HTTP headers + bodies, as the client counted
  int64_t changes = 0;
  int batches = 0;
  long client_rss_kb = 0;
  long central_rss_kb = 0;
  Json ToJson() const {
    return {{"seconds", seconds},
            {"wire_up", wire_up},
            {"wire_down", wire_down},
            {"http_up", http_up},
            {"http_down", http_down},
            {"changes", changes},
            {"batches", batches},
            {"client_peak_rss_mib", static_cast<double>(client_rss_kb) / 1024},
            {"central_peak_rss_mib", static_cast<double>(central_rss_kb) / 1024}};
  }
};

SyncFigures SyncThrough(Centre& c, const std::string& data) {
  const uint64_t up0 = c.proxy().bytes_up(), down0 = c.proxy().bytes_down();
  ResetPeak(c.pid());
  SyncFigures f;
  const std::string out = Run({MPP_CTL_BIN, "--data", data, "sync", "--json"}, &f.client_rss_kb);
  const Json r = Json::parse(out.substr(0, out.find('\n')));
  f.seconds = r["seconds"];
  f.http_up = r["bytes_sent"];
  f.http_down = r["bytes_received"];
  f.changes = r["pushed"];
  f.batches = r["push_batches"];
  f.wire_up = c.proxy().bytes_up() - up0;
  f.wire_down = c.proxy().bytes_down() - down0;
  f.central_rss_kb = PeakRssKb(c.pid());
  return f;
}

// The physical limit of the centre's apply: the same rows (application + its version) written
// straight into SQLite in one transaction with the same durability (synchronous=FULL, WAL).
double RawSqliteRate(const std::string& dir, int64_t n) {
  auto db = mpp::db::Database::Open(dir + "/raw.db");
  (void)mpp::db::Migrate(**db, mpp::schema::Migrations());
  auto app = (*db)->Cached(
      "INSERT INTO applications (id, site_code, service_code, citizen_ref, channel, status, "
      "received_at, completed_at, fee_idr, officer, notes, created_hlc, updated_hlc) VALUES "
      "(?, 'MPP7301', 'DKC-KTP', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  auto ver = (*db)->Cached(
      "INSERT INTO row_versions (table_name, row_id, hlc, origin) VALUES ('applications', ?, ?, "
      "'MPP7301')");
  std::vector<Json> docs;
  docs.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) docs.push_back(Json::parse(mpp::bench::WorkloadTx(i)));
  const auto t0 = SteadyClock::now();
  mpp::db::Transaction tx(**db);
  for (int64_t i = 0; i < n; ++i) {
    const Json& d = docs[static_cast<size_t>(i)];
    {
      mpp::db::StatementRef s(*app);
      s->Bind(1, d["id"].get<std::string>()).Bind(2, d["citizen_ref"].get<std::string>());
      s->Bind(3, d["channel"] == "online" ? "online" : "walk_in")
          .Bind(4, d["status"].get<std::string>());
      s->Bind(5, d["received_at"].get<std::string>()).Bind(6, d["completed_at"].get<std::string>());
      s->Bind(7, d["fee_idr"].get<int64_t>()).Bind(8, d["officer"].get<std::string>());
      s->Bind(9, d["notes"].get<std::string>()).Bind(10, i).Bind(11, i);
      (void)s->Run();
    }
    mpp::db::StatementRef v(*ver);
    v->Bind(1, d["id"].get<std::string>()).Bind(2, i);
    (void)v->Run();
  }
  (void)tx.Commit();
  return static_cast<double>(n) / Since(t0);
}

Json BenchN(const std::string& base, const TestPki& pki, int64_t n, bool entropy) {
  const std::string dir = base + "/n" + std::to_string(n);
  mkdir(dir.c_str(), 0755);
  Centre c(dir, pki);
  const std::string site = InitSite(dir, pki, "MPP7301", c.proxy_port());
  ZSTD_CCtx* cctx = nullptr;
  std::string compressed;
  if (entropy) {
    cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 19);
  }
  const auto l0 = SteadyClock::now();
  const size_t ndjson = LoadWorkload(site, "MPP7301", 0, n, cctx, &compressed);
  const double load_s = Since(l0);
  if (cctx) ZSTD_freeCCtx(cctx);
  const SyncFigures full = SyncThrough(c, site);
  IncrementalWork(site, "MPP7301", n);
  const SyncFigures incr = SyncThrough(c, site);
  const SyncFigures noop = SyncThrough(c, site);
  const std::string verify = Run({MPP_CTL_BIN, "--data", site, "verify"});
  const double raw = RawSqliteRate(dir, n);
  Json j = {{"n", n},
            {"ndjson_bytes", ndjson},
            {"load_seconds", load_s},
            {"full_push", full.ToJson()},
            {"full_push_tx_per_s", static_cast<double>(n) / full.seconds},
            {"incremental_200", incr.ToJson()},
            {"noop", noop.ToJson()},
            {"raw_sqlite_rows_per_s", raw},
            {"apply_vs_raw", static_cast<double>(n) / full.seconds / raw},
            {"verified_in_sync", verify.find("in sync") != std::string::npos}};
  if (entropy) j["ndjson_zstd19_bytes"] = compressed.size();
  std::printf(
      "n=%lld: full push %.2f s (%.0f tx/s), wire %.2f MB up / %.1f kB down, central %.1f MiB, "
      "mppctl %.1f MiB; incr %.3f s %.1f kB; noop %.1f kB; raw SQLite %.0f rows/s\n",
      static_cast<long long>(n), full.seconds, static_cast<double>(n) / full.seconds,
      static_cast<double>(full.wire_up) / 1e6, static_cast<double>(full.wire_down) / 1e3,
      static_cast<double>(full.central_rss_kb) / 1024,
      static_cast<double>(full.client_rss_kb) / 1024, incr.seconds,
      static_cast<double>(incr.wire_up + incr.wire_down) / 1e3,
      static_cast<double>(noop.wire_up + noop.wire_down) / 1e3, raw);
  std::fflush(stdout);
  return j;
}

// A transport that times each request.
class TimedTransport final : public mpp::replicator::SyncTransport {
 public:
  TimedTransport(mpp::replicator::SyncTransport& inner, std::vector<double>& latencies,
                 std::mutex& mu)
      : inner_(inner), latencies_(latencies), mu_(mu) {}
  mpp::Result<mpp::http::Response> Send(const mpp::http::Request& r) override {
    const auto t0 = SteadyClock::now();
    auto res = inner_.Send(r);
    const double ms = Since(t0) * 1000;
    std::lock_guard lock(mu_);
    latencies_.push_back(ms);
    return res;
  }

 private:
  mpp::replicator::SyncTransport& inner_;
  std::vector<double>& latencies_;
  std::mutex& mu_;
};

Json BenchManySites(const std::string& base, TestPki& pki, int sites, int per_site) {
  const std::string dir = base + "/many";
  mkdir(dir.c_str(), 0755);
  std::vector<std::string> codes;
  for (int i = 0; i < sites; ++i) {
    char code[16];
    std::snprintf(code, sizeof code, "MPP%04d", 9000 + i);
    codes.push_back(code);
  }
  // Sites beyond the shipped reference data: add them to a template before anyone starts.
  const auto s0 = SteadyClock::now();
  for (const auto& code : codes) OrExit(pki.AddSite(code));
  Centre c(dir, pki);
  {
    auto db = mpp::db::Database::Open(dir + "/central/central.db", {.create = false});
    for (const auto& code : codes) {
      (void)(*db)->Exec(
          "INSERT OR IGNORE INTO sites (code, regency_code, name, time_zone) VALUES ('" + code +
          "', '99.99', 'Bench site', 'WITA')");
    }
  }
  mpp::SystemClock clock;
  mpp::CryptoRandom random;
  // Each site database made directly (these sites are not in the shipped reference data).
  std::vector<std::unique_ptr<mpp::store::SiteStore>> stores;
  for (const auto& code : codes) {
    const std::string path = dir + "/" + code + ".db";
    {
      auto db = mpp::db::Database::Open(path);
      (void)mpp::db::Migrate(**db, mpp::schema::Migrations());
      (void)(*db)->Exec(
          "INSERT INTO sites (code, regency_code, name, time_zone) VALUES ('" + code +
          "', '99.99', 'Bench site', 'WITA'); INSERT INTO meta VALUES ('site_code', '" + code +
          "'), ('nik_key_hex', '" + std::string(64, 'a') + "')");
    }
    auto st = mpp::store::SiteStore::Open(path, clock, random);
    if (!st) {
      std::fprintf(stderr, "site %s: %s\n", code.c_str(), st.error().message.c_str());
      std::exit(1);
    }
    for (int k = 0; k < per_site; ++k)
      (void)(*st)->office().CreateApplication({{"service_code", "DKC-KTP"}});
    stores.push_back(std::move(st).value());
  }
  const double setup_s = Since(s0);
  std::vector<double> latencies;
  std::mutex mu;
  std::atomic<int> errors{0};
  std::atomic<int64_t> pushed{0};
  std::barrier start(sites + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < sites; ++i) {
    threads.emplace_back([&, i] {
      const auto& code = codes[static_cast<size_t>(i)];
      mpp::common::HttpsTransport https("127.0.0.1", c.port(), pki.ClientTls(code));
      TimedTransport timed(https, latencies, mu);
      mpp::replicator::SyncOptions o;
      o.schema_version = mpp::schema::Migrations().back().version;
      o.initial_batch_bytes = 16 * 1024;  // several pushes per site
      mpp::replicator::Replicator r(stores[static_cast<size_t>(i)]->replica(), timed, clock, o);
      start.arrive_and_wait();
      auto rep = r.SyncOnce();
      if (!rep) {
        ++errors;
        std::fprintf(stderr, "%s: %s\n", code.c_str(), rep.error().message.c_str());
      } else {
        pushed += rep->pushed;
      }
    });
  }
  start.arrive_and_wait();
  const auto t0 = SteadyClock::now();
  for (auto& t : threads) t.join();
  const double secs = Since(t0);
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty()
               ? 0.0
               : latencies[static_cast<size_t>(p * static_cast<double>(latencies.size() - 1))];
  };
  Json j = {{"sites", sites},
            {"changes", pushed.load()},
            {"seconds", secs},
            {"changes_per_s", static_cast<double>(pushed.load()) / secs},
            {"requests", latencies.size()},
            {"p50_ms", pct(0.5)},
            {"p99_ms", pct(0.99)},
            {"errors", errors.load()},
            {"setup_seconds", setup_s}};
  std::printf(
      "%d sites at once: %lld changes in %.2f s (%.0f/s), %zu requests, p50 %.1f ms, p99 %.1f ms, "
      "%d errors\n",
      sites, static_cast<long long>(pushed.load()), secs, static_cast<double>(pushed.load()) / secs,
      latencies.size(), pct(0.5), pct(0.99), errors.load());
  std::fflush(stdout);
  return j;
}

Json BenchProfiles(const std::string& base, TestPki& pki) {
  struct P {
    const char* name;
    LinkProfile profile;
    int64_t n;
  };
  const P profiles[] = {
      {"good VSAT (600 ms RTT, 512 kbit/s)", {300, 512'000, 0, 0}, 2000},
      {"congested VSAT (600 ms RTT, 64 kbit/s)", {300, 64'000, 0, 0}, 1000},
      {"BGAN (700 ms RTT, 32 kbit/s)", {350, 32'000, 0, 0}, 500},
      {"flaky cellular (200 ms RTT, 256 kbit/s, cut every 4 s)", {100, 256'000, 0, 4000}, 3000},
  };
  const char* codes[] = {"MPP7302", "MPP7310", "MPP7371", "MPP7407"};
  Json out = Json::array();
  for (size_t k = 0; k < 4; ++k) {
    const P& p = profiles[k];
    const std::string dir = base + "/profile" + std::to_string(k);
    mkdir(dir.c_str(), 0755);
    OrExit(pki.AddSite(codes[k]));
    Centre c(dir, pki, p.profile);
    const std::string site = InitSite(dir, pki, codes[k], c.proxy_port());
    LoadWorkload(site, codes[k], 0, p.n);
    const auto t0 = SteadyClock::now();
    int attempts = 0, requests = 0;
    for (; attempts < 30; ++attempts) {
      const std::string r = Run({MPP_CTL_BIN, "--data", site, "sync", "--json"}, nullptr, true);
      if (!r.empty()) {
        const Json j = Json::parse(r.substr(0, r.find('\n')));
        requests += j["push_batches"].get<int>() + 1;
        break;
      }
    }
    const double secs = Since(t0);
    const uint64_t wire = c.proxy().bytes_up() + c.proxy().bytes_down();
    // Ideal: the bytes at the link's rate, plus a round trip for TCP, TLS and each request.
    const double rtt = 2.0 * static_cast<double>(p.profile.one_way_delay_ms) / 1000.0;
    const double ideal =
        static_cast<double>(wire) * 8 / static_cast<double>(p.profile.bits_per_second) +
        rtt * (2 + requests);
    Json j = {{"profile", p.name},        {"transactions", p.n},     {"seconds", secs},
              {"ideal_seconds", ideal},   {"ratio", secs / ideal},   {"wire_bytes", wire},
              {"attempts", attempts + 1}, {"cuts", c.proxy().cuts()}};
    std::printf(
        "%s: %lld tx in %.1f s, ideal %.1f s (x%.2f), %.1f kB on the wire, %d attempts, %d cuts\n",
        p.name, static_cast<long long>(p.n), secs, ideal, secs / ideal,
        static_cast<double>(wire) / 1e3, attempts + 1, c.proxy().cuts());
    std::fflush(stdout);
    out.push_back(j);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> ns = {10000, 100000};
  int64_t big = 0;
  int sites = 0;
  bool profiles = false;
  std::string out_path, base;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--n") {
      ns.clear();
      std::stringstream ss(next());
      for (std::string x; std::getline(ss, x, ',');) ns.push_back(std::stoll(x));
    } else if (a == "--big") {
      big = std::stoll(next());
    } else if (a == "--sites") {
      sites = std::stoi(next());
    } else if (a == "--profiles") {
      profiles = true;
    } else if (a == "--out") {
      out_path = next();
    } else if (a == "--dir") {
      base = next();
    } else {
      std::fprintf(stderr,
                   "usage: mpp_bench [--n 10000,100000] [--big 1000000] [--sites 200] "
                   "[--profiles] [--out FILE] [--dir DIR]\n");
      return 2;
    }
  }
  if (!base.empty()) setenv("TMPDIR", base.c_str(), 1);
  mpp::testing::TempDir dir;
  TestPki pki(dir.File("pki"));
  OrExit(pki.Init({"MPP7301"}));
  Json report = {{"machine", {{"cores", std::thread::hardware_concurrency()}}},
                 {"runs", Json::array()}};
  for (int64_t n : ns) report["runs"].push_back(BenchN(dir.path(), pki, n, n <= 100000));
  if (big > 0) report["runs"].push_back(BenchN(dir.path(), pki, big, false));
  if (sites > 0) report["many_sites"] = BenchManySites(dir.path(), pki, sites, 100);
  if (profiles) report["link_profiles"] = BenchProfiles(dir.path(), pki);
  if (!out_path.empty()) std::ofstream(out_path) << report.dump(2) << "\n";
  return 0;
}
