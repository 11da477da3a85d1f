#include "tests/fault/simulation.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <set>

#include "schema/migrations.h"
#include "sync/core/compress.h"
#include "sync/core/log.h"
#include "sync/core/time_util.h"
#include "sync/protocol/messages.h"
#include "sync/replicator/central_endpoint.h"
#include "sync/replicator/replicator.h"
#include "sync/store/central_store.h"
#include "sync/store/site_store.h"
#include "tests/support/fault_vfs.h"
#include "tests/support/temp_dir.h"

namespace mpp::sim {
namespace {

namespace fs = std::filesystem;
using testing::FaultVfs;

constexpr int64_t kT0 = 1'795'000'000'000;  // 2026-11-18
constexpr int64_t kMinute = 60'000;
const char* const kSiteCodes[] = {"MPP7301", "MPP7302", "MPP7310", "MPP7371",
                                  "MPP7407", "MPP5306", "MPP2101", "MPP8103"};
const char* const kHostile = "MPP9205";  // in the reference data, never one of the sites above
const char* const kTables[] = {"counters", "queue_tickets", "applications", "application_events",
                               "payments", "surveys",       "complaints"};

std::string Code(const Error& e) { return std::string(ErrcName(e.code)); }

int SchemaVersion() { return schema::Migrations().back().version; }

// Fresh databases for the centre and every site, made once per process and copied per run.
const std::string& Templates() {
  static testing::TempDir* dir = [] {
    auto* d = new testing::TempDir(testing::FastTempBase());
    ManualClock clock(kT0);
    SeededRandom random(1);
    auto c = store::OpenSqliteCentralStore(d->File("central.db"), clock);
    if (!c) std::abort();
    for (const char* code : kSiteCodes) {
      if (!store::SiteStore::Initialise(d->File(std::string(code) + ".db"), {code, ""}, clock,
                                        random))
        std::abort();
    }
    return d;
  }();
  return dir->path();
}

class World;

class SimTransport final : public replicator::SyncTransport {
 public:
  SimTransport(World& world, size_t site) : world_(world), site_(site) {}
  Result<http::Response> Send(const http::Request& request) override;

 private:
  World& world_;
  size_t site_;
};

struct Site {
  std::string code;
  int64_t skew_ms = 0;  // this PC's clock minus the true time
  std::unique_ptr<ManualClock> pc_clock;
  std::unique_ptr<SeededRandom> random;
  std::unique_ptr<store::SiteStore> store;
  std::unique_ptr<SimTransport> transport;
  std::unique_ptr<replicator::Replicator> replicator;
  bool partitioned = false;
  bool crash_pending = false;                          // dies as soon as its current sync returns
  std::vector<std::string> applications;               // acknowledged application ids
  std::vector<std::string> complaints;                 // acknowledged complaint ids
  std::map<std::string, std::set<std::string>> acked;  // table → acknowledged ids
  // Every id a save of this site's clerks ever put in its tables, acknowledged or not (a save
  // can commit and crash before answering): what the centre may hold of this site.
  std::map<std::string, std::set<std::string>> made;
  // The last copy of its disk (BackupSite), and what was acknowledged when it was taken.
  bool has_backup = false;
  std::map<std::string, std::set<std::string>> backup_acked;
};

class World {
 public:
  explicit World(const SimOptions& o) : o_(o), rng_(o.seed * 0x9E3779B97F4A7C15ull + 1) {}

