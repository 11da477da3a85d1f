#include "node/site/sync_agent.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "node/common/dir_lock.h"
#include "node/common/https_transport.h"
#include "sync/core/file.h"
#include "sync/core/log.h"
#include "sync/core/time_util.h"
#include "sync/replicator/paced_transport.h"
#include "sync/replicator/replicator.h"

namespace mpp::site {
namespace {

replicator::ScheduleOptions ScheduleFor(const AgentOptions& o, store::SiteStore& store) {
  replicator::ScheduleOptions s;
  s.every_ms = o.every_s * 1000;
  s.max_backoff_ms = std::max<int64_t>(3'600'000, s.every_ms);
  s.window = o.window;
  auto summary = store.office().StatusSummary();
  if (summary) s.tz_offset_minutes = TimeZoneOffsetMinutes(summary->value("time_zone", ""));
  return s;
}

}  // namespace

int TimeZoneOffsetMinutes(const std::string& zone) {
  if (zone == "WIB") return 7 * 60;
  if (zone == "WITA") return 8 * 60;
  if (zone == "WIT") return 9 * 60;
  return 0;
}

SyncAgent::SyncAgent(store::SiteStore& store, AgentOptions options, Clock& clock, Random& random)
    : store_(store),
      options_(std::move(options)),
      clock_(clock),
      schedule_(ScheduleFor(options_, store), random) {}

SyncAgent::~SyncAgent() { Stop(); }

void SyncAgent::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SyncAgent::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SyncAgent::Run() {
  int64_t next = schedule_.First(clock_.NowMs());
  SaveState(next, "", "");
  Log(LogLevel::kInfo, "sync_agent_started",
      {{"every_s", std::to_string(options_.every_s)}, {"first_at", FormatUtc(next)}});
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      // Wait in steps of at most a second: the wall clock may jump (a PC's clock set right).
      while (!stopping_ && clock_.NowMs() < next) {
        wake_.wait_for(lock,
                       std::chrono::milliseconds(std::min<int64_t>(1000, next - clock_.NowMs())));
      }
      if (stopping_) return;
    }
    next = Attempt();
  }
}

int64_t SyncAgent::Attempt() {
  const int64_t started = clock_.NowMs();
  auto fail = [&](const Error& e, int64_t retry_after_ms, bool record) {
    const int64_t next = schedule_.AfterFailure(clock_.NowMs(), retry_after_ms);
    Log(LogLevel::kWarn, "sync_agent_failed",
        {{"code", std::string(ErrcName(e.code))},
         {"message", e.message},
         {"failures", std::to_string(schedule_.failures())},
         {"next_at", FormatUtc(next)}});
    if (record) {  // a sync that never started (no answer to the hello) is an attempt too
      store::SiteReplica::SyncRecord r;
      r.started_ms = started;
      r.finished_ms = clock_.NowMs();
      r.outcome = "failed";
      r.error_code = ErrcName(e.code);
      r.error_message = e.message;
      (void)store_.replica().RecordSync(r);
    }
    SaveState(next, "failed", std::string(ErrcName(e.code)) + ": " + e.message);
    return next;
  };
  auto lock = common::DirLock::Acquire(options_.data_dir, "sync");
  if (!lock) {
    // A manual sync runs: come back when it is likely done, without counting a failure.
    const int64_t next = clock_.NowMs() + std::min<int64_t>(60'000, options_.every_s * 1000);
    SaveState(next, "skipped", lock.error().message);
    return next;
  }
  auto settings = common::LoadSyncSettings(options_.data_dir, {});
  if (!settings) return fail(settings.error(), 0, true);
  if (auto s = common::CheckCentral(settings->central); !s) return fail(s.error(), 0, true);
  const auto colon = settings->central.rfind(':');
  common::HttpsTransport https(
      settings->central.substr(0, colon),
      static_cast<uint16_t>(std::atoi(settings->central.c_str() + colon + 1)), settings->tls);
  std::optional<replicator::PacedTransport> paced;
  if (options_.limit_kbps > 0) paced.emplace(https, clock_, options_.limit_kbps * 1000 / 8);
  replicator::SyncTransport& transport =
      paced ? static_cast<replicator::SyncTransport&>(*paced) : https;
  replicator::SyncOptions so;
  so.schema_version = options_.schema_version;
  replicator::Replicator replicator(store_.replica(), transport, clock_, so);
  // The centre, not "the internet": a hello with this site's certificate.
  if (auto hello = replicator.SayHello(); !hello) {
    return fail(hello.error(), replicator.last_report().retry_after_ms, true);
  }
  replicator::SyncRun run;
  run.stop = [this] { return stopping_.load(); };
  auto report = replicator.Sync(run);
  if (!report) return fail(report.error(), replicator.last_report().retry_after_ms, false);
  const int64_t next = schedule_.AfterSuccess(clock_.NowMs());
  Log(LogLevel::kInfo, "sync_agent_synced",
      {{"pushed", std::to_string(report->pushed)},
       {"pulled", std::to_string(report->pulled)},
       {"next_at", FormatUtc(next)}});
  SaveState(next, report->stopped ? "partial" : "complete", "");
  return next;
}

Json SyncAgent::Window() const {
  if (!options_.window) return nullptr;
  char text[64];
  std::snprintf(text, sizeof text, "%02d:%02d-%02d:%02d", options_.window->from_minute / 60,
                options_.window->from_minute % 60, options_.window->to_minute / 60,
                options_.window->to_minute % 60);
  return text;
}

void SyncAgent::SaveState(int64_t next_ms, const std::string& outcome, const std::string& error) {
  Json state = {{"every_s", options_.every_s},
                {"window", Window()},
                {"limit_kbps", options_.limit_kbps},
                {"next_attempt_at", FormatUtc(next_ms)},
                {"failures_in_a_row", schedule_.failures()},
                {"last_outcome", outcome.empty() ? Json(nullptr) : Json(outcome)},
                {"last_error", error.empty() ? Json(nullptr) : Json(error)},
                {"updated_at", FormatUtc(clock_.NowMs())}};
  const std::string path = options_.data_dir + "/sync-agent.json";
  if (auto w = WriteFileAtomically(path, state.dump() + "\n"); !w) {
    Log(LogLevel::kWarn, "sync_agent_state_not_saved", {{"error", w.error().message}});
  }
}

}  // namespace mpp::site
