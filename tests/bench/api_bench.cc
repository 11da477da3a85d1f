// Records per second through mpp-node's office API (real binary, real HTTP on 127.0.0.1,
// synchronous=FULL commits) with 1 and with 8 concurrent clients, beside the physical limit:
// the same rows written straight into SQLite, one durable transaction per record, no HTTP.
//
//   build/tests/bench/api_bench [--records N] [--dir DIR]
//
// DIR should be on the disk the node would use (default: $TMPDIR or /tmp).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "schema/migrations.h"
#include "sync/core/clock.h"
#include "sync/core/ids.h"
#include "sync/db/database.h"
#include "sync/db/migrate.h"
#include "sync/net/http_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Figures {
  double seconds = 0;
  int records = 0;
  std::vector<double> latencies_ms;
  double Rate() const { return records / seconds; }
  double Percentile(double p) {
    if (latencies_ms.empty()) return 0;
    std::sort(latencies_ms.begin(), latencies_ms.end());
    return latencies_ms[static_cast<size_t>(p * static_cast<double>(latencies_ms.size() - 1))];
  }
};

const char* kBody = R"({"service_code":"POL-SKCK","nik":"7301014508900001","counter_code":"G04",)"
                    R"("officer":"Muh. Ilham","notes":"Berkas lengkap, menunggu tanda tangan"})";

Figures ThroughApi(const std::string& dir, int clients, int records) {
  const std::string data = dir + "/api" + std::to_string(clients);
  mpp::testing::RunCommand({MPP_CTL_BIN, "init", "--site", "MPP7301", "--data", data});
  mpp::testing::NodeProcess node(data, dir + "/node.log");
  if (node.port == 0) {
    std::fprintf(stderr, "mpp-node did not start\n");
    std::exit(1);
  }
  std::atomic<int> next{0};
  std::vector<std::vector<double>> lat(static_cast<size_t>(clients));
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      mpp::net::HttpClient client("127.0.0.1", node.port);
      while (next.fetch_add(1) < records) {
        const auto t0 = Clock::now();
        auto r = client.Post("/api/v1/applications", kBody);
        if (!r.ok() || r->status != 201) {
          std::fprintf(stderr, "request failed\n");
          std::exit(1);
        }
        lat[static_cast<size_t>(c)].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  Figures f;
  f.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  f.records = records;
  for (auto& l : lat) f.latencies_ms.insert(f.latencies_ms.end(), l.begin(), l.end());
  return f;
}

// The same four rows a saved application writes (application, first event, two change-log
// entries), one BEGIN IMMEDIATE ... COMMIT per record, synchronous=FULL, WAL: the physical
// limit of what the node could do for one record per transaction.
Figures StraightIntoSqlite(const std::string& dir, int records) {
  auto db = mpp::db::Database::Open(dir + "/raw.db");
  if (!db.ok() || !mpp::db::Migrate(**db, mpp::schema::Migrations()).ok()) std::exit(1);
  mpp::SystemClock clock;
  mpp::CryptoRandom random;
  auto& d = **db;
  auto app = d.Cached(
      "INSERT INTO applications (id, site_code, service_code, citizen_ref, counter_code, "
      "ticket_id, channel, status, received_at, fee_idr, officer, notes, created_hlc, "
      "updated_hlc) VALUES (?, 'MPP7301', 'POL-SKCK', ?, 'G04', NULL, 'walk_in', 'received', "
      "'2026-11-20T00:00:00Z', 30000, 'Muh. Ilham', 'Berkas lengkap, menunggu tanda tangan', ?, "
      "?)");
  auto ev = d.Cached(
      "INSERT INTO application_events (id, site_code, application_id, from_status, to_status, "
      "at, officer, note, hlc) VALUES (?, 'MPP7301', ?, NULL, 'received', "
      "'2026-11-20T00:00:00Z', 'Muh. Ilham', NULL, ?)");
  auto log = d.Cached(
      "INSERT INTO change_log (hlc, origin_site, table_name, row_id, op, data) "
      "VALUES (?, 'MPP7301', ?, ?, 'insert', ?)");
  if (!app.ok() || !ev.ok() || !log.ok()) std::exit(1);
  const std::string ref(64, 'a');
  const std::string json(420, ' ');
  const auto start = Clock::now();
  for (int i = 0; i < records; ++i) {
    const std::string id = mpp::NewUuidV7(clock, random);
    const std::string eid = mpp::NewUuidV7(clock, random);
    mpp::db::Transaction tx(d);
    {
      mpp::db::StatementRef s(*app);
      s->Bind(1, id).Bind(2, ref).Bind(3, i).Bind(4, i);
      (void)s->Run();
    }
    {
      mpp::db::StatementRef s(*ev);
      s->Bind(1, eid).Bind(2, id).Bind(3, i);
      (void)s->Run();
    }
    for (const auto* table : {"applications", "application_events"}) {
      mpp::db::StatementRef s(*log);
      s->Bind(1, i).Bind(2, table).Bind(3, id).Bind(4, "{\"x\":\"" + json + "\"}");
      (void)s->Run();
    }
    if (!tx.Commit().ok()) std::exit(1);
  }
  Figures f;
  f.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  f.records = records;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  int records = 5000;
  std::string base;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--records")) records = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) base = argv[i + 1];
  }
  if (!base.empty()) setenv("TMPDIR", base.c_str(), 1);
  mpp::testing::TempDir dir;
  std::printf("api_bench: %d records per run, data in %s\n", records, dir.path().c_str());
  Figures raw = StraightIntoSqlite(dir.path(), records);
  std::printf("%-34s %10s %9s %9s %9s\n", "run", "records/s", "p50 ms", "p99 ms", "vs SQLite");
  std::printf("%-34s %10.0f %9s %9s %9s\n", "SQLite direct, 1 txn/record, FULL", raw.Rate(), "-",
              "-", "1.00");
  for (int clients : {1, 8}) {
    Figures f = ThroughApi(dir.path(), clients, records);
    char name[64];
    std::snprintf(name, sizeof name, "office API, %d client%s", clients, clients > 1 ? "s" : "");
    const double p50 = f.Percentile(0.50), p99 = f.Percentile(0.99);
    std::printf("%-34s %10.0f %9.2f %9.2f %9.2f\n", name, f.Rate(), p50, p99,
                f.Rate() / raw.Rate());
  }
  return 0;
}