  SimResult Run() {
    SetLogLevel(LogLevel::kError);  // thousands of runs: only what goes wrong
    FaultVfs& vfs = FaultVfs::Get();
    vfs.Reset();
    vfs.set_skip_sync(true);  // in-process crashes: the OS keeps what was written
    const int n = o_.sites > 0 ? o_.sites : 3 + static_cast<int>(Pick(6));
    const double intensity[] = {0.0, 0.05, 0.15, 0.3};
    fault_ = intensity[Pick(4)];
    result_.sites = n;
    sites_.reserve(static_cast<size_t>(n));
    fs::copy(Templates() + "/central.db", dir_.File("central.db"));
    OpenCentre();
    const int64_t skews[] = {0, 0, 0, 288'000, -288'000, -kT0, 10LL * 365 * 24 * 3600 * 1000};
    for (int i = 0; i < n; ++i) {
      Site& s = sites_.emplace_back();
      s.code = kSiteCodes[i];
      s.skew_ms = skews[Pick(7)];
      if (Chance(0.2)) s.skew_ms += static_cast<int64_t>(Pick(120'000)) - 60'000;
      s.pc_clock = std::make_unique<ManualClock>(now_ + s.skew_ms);
      s.random = std::make_unique<SeededRandom>(Rand());
      fs::copy(Templates() + "/" + s.code + ".db", dir_.File(s.code + ".db"));
      OpenSite(s);
      Event("site " + s.code + " clock skew " + std::to_string(s.skew_ms) + " ms");
    }
    Event("fault intensity " + std::to_string(fault_));
    for (int step = 0; step < o_.steps; ++step) {
      Step();
      CheckAcknowledgedIsStored("step " + std::to_string(step));
    }
    Heal();
    FinalChecks();
    vfs.Reset();
    vfs.set_skip_sync(false);
    result_.last_events.assign(trace_.begin(), trace_.end());
    return result_;
  }

  // The network, as seen by site `i`'s replicator.
  Result<http::Response> Send(size_t i, const http::Request& request) {
    Site& s = sites_[i];
    ++result_.messages;
    const std::string what = s.code + " " + request.method + " " + Path(request.target);
    if (FaultVfs::Get().crashed() || s.crash_pending) return Lost(what, "sender is dead");
    if (s.partitioned) return Lost(what, "partitioned");
    if (Chance(fault_ * 0.5)) {
      ++result_.dropped;
      return Lost(what, "request dropped");
    }
    if (o_.bug == PlantedBug::kForgedAck && IsPush(request) && Chance(0.3)) {
      return ForgedAck(what, request);
    }
    if (Chance(fault_ * 0.3) && late_.size() < 16) late_.push_back({i, request});
    http::Response response = Deliver(i, request);
    if (FaultVfs::Get().crashed()) return Lost(what, "centre crashed while handling it");
    if (Chance(fault_ * 0.3)) {
      ++result_.duplicated;
      Event(what + ": delivered twice");
      http::Response second = Deliver(i, request);
      if (FaultVfs::Get().crashed()) return Lost(what, "centre crashed on the duplicate");
      if (Chance(0.5)) response = std::move(second);
    }
    if (o_.bug == PlantedBug::kSwallowSiteBehind && IsPush(request) && response.status == 409 &&
        response.body.find("site_behind") != std::string::npos) {
      return ForgedAck(what, request);
    }
    if (o_.bug == PlantedBug::kRenumberedResend && IsPush(request) && response.status == 200 &&
        Chance(0.5)) {
      RenumberedResend(i, request);
    }
    if (Chance(fault_ * 0.5)) {
      ++result_.dropped;
      return Lost(what, "response dropped");
    }
    if (Chance(fault_ * 0.1)) {
      s.crash_pending = true;
      return Lost(what, "site crashed before reading the response");
    }
    if (Chance(fault_ * 0.05)) {
      Event(what + ": centre crashed after answering");
      RestartCentre();
    }
    Event(what + " -> " + std::to_string(response.status));
    return response;
  }

 private:
  // ---- parties ----
  void OpenCentre() {
    auto c = store::OpenSqliteCentralStore(dir_.File("central.db"), central_clock_,
                                           {.vfs = FaultVfs::kName});
    if (!c) {
      Violation("the centre does not open after a crash: " + c.error().message);
      std::abort();
    }
    central_ = std::move(c).value();
    api_ =
        std::make_unique<replicator::CentralEndpoint>(*central_, central_clock_, SchemaVersion());
  }
  void RestartCentre() {
    ++result_.centre_crashes;
    api_.reset();
    central_.reset();
    FaultVfs::Get().PowerLoss(FaultVfs::Unsynced::kKeep, 0);
    OpenCentre();
    Event("centre restarted from its file");
  }
  void OpenSite(Site& s) {
    const size_t i = static_cast<size_t>(&s - sites_.data());
    auto st = store::SiteStore::Open(dir_.File(s.code + ".db"), *s.pc_clock, *s.random,
                                     {.create = false, .vfs = FaultVfs::kName});
    if (!st) {
      Violation(s.code + " does not open after a crash: " + st.error().message);
      std::abort();
    }
    s.store = std::move(st).value();
    s.transport = std::make_unique<SimTransport>(*this, i);
    replicator::SyncOptions so;
    so.schema_version = SchemaVersion();
    // Fixed, small batches: many messages to break, and no timing in the run.
    so.initial_batch_bytes = so.min_batch_bytes = so.max_batch_bytes = 3000;
    so.pull_page_bytes = 3000;
    s.replicator =
        std::make_unique<replicator::Replicator>(s.store->replica(), *s.transport, *s.pc_clock, so);
    s.crash_pending = false;
  }
  void RestartSite(Site& s) {
    ++result_.site_crashes;
    s.replicator.reset();
    s.transport.reset();
    s.store.reset();
    FaultVfs::Get().PowerLoss(FaultVfs::Unsynced::kKeep, 0);
    OpenSite(s);
    Event(s.code + " restarted from its file");
  }

  http::Response Deliver(size_t i, http::Request request) {
    return DeliverAs(sites_[i].code, std::move(request));
  }
  http::Response DeliverAs(const std::string& code, http::Request request) {
    request.peer_uris = {"mpp:site:" + code};
    // Now and then the centre's disk fails, or the centre dies, inside the request (unless a
    // fault scheduled by the caller is still pending).
    FaultVfs& vfs = FaultVfs::Get();
    bool armed_here = false;
    if (!vfs.armed()) {
      if (Chance(fault_ * 0.1)) {
        vfs.FailAt(1 + static_cast<int64_t>(Pick(12)), false);
        armed_here = true;
      } else if (Chance(fault_ * 0.05)) {
        vfs.CrashAt(1 + static_cast<int64_t>(Pick(12)));
        armed_here = true;
      }
    }
    const int64_t failures = vfs.failures();
    http::Response r = api_->Handle(request);
    if (vfs.failures() > failures) ++result_.io_errors;
    if (vfs.crashed()) {
      Event("centre crashed inside " + Path(request.target) + " (" + std::to_string(r.status) +
            " never sent)");
      RestartCentre();
    }
    if (armed_here) vfs.Heal();
    return r;
  }

  Result<http::Response> Lost(const std::string& what, const std::string& why) {
    Event(what + ": " + why);
    return MakeError(Errc::kInternal, "link: " + why);
  }

  static bool IsPush(const http::Request& r) { return r.target == "/sync/v1/push"; }
  static std::string Path(const std::string& target) { return target.substr(0, target.find('?')); }

  Result<protocol::PushRequest> DecodePush(const http::Request& r) {
    auto body = protocol::DecodeBody(r.body, r.Header("content-encoding"));
    if (!body) return body.error();
    return protocol::PushRequestFromJson(*body);
  }

  // Planted bug: "stored", without delivering.
  Result<http::Response> ForgedAck(const std::string& what, const http::Request& r) {
    auto push = DecodePush(r);
    if (!push) return Lost(what, "undecodable push");
    protocol::PushResponse resp;
    resp.acked_seq = push->first_seq + static_cast<int64_t>(push->changes.size()) - 1;
    resp.applied = static_cast<int>(push->changes.size());
    http::Response out;
    out.body = protocol::EncodeBody(protocol::ToJson(resp), false);
    Event(what + ": PLANTED forged acknowledgement");
    return out;
  }

  // Planted bug: the batch's applications sent again under new ids and seqs.
  void RenumberedResend(size_t i, const http::Request& r) {
    auto push = DecodePush(r);
    if (!push) return;
    auto acked = central_->AckedSeq(sites_[i].code);
    if (!acked) return;
    protocol::PushRequest copy{push->site, *acked + 1, {}};
    for (Change c : push->changes) {
      if (c.table != "applications" || c.op != "insert") continue;
      c.row_id.back() = c.row_id.back() == 'a' ? 'b' : 'a';
      c.data["id"] = c.row_id;
      c.seq = *acked + 1 + static_cast<int64_t>(copy.changes.size());
      copy.changes.push_back(std::move(c));
    }
    if (copy.changes.empty()) return;
    http::Request again = r;
    again.body = protocol::EncodeBody(protocol::ToJson(copy), false);
    again.headers.erase(std::remove_if(again.headers.begin(), again.headers.end(),
                                       [](const auto& h) { return h.first == "content-encoding"; }),
                        again.headers.end());
    Event(sites_[i].code + ": PLANTED renumbered resend of " + std::to_string(copy.changes.size()) +
          " applications");
    (void)Deliver(i, again);
  }

  // ---- the hostile site ----
  // One push of MPP9205: a hostile change (or body) of kind `kind`, or a valid row (kind 11).
  void HostilePush() {
    Site& victim = sites_[Pick(sites_.size())];
    const uint64_t kind = Pick(12);
    const std::string now = FormatUtc(now_);
    char id[40];
    std::snprintf(id, sizeof id, "0195%04x-0000-7000-8000-%012llx",
                  static_cast<unsigned>(Pick(0x10000)),
                  static_cast<unsigned long long>(++hostile_rows_));
    Json app = {{"id", id},
                {"site_code", kHostile},
                {"service_code", "DKC-KTP"},
                {"channel", "walk_in"},
                {"status", "received"},
                {"received_at", now},
                {"fee_idr", 0}};
    const std::string victim_app =
        victim.applications.empty() ? "" : victim.applications[Pick(victim.applications.size())];
    Change c;
    c.hlc = MakeHlc(now_, static_cast<uint32_t>(hostile_rows_ & 0xffff));
    c.op = "insert";
    c.table = "applications";
    c.row_id = id;
    std::string what;
    switch (kind) {
      case 0:
        if (victim_app.empty()) return;
        what = "edits an application of " + victim.code;
        c.op = "update";
        c.row_id = victim_app;
        c.data = {{"notes", "diubah oleh situs lain"}};
        break;
      case 1:
        if (victim_app.empty()) return;
        what = "pays on an application of " + victim.code;
        c.table = "payments";
        c.data = {{"id", id},
                  {"site_code", kHostile},
                  {"application_id", victim_app},
                  {"amount_idr", 99'999'999},
                  {"method", "cash"},
                  {"paid_at", now}};
        break;
      case 2:
        what = "inserts a row owned by " + victim.code;
        app["site_code"] = victim.code;
        c.data = app;
        break;
      case 3:
        what = "changes a fee of the catalogue";
        c.op = "update";
        c.table = "services";
        c.row_id = "DKC-KTP";
        c.data = {{"fee_idr", 1}};
        break;
      case 4:
        what = "hides a NIK in notes";
        app["notes"] = "NIK 7301 0145 0890 0001";
        c.data = app;
        break;
      case 5:
        what = "sends a time that is no time";
        app["received_at"] = "not a timestamp";
        c.data = app;
        break;
      case 6:
        what = "sends 5 kB of notes";
        app["notes"] = std::string(5000, 'x');
        c.data = app;
        break;
      case 7:
        if (victim_app.empty()) return;
        what = "moves an application of " + victim.code + " to itself";
        c.op = "update";
        c.row_id = victim_app;
        c.data = {{"site_code", kHostile}};
        break;
      case 8:
        what = "writes a conflict record";
        c.table = "conflicts";
        c.data = {{"id", id}, {"site_code", victim.code}, {"status", "resolved"}};
        break;
      case 9:
      case 10:
        break;  // bodies, below
      default:
        what = "saves a valid application of its own";
        c.data = app;
        break;
    }
    http::Request r;
    r.method = "POST";
    r.target = "/sync/v1/push";
    r.content_type = "application/json";
    r.headers = protocol::VersionHeaders(SchemaVersion());
    const int64_t first = hostile_seq_ + 1;
    if (kind == 9) {
      what = "sends a zstd body that expands to 9 MiB";
      r.body = Bomb();
      r.headers.emplace_back("content-encoding", "zstd");
    } else if (kind == 10) {
      what = "sends 2,001 changes in one batch";
      protocol::PushRequest many{kHostile, first, {}};
      for (int k = 0; k < 2001; ++k) {
        Change m = c;
        m.seq = first + k;
        m.data = {{"id", id}};
        many.changes.push_back(m);
      }
      r.body = protocol::EncodeBody(protocol::ToJson(many), false);
    } else {
      c.seq = first;
      r.body = protocol::EncodeBody(protocol::ToJson(protocol::PushRequest{kHostile, first, {c}}),
                                    false);
    }
    const bool valid = kind == 11;
    if (valid) hostile_valid_.insert(id);  // it may be stored even if the answer is lost
    const std::string as = o_.bug == PlantedBug::kImpersonation ? victim.code : kHostile;
    if (as != kHostile) {  // the planted bug: the centre takes the victim's name from the body
      r.body = std::regex_replace(r.body, std::regex(kHostile), victim.code);
    }
    ++result_.hostile_pushes;
    const http::Response res = DeliverAs(as, r);
    Event(std::string(kHostile) + " " + what + " -> " + std::to_string(res.status));
    const Json j = Json::parse(res.body, nullptr, false);
    if (res.status == 500 && j.is_object() && j["error"].value("code", "") == "internal_error") {
      return Violation(std::string(kHostile) + " " + what + ": 500 internal_error " + res.body);
    }
    if (res.status == 409 && j.is_object() && j["error"].contains("expected_seq")) {
      hostile_seq_ = j["error"]["expected_seq"].get<int64_t>() - 1;
      return;
    }
    if (res.status == 409 && j.is_object() && j["error"].contains("acked_seq")) {
      hostile_seq_ = j["error"]["acked_seq"].get<int64_t>();  // stored before a lost answer
      return;
    }
    if (res.status != 200 || !j.is_object()) {
      if (valid && res.status / 100 == 4) {
        Violation(std::string(kHostile) + " " + what + ": refused " + res.body);
      }
      result_.hostile_refused += !valid && res.status / 100 == 4;
      return;  // a fault of the centre (503, a crash): the change may or may not be stored
    }
    hostile_seq_ = j.value("acked_seq", hostile_seq_);
    const int quarantined = j.value("quarantined", 0);
    if (valid && quarantined > 0) {
      Violation(std::string(kHostile) + " " + what + ": set aside " + j["refused"].dump());
    } else if (!valid && quarantined == 0 && as == kHostile) {
      Violation(std::string(kHostile) + " " + what + ": the centre took it");
    }
    result_.hostile_refused += !valid && quarantined > 0;
  }

  static const std::string& Bomb() {
    static const std::string bomb = [] {
      std::string text = R"({"site":"MPP9205","first_seq":1,"changes":[)";
      for (int i = 0; i < 3'000'000; ++i) text += "{},";
      text.back() = ']';
      return ZstdCompress(text + "}");
    }();
    return bomb;
  }

  // ---- the schedule ----
  void Step() {
    if (Chance(0.06)) HostilePush();
    const uint64_t roll = Pick(100);
    Site& s = sites_[Pick(sites_.size())];
    if (roll < 42) {
      ClerkWrite(s);
    } else if (roll < 66) {
      Sync(s, /*faults=*/true);
    } else if (roll < 75) {
      CentreDecision();
    } else if (roll < 79) {
      Event(s.code + " crashes between operations");
      RestartSite(s);
    } else if (roll < 81) {
      Event("centre crashes between requests");
      RestartCentre();
    } else if (roll < 86) {
      s.partitioned = !s.partitioned;
      result_.partitions += s.partitioned;
      Event(s.code + (s.partitioned ? " partitioned" : " reconnected"));
    } else if (roll < 91) {
      DeliverLate();
    } else if (roll < 96) {
      const int64_t dt = static_cast<int64_t>(Pick(10 * kMinute));
      AdvanceTime(dt);
    } else if (roll < 97) {
      BackupSite(s);
    } else if (roll < 98) {
      ReplaceDisk(s, /*empty=*/!s.has_backup || Chance(0.3));
    } else {
      const int64_t jumps[] = {288'000, -288'000, -kT0, 10LL * 365 * 24 * 3600 * 1000, 0};
      s.skew_ms = jumps[Pick(5)];
      ++result_.clock_jumps;
      s.pc_clock->Set(now_ + s.skew_ms);
      Event(s.code + " clock jumps to skew " + std::to_string(s.skew_ms));
    }
  }

  // A copy of the site's disk, as a technician's backup takes it.
  void BackupSite(Site& s) {
    CloseSite(s);
    const std::string path = dir_.File(s.code + ".db");
    for (const char* suffix : {"", "-wal"}) {
      fs::remove(path + ".backup" + suffix);
      if (fs::exists(path + suffix)) fs::copy(path + suffix, path + ".backup" + suffix);
    }
    s.has_backup = true;
    s.backup_acked = s.acked;
    ++result_.backups;
    OpenSite(s);
    Event(s.code + " backed up");
  }

  // The site's disk replaced by its last backup, or by an empty one set up anew with `init`.
  // What it acknowledged since and never sent is gone with the old disk: the oracle forgets
  // exactly that, and keeps everything the centre already holds (it must come back).
  void ReplaceDisk(Site& s, bool empty) {
    CloseSite(s);
    const std::string path = dir_.File(s.code + ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
    std::map<std::string, std::set<std::string>> kept;
    if (empty) {
      if (!store::SiteStore::Initialise(path, {s.code, ""}, *s.pc_clock, *s.random)) {
        Violation(s.code + ": init on an empty disk failed");
      }
      ++result_.empty_disks;
    } else {
      for (const char* suffix : {"", "-wal"}) {
        if (fs::exists(path + ".backup" + suffix))
          fs::copy(path + ".backup" + suffix, path + suffix);
      }
      kept = s.backup_acked;
      ++result_.restores;
    }
    auto centre = db::Database::Open(dir_.File("central.db"), {.create = false});
    if (!centre) return Violation("cannot read the centre");
    for (auto& [table, ids] : s.acked) {
      const auto there = Ids(**centre, table, s.code);
      std::set<std::string> still;
      for (const std::string& id : ids) {
        if (kept[table].count(id) || there.count(id)) still.insert(id);
      }
      ids = std::move(still);
    }
    s.applications.assign(s.acked["applications"].begin(), s.acked["applications"].end());
    OpenSite(s);
    Event(s.code + (empty ? " disk replaced by an empty one" : " disk restored from its backup"));
  }

  void CloseSite(Site& s) {
    s.replicator.reset();
    s.transport.reset();
    s.store.reset();
  }

  void AdvanceTime(int64_t dt) {
    now_ += dt;
    central_clock_.Set(now_);
    for (Site& s : sites_) s.pc_clock->Set(now_ + s.skew_ms);
  }

  void ClerkWrite(Site& s) {
    FaultVfs& vfs = FaultVfs::Get();
    const bool io = Chance(fault_ * 0.2), crash = !io && Chance(fault_ * 0.1);
    if (io) vfs.FailAt(1 + static_cast<int64_t>(Pick(6)), false);
    if (crash) vfs.CrashAt(1 + static_cast<int64_t>(Pick(6)));
    const int64_t failures = vfs.failures();
    std::string table;
    Result<Json> r = Json();
    const uint64_t kind = Pick(100);
    std::string app = s.applications.empty() ? "" : s.applications[Pick(s.applications.size())];
    std::string complaint = s.complaints.empty() ? "" : s.complaints[Pick(s.complaints.size())];
    if (kind < 35 || app.empty()) {
      table = "applications";
      const char* services[] = {"DKC-KTP", "DKC-KK", "SAM-PKB", "POL-SKCK"};
      r = s.store->office().CreateApplication({{"service_code", services[Pick(4)]}});
    } else if (kind < 58) {
      table = "application_events";
      auto got = s.store->office().GetApplication(app);
      if (!got) {
        r = got.error();
      } else {
        const std::string st = (*got)["status"];
        const char* to = st == "received"     ? "verified"
                         : st == "verified"   ? "in_process"
                         : st == "in_process" ? (Chance(0.8) ? "completed" : "rejected")
                                              : "cancelled";
        r = s.store->office().ChangeStatus(app, {{"to", to}});
      }
    } else if (kind < 76) {
      table = "payments";
      r = s.store->office().RecordPayment(
          {{"application_id", app},
           {"amount_idr", 5000 + static_cast<int64_t>(Pick(100)) * 1000},
           {"method", Chance(0.5) ? "cash" : "qris"}});
    } else if (kind < 84) {
      table = "surveys";
      Json survey = {{"service_code", "DKC-KTP"}, {"application_id", app}};
      for (int u = 1; u <= 9; ++u) survey["u" + std::to_string(u)] = 1 + Pick(4);
      r = s.store->office().RecordSurvey(survey);
    } else if (kind < 88) {
      table = "queue_tickets";
      r = s.store->office().IssueTicket({{"service_code", "DKC-KTP"}});
    } else if (kind < 92 || complaint.empty()) {
      table = "complaints";
      r = s.store->office().CreateComplaint({{"channel", Chance(0.5) ? "counter" : "whatsapp"},
                                             {"category", "service_time"},
                                             {"description", "Antrean lama"}});
    } else if (kind < 97) {
      // A complaint through its life: open -> in_progress -> resolved -> closed, answered.
      table = "complaints";
      const char* to[] = {"in_progress", "resolved", "closed"};
      Json body = {{"response", "ditangani " + std::to_string(Pick(1000))}};
      if (Chance(0.6)) body["status"] = to[Pick(3)];
      r = s.store->office().UpdateComplaint(complaint, body);
    } else {
      // A supervisor resolves a conflict the centre recorded (it may be settled already).
      table = "";
      auto open = s.store->office().ListConflicts(std::string("open"));
      if (open.ok() && !(*open)["items"].empty()) {
        const Json& c = (*open)["items"][Pick((*open)["items"].size())];
        r = s.store->office().ResolveConflict(c["id"],
                                              {{"keep", Chance(0.5) ? "winner" : "loser"}});
        Event(s.code + " resolves conflict " + c["id"].get<std::string>() + ": " +
              (r.ok() ? "ok" : Code(r.error())));
      }
      r = Json();  // not a save of a record of its own
    }
    if (vfs.failures() > failures) ++result_.io_errors;
    if (vfs.crashed()) {
      Event(s.code + " crashed inside a save");
      RestartSite(s);
    }
    vfs.Heal();
    for (const std::string& t :
         {table.empty() ? "applications" : table, std::string("application_events")}) {
      auto& ids = s.made[t];
      const auto now = Ids(s.store->database_for_testing(), t, s.code);
      ids.insert(now.begin(), now.end());
    }
    if (r.ok() && r->contains("id")) {
      // The clerk saw "saved": from here on it must reach the centre exactly once.
      const std::string id = (*r)["id"];
      const std::string row = table == "application_events" ? LastEventId(s) : id;
      if (table == "complaints" && !s.acked[table].count(id)) s.complaints.push_back(id);
      if (!row.empty()) s.acked[table].insert(row);
      if (table == "applications") s.applications.push_back(id);
      ++result_.acked_writes;
      Event(s.code + " saved " + table + " " + row);
    } else {
      Event(s.code + " save of " + table +
            " failed: " + (r.ok() ? std::string("no id") : Code(r.error())));
    }
  }

  std::string LastEventId(Site& s) {
    auto id = s.store->database_for_testing().QueryText(
        "SELECT row_id FROM change_log WHERE table_name = 'application_events' "
        "ORDER BY seq DESC LIMIT 1");
    return id.ok() && *id ? **id : "";
  }

  void Sync(Site& s, bool faults) {
    FaultVfs& vfs = FaultVfs::Get();
    const bool crash = faults && Chance(fault_ * 0.15);
    if (crash) vfs.CrashAt(1 + static_cast<int64_t>(Pick(40)));
    ++result_.syncs;
    auto r = s.replicator->SyncOnce();
    const bool site_crashed = vfs.crashed();  // a crash in the centre restarted it already
    vfs.Heal();
    if (r.ok()) {
      result_.restamped += r->restamped;
      result_.conflicts += r->conflicts;
      result_.recovered += r->recovered;
      result_.renumbered += r->renumbered;
      result_.quarantined += r->quarantined;
      Event(s.code + " synced: pushed " + std::to_string(r->pushed) + ", duplicates " +
            std::to_string(r->push_duplicates) + ", pulled " + std::to_string(r->pulled) +
            ", acked " + std::to_string(r->acked_seq));
    } else {
      ++result_.failed_syncs;
      last_sync_error_ = r.error().message;
      Event(s.code + " sync failed: " + Code(r.error()));
    }
    if (site_crashed || s.crash_pending) {
      Event(s.code + (site_crashed ? " crashed inside a sync transaction" : " died mid-sync"));
      RestartSite(s);
    }
    last_sync_ok_ = r.ok();
  }

  void CentreDecision() {
    Site& s = sites_[Pick(sites_.size())];
    if (s.applications.empty()) return;
    const std::string& app = s.applications[Pick(s.applications.size())];
    Json cols;
    std::string table = "applications", row = app;
    const uint64_t kind = Pick(14);
    if (kind < 3) {
      cols = {{"notes", "keputusan pusat " + std::to_string(Pick(1000))}};
    } else if (kind < 5) {
      cols = {{"fee_idr", 1000 * static_cast<int64_t>(Pick(100))}};
    } else if (kind < 8) {
      const char* to[] = {"in_process", "completed", "rejected"};
      cols = {{"status", to[Pick(3)]}};
    } else if (kind < 12 && !s.complaints.empty()) {
      table = "complaints";
      row = s.complaints[Pick(s.complaints.size())];
      cols = {{"response", "jawaban pusat " + std::to_string(Pick(1000))}};
      if (Chance(0.3)) cols["status"] = Chance(0.5) ? "resolved" : "in_progress";
    } else {
      // An operator resolves a recorded conflict (keeping the loser may be refused: a status
      // never falls back).
      auto open = central_->ListConflicts(std::string("open"));
      if (!open.ok() || (*open)["items"].empty()) return;
      const Json& c = (*open)["items"][Pick((*open)["items"].size())];
      auto r = central_->ResolveConflict(c["id"], {{"keep", Chance(0.5) ? "winner" : "loser"}},
                                         "mpp:role:operator");
      Event("centre resolves conflict " + c["id"].get<std::string>() + ": " +
            (r.ok() ? "ok" : Code(r.error())));
      return;
    }
    auto r = central_->UpdateRow(table, row, cols, "mpp:role:operator");
    Event("centre sets " + cols.begin().key() + " of " + row + ": " +
          (r.ok() ? "ok" : Code(r.error())));
  }

  void DeliverLate() {
    if (late_.empty()) return;
    const size_t k = Pick(late_.size());
    auto [site, request] = late_[k];
    late_.erase(late_.begin() + static_cast<long>(k));
    ++result_.late;
    const http::Response r = Deliver(site, request);
    Event(sites_[site].code + " " + Path(request.target) + " delivered late -> " +
          std::to_string(r.status));
  }

  // ---- the checker ----
  void CheckAcknowledgedIsStored(const std::string& when) {
    for (Site& s : sites_) {
      auto mine = s.store->replica().AckedSeq();
      auto theirs = central_->AckedSeq(s.code);
      if (mine.ok() && theirs.ok() && *mine > *theirs) {
        Violation(when + ": " + s.code + " holds changes up to " + std::to_string(*mine) +
                  " as acknowledged, but the centre stored only up to " + std::to_string(*theirs));
      }
    }
  }

  void Heal() {
    Event("faults stop; every site reconnects and syncs");
    fault_ = 0;
    for (Site& s : sites_) s.partitioned = false;
    late_.clear();
    FaultVfs::Get().Heal();
    // Two rounds: everything pushed, then every centre decision pulled.
    for (int round = 0; round < 3; ++round) {
      for (Site& s : sites_) {
        Sync(s, false);
        if (!last_sync_ok_ && round == 2)
          Violation(s.code + " cannot sync after the faults stopped: " + last_sync_error_);
      }
    }
  }

  std::set<std::string> Ids(db::Database& db, const std::string& table, const std::string& site) {
    std::set<std::string> ids;
    auto stmt = db.Prepare("SELECT id FROM " + table + " WHERE site_code = ?");
    if (!stmt) return ids;
    (*stmt)->Bind(1, site);
    while (true) {
      auto row = (*stmt)->Step();
      if (!row || !*row) break;
      ids.insert((*stmt)->ColumnText(0));
    }
    return ids;
  }

  void FinalChecks() {
    auto centre = db::Database::Open(dir_.File("central.db"), {.create = false});
    if (!centre) return Violation("cannot read the centre");
    // The hostile site holds nothing at the centre but the valid rows it saved, and the
    // catalogue is the ministry's.
    for (const char* table : kTables) {
      for (const std::string& id : Ids(**centre, table, kHostile)) {
        if (!hostile_valid_.count(id)) {
          Violation(std::string("HOSTILE: the centre holds ") + table + " " + id + " of " +
                    kHostile + ", which the rules refuse");
        }
      }
    }
    auto fee = (*centre)->QueryInt("SELECT fee_idr FROM services WHERE code = 'DKC-KTP'");
    if (!fee.ok() || *fee == 1) Violation("HOSTILE: a site changed the catalogue");
    for (Site& s : sites_) {
      auto site = db::Database::Open(dir_.File(s.code + ".db"), {.create = false});
      if (!site) return Violation("cannot read " + s.code);
      for (const char* table : kTables) {
        const auto there = Ids(**centre, table, s.code);
        const auto here = Ids(**site, table, s.code);
        for (const std::string& id : s.acked[table]) {
          if (!there.count(id)) Violation("LOST: " + s.code + " " + table + " " + id);
        }
        if (std::string(table) != "counters") {  // init makes those, no clerk
          int64_t forged = 0;
          for (const std::string& id : there) forged += !s.made[table].count(id);
          if (forged) {
            Violation("DUPLICATE: the centre holds " + std::to_string(forged) + " " + table +
                      " of " + s.code + " that no clerk of it ever saved");
          }
        }
        int64_t extra = 0, missing = 0;
        for (const std::string& id : there) extra += !here.count(id);
        for (const std::string& id : here) missing += !there.count(id);
        if (extra)
          Violation("DUPLICATE: the centre holds " + std::to_string(extra) + " " + table + " of " +
                    s.code + " that the site never made");
        if (missing)
          Violation(s.code + ": " + std::to_string(missing) + " " + table +
                    " never reached the centre");
      }
      auto last = (*site)->QueryInt("SELECT COALESCE(MAX(seq), 0) FROM change_log");
      auto theirs = central_->AckedSeq(s.code);
      auto mine = s.store->replica().AckedSeq();
      if (!last.ok() || !theirs.ok() || !mine.ok() || *theirs != *last || *mine != *last) {
        Violation(s.code + ": last change " + std::to_string(last.ok() ? *last : -1) +
                  ", acknowledged here " + std::to_string(mine.ok() ? *mine : -1) +
                  ", stored at the centre " + std::to_string(theirs.ok() ? *theirs : -1));
      }
      // Both ends hold the same conflict records, under the same ids, in the same state.
      auto all = central_->ListConflicts(std::nullopt);
      auto here_conflicts = s.store->office().ListConflicts(std::nullopt);
      if (all.ok() && here_conflicts.ok()) {
        Json centre_list = Json::array();
        for (const Json& c : (*all)["items"]) {
          if (c["site_code"] == s.code) centre_list.push_back(c);
        }
        result_.conflict_records += static_cast<int64_t>(centre_list.size());
        if (centre_list != (*here_conflicts)["items"]) {
          Violation(s.code + " lists other conflicts than the centre holds for it");
        }
      }
      auto v = s.replicator->Verify();
      if (!v.ok()) {
        Violation(s.code + ": verify failed: " + v.error().message);
      } else if (!(*v)["in_sync"].get<bool>()) {
        Violation(s.code + " did not converge with the centre: " + (*v)["differences"].dump());
      }
    }
  }

  // ---- trace and randomness ----
  void Event(const std::string& e) {
    for (char c : e + "\n") hash_ = (hash_ ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    result_.trace_hash = hash_;
    if (o_.verbose) std::printf("  [%lld] %s\n", static_cast<long long>(now_ - kT0), e.c_str());
    trace_.push_back(e);
    if (trace_.size() > 40) trace_.pop_front();
  }
  void Violation(const std::string& v) {
    Event("VIOLATION " + v);
    result_.violations.push_back(v);
  }
  uint64_t Rand() { return rng_(); }
  uint64_t Pick(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool Chance(double p) { return p > 0 && static_cast<double>(rng_() >> 11) * 0x1p-53 < p; }

  SimOptions o_;
  std::mt19937_64 rng_;
  testing::TempDir dir_{testing::FastTempBase()};  // RAM when there is room: crashes here
                                                   // are process crashes, the OS keeps writes
  int64_t now_ = kT0;
  ManualClock central_clock_{kT0};
  std::unique_ptr<store::CentralStore> central_;
  std::unique_ptr<replicator::CentralEndpoint> api_;
  std::vector<Site> sites_;
  std::vector<std::pair<size_t, http::Request>> late_;
  double fault_ = 0;
  bool last_sync_ok_ = false;
  int64_t hostile_seq_ = 0;   // how far the centre holds the hostile site's changes
  int64_t hostile_rows_ = 0;  // ids minted by the hostile site
  std::set<std::string> hostile_valid_;
  std::string last_sync_error_;
  uint64_t hash_ = 1469598103934665603ull;
  std::deque<std::string> trace_;
  SimResult result_;
};

Result<http::Response> SimTransport::Send(const http::Request& request) {
  return world_.Send(site_, request);
}

}  // namespace

SimResult RunSimulation(const SimOptions& options) {
  World world(options);
  return world.Run();
}

}  // namespace mpp::sim
