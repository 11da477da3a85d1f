#include "sync/replicator/replicator.h"

#include <algorithm>
#include <cstdlib>

#include "sync/core/log.h"
#include "sync/protocol/messages.h"
#include "sync/protocol/wire.h"
#include "sync/store/digest.h"

namespace mpp::replicator {
namespace {

double SecondsSince(Clock& clock, int64_t t0_us) {
  return static_cast<double>(clock.SteadyMicros() - t0_us) / 1e6;
}

}  // namespace

Replicator::Replicator(store::SiteReplica& store, SyncTransport& transport, Clock& wall_clock,
                       SyncOptions options)
    : store_(store), transport_(transport), wall_clock_(wall_clock), options_(options) {}

http::Request Replicator::MakeRequest(const std::string& method, const std::string& target,
                                      const Json* body) const {
  http::Request r;
  r.method = method;
  r.target = target;
  r.headers = protocol::VersionHeaders(options_.schema_version);
  r.headers.emplace_back("accept-encoding", options_.compress ? "zstd" : "identity");
  if (body) {
    r.content_type = "application/json";
    r.body = protocol::EncodeBody(*body, options_.compress);
    if (options_.compress) r.headers.emplace_back("content-encoding", "zstd");
  }
  return r;
}

Result<Json> Replicator::Receive(const Result<http::Response>& response, int64_t sent_at,
                                 SyncReport* report, Json* error_body) {
  if (!response) return response.error();
  const http::Response& r = *response;
  if (report) {
    const std::string server_time = r.Header(protocol::kHeaderServerTime);
    if (!server_time.empty()) {
      const int64_t now = wall_clock_.NowMs();
      const int64_t offset = std::atoll(server_time.c_str()) - (sent_at + now) / 2;
      report->clock_offset_ms = offset;
      report->clock_warning = std::llabs(offset) > options_.clock_warning_ms;
    }
  }
  if (report && r.status == 429) {
    report->retry_after_ms =
        std::max<int64_t>(0, std::atoll(r.Header("retry-after").c_str())) * 1000;
  }
  auto body = protocol::DecodeBody(r.body, r.Header("content-encoding"));
  if (r.status / 100 == 2) {
    if (report) report->contacted = true;
    if (!body)
      return MakeError(Errc::kInternal,
                       "the centre sent an unreadable body: " + body.error().message);
    return std::move(body).value();
  }
  if (body && body->contains("error") && (*body)["error"].is_object()) {
    const Json& e = (*body)["error"];
    if (error_body) *error_body = e;
    // Shown on a technician's terminal: printable text only, bounded (never an escape
    // sequence a hostile answer planted).
    std::string message = e.contains("message") && e["message"].is_string() ? e["message"] : "";
    if (message.size() > 1000) message.resize(1000);
    for (char& ch : message) {
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = ' ';
    }
    const std::string code = e.contains("code") && e["code"].is_string() ? e["code"] : "";
    return MakeError(ErrcFromName(code),
                     "centre answered " + std::to_string(r.status) + ": " + message);
  }
  if (r.status == 502 || r.status == 503 || r.status == 504) {  // a proxy, or a centre going down
    return MakeError(Errc::kUnreachable, "the centre did not answer (HTTP " +
                                             std::to_string(r.status) +
                                             " from the way there); nothing was lost: try again");
  }
  return MakeError(Errc::kInternal, "centre answered HTTP " + std::to_string(r.status));
}

void Replicator::Report(const SyncRun& run, const char* phase, int64_t done, int64_t total) const {
  if (!run.progress) return;
  run.progress({phase, done, total, transport_.bytes_sent() - sent0_,
                transport_.bytes_received() - received0_, SecondsSince(wall_clock_, started_us_)});
}

Status Replicator::Push(SyncReport& report, const SyncRun& run) {
  MPP_ASSIGN_OR_RETURN(auto acked, store_.AckedSeq());
  MPP_ASSIGN_OR_RETURN(const auto pending, store_.PendingChanges());
  size_t batch_bytes = options_.initial_batch_bytes;
  int gap_resets = 0, restamps = 0, recoveries = 0;
  int64_t done = 0;
  report.push_complete = false;
  for (;;) {
    if (run.stop && run.stop()) {
      report.stopped = true;
      break;
    }
    MPP_ASSIGN_OR_RETURN(auto outbox, store_.ReadOutbox(acked, batch_bytes));
    if (outbox.changes.empty()) {
      report.push_complete = true;
      break;
    }
    protocol::PushRequest req{store_.site_code(), outbox.changes.front().seq, outbox.changes};
    const Json body = protocol::ToJson(req);
    const int64_t t0 = wall_clock_.SteadyMicros();
    const int64_t sent_at = wall_clock_.NowMs();
    Json error;
    auto reply =
        Receive(transport_.Send(MakeRequest("POST", std::string(protocol::kPushPath), &body)),
                sent_at, &report, &error);
    if (!reply) {
      if (reply.error().code == Errc::kClockSkew && ++restamps <= 1) {
        // Our clock ran ahead while offline (and may be right again by now): follow the
        // centre's clock, stamp the changes the centre does not hold again (no one else has
        // seen them), and resend. What it holds (its answer to a push we never heard back
        // from) is acknowledged first and keeps its stamps.
        if (error.contains("acked_seq") && error["acked_seq"].is_number_integer()) {
          const int64_t theirs = error["acked_seq"].get<int64_t>();
          if (theirs > acked) {
            MPP_RETURN_IF_ERROR(store_.MarkAcked(theirs));
            acked = theirs;
          }
        }
        MPP_RETURN_IF_ERROR(store_.SetClockOffset(report.clock_offset_ms));
        const int64_t limit_ms = wall_clock_.NowMs() + report.clock_offset_ms;
        MPP_ASSIGN_OR_RETURN(auto n, store_.RestampFutureChanges(MakeHlc(limit_ms, 0)));
        report.restamped += n;
        continue;
      }
      if (reply.error().code == Errc::kSiteBehind && error.contains("acked_seq") &&
          error["acked_seq"].is_number_integer() && ++recoveries <= 1) {
        const int64_t theirs = error["acked_seq"].get<int64_t>();
        MPP_RETURN_IF_ERROR(Recover(acked, theirs, report));
        acked = theirs;
        continue;
      }
      if (reply.error().code == Errc::kSequenceGap && error.contains("expected_seq") &&
          ++gap_resets <= 3) {
        // The centre holds less than we thought (restored from a backup): resend from there.
        const int64_t expected = error["expected_seq"].get<int64_t>();
        MPP_RETURN_IF_ERROR(store_.ResetAcked(expected - 1));
        acked = expected - 1;
        continue;
      }
      return reply.error();
    }
    MPP_ASSIGN_OR_RETURN(auto resp, protocol::PushResponseFromJson(*reply));
    const int64_t sent_last = outbox.changes.back().seq;
    MPP_RETURN_IF_ERROR(store_.MarkAcked(std::min(resp.acked_seq, sent_last)));
    acked = std::min(resp.acked_seq, sent_last);
    if (resp.acked_seq > sent_last && ++recoveries <= 1) {
      // The centre holds more of our changes than this disk sent (it went back in time, and
      // what it sent again was the same; or the answer to our last batch was lost): take the
      // rest back before going on. Those this disk holds were already at the centre.
      const int64_t adopted = report.recovered;
      MPP_RETURN_IF_ERROR(Recover(acked, resp.acked_seq, report));
      const int64_t held = resp.acked_seq - acked - (report.recovered - adopted);
      report.push_duplicates += held;
      done += held;
      acked = resp.acked_seq;
    }
    report.acked_seq = acked;
    report.pushed += resp.applied + resp.kept_local;
    report.push_duplicates += resp.duplicates;
    // (resp.conflicts counts what this push made the centre record; the records themselves
    // come with the pull, which counts them: counted once.)
    report.quarantined += resp.quarantined;
    for (const Json& r : resp.refused) {
      if (report.refused.size() < 20) report.refused.push_back(r);
    }
    ++report.push_batches;
    done += static_cast<int64_t>(outbox.changes.size());
    // Size the next batch so that it takes about target_batch_seconds on this link.
    const double secs = std::max(SecondsSince(wall_clock_, t0), 0.001);
    const double rate = static_cast<double>(outbox.bytes) / secs;
    batch_bytes = std::clamp(static_cast<size_t>(rate * options_.target_batch_seconds),
                             options_.min_batch_bytes, options_.max_batch_bytes);
    Report(run, "push", done, std::max(pending.changes, done));
  }
  report.acked_seq = acked;
  return {};
}

Status Replicator::Recover(int64_t acked, int64_t centre_acked, SyncReport& report) {
  std::vector<Change> own;
  int64_t cursor = acked;
  while (cursor < centre_acked) {
    const int64_t sent_at = wall_clock_.NowMs();
    MPP_ASSIGN_OR_RETURN(
        Json reply,
        Receive(transport_.Send(MakeRequest(
                    "GET",
                    std::string(protocol::kOwnPath) + "?after=" + std::to_string(cursor) +
                        "&max_bytes=" + std::to_string(options_.pull_page_bytes),
                    nullptr)),
                sent_at, &report));
    MPP_ASSIGN_OR_RETURN(auto page, protocol::PullResponseFromJson(reply));
    if (page.changes.empty()) break;
    if (page.next_cursor <= cursor) {
      return MakeError(Errc::kInternal,
                       "the centre's page of this site's own changes did not "
                       "move past seq " +
                           std::to_string(cursor));
    }
    for (Change& c : page.changes) {
      if (c.seq <= centre_acked) own.push_back(std::move(c));
    }
    cursor = page.next_cursor;
    if (!page.more) break;
  }
  MPP_ASSIGN_OR_RETURN(auto done, store_.AdoptOwnChanges(own, centre_acked));
  report.recovered += done.adopted;
  report.renumbered += done.renumbered;
  report.recovery_refused += done.refused;
  return {};
}

Status Replicator::Pull(SyncReport& report, const SyncRun& run, bool& recovered) {
  MPP_ASSIGN_OR_RETURN(auto cursor, store_.PullCursor());
  int64_t centre_acked = -1;
  report.pull_complete = false;
  for (;;) {
    if (run.stop && run.stop()) {
      report.stopped = true;
      break;
    }
    const int64_t sent_at = wall_clock_.NowMs();
    MPP_ASSIGN_OR_RETURN(
        auto reply,
        Receive(transport_.Send(MakeRequest(
                    "GET",
                    std::string(protocol::kPullPath) + "?after=" + std::to_string(cursor) +
                        "&max_bytes=" + std::to_string(options_.pull_page_bytes),
                    nullptr)),
                sent_at, &report));
    MPP_ASSIGN_OR_RETURN(auto page, protocol::PullResponseFromJson(reply));
    if (page.site_acked_seq > centre_acked) {
      centre_acked = page.site_acked_seq;
      // The centre holds more of our changes than this disk (restored with nothing new on
      // it to push, which would have told us): take them back before applying the centre's
      // changes, which may be edits of those rows.
      MPP_ASSIGN_OR_RETURN(const int64_t acked, store_.AckedSeq());
      if (centre_acked > acked) {
        MPP_RETURN_IF_ERROR(Recover(acked, centre_acked, report));
        recovered = true;
      }
    }
    MPP_ASSIGN_OR_RETURN(auto stats, store_.ApplyPulled(page.changes, page.next_cursor));
    report.pulled += static_cast<int64_t>(page.changes.size());
    report.conflicts += stats.conflicts;
    ++report.pull_pages;
    cursor = page.next_cursor;
    Report(run, "pull", report.pulled, -1);
    if (!page.more) {
      report.pull_complete = true;
      break;
    }
  }
  return {};
}

Result<SyncReport> Replicator::Sync(const SyncRun& run) {
  last_ = SyncReport{};
  SyncReport& report = last_;
  started_us_ = wall_clock_.SteadyMicros();
  const int64_t started_ms = wall_clock_.NowMs();
  sent0_ = transport_.bytes_sent();
  received0_ = transport_.bytes_received();
  Status s;
  bool recovered = false;
  if (run.push) s = Push(report, run);
  if (s && run.pull && !report.stopped) s = Pull(report, run, recovered);
  if (s && run.push && recovered && !report.stopped) {
    s = Push(report, run);  // what the recovery renumbered
  }
  // Follow the centre's clock from now on when ours is off (and say so in the report).
  if (s && run.measure_clock && (report.clock_offset_ms != 0 || store_.clock_offset_ms() != 0)) {
    const int64_t offset = std::llabs(report.clock_offset_ms) > 1000 ? report.clock_offset_ms : 0;
    s = store_.SetClockOffset(offset);
  }
  report.bytes_sent = transport_.bytes_sent() - sent0_;
  report.bytes_received = transport_.bytes_received() - received0_;
  report.seconds = SecondsSince(wall_clock_, started_us_);

  store::SiteReplica::SyncRecord record;
  record.started_ms = started_ms;
  record.finished_ms = wall_clock_.NowMs();
  record.via = run.via;
  record.direction = run.direction          ? run.direction
                     : run.push && run.pull ? "both"
                     : run.push             ? "push"
                                            : "pull";
  record.outcome = !s ? "failed" : report.stopped ? "partial" : "complete";
  record.pushed = report.pushed;
  record.pulled = report.pulled;
  record.bytes_sent = report.bytes_sent;
  record.bytes_received = report.bytes_received;
  record.contacted = report.contacted && std::string_view(run.via) == "network";
  record.push_complete = run.push && report.push_complete;
  record.pull_complete = run.pull && report.pull_complete;
  if (!s) {
    record.error_code = ErrcName(s.error().code);
    record.error_message = s.error().message;
  }
  if (auto logged = store_.RecordSync(record); !logged) {
    // The sync's own outcome matters more than its history line (e.g. the disk just filled).
    Log(LogLevel::kWarn, "sync_history_not_written", {{"error", logged.error().message}});
  }
  if (!s) return s.error();
  return report;
}

Result<Hello> Replicator::SayHello() {
  const int64_t t0 = wall_clock_.SteadyMicros();
  const int64_t sent_at = wall_clock_.NowMs();
  SyncReport clock;
  MPP_ASSIGN_OR_RETURN(
      Json reply,
      Receive(transport_.Send(MakeRequest("GET", std::string(protocol::kHelloPath), nullptr)),
              sent_at, &clock));
  Hello hello;
  if (!reply.contains("acked_seq") || !reply["acked_seq"].is_number_integer()) {
    return MakeError(Errc::kInternal, "the centre's hello has no acked_seq");
  }
  hello.acked_seq = reply["acked_seq"].get<int64_t>();
  hello.clock_offset_ms = clock.clock_offset_ms;
  hello.round_trip_ms = SecondsSince(wall_clock_, t0) * 1000.0;
  return hello;
}

Result<Json> Replicator::Verify() {
  const int64_t sent_at = wall_clock_.NowMs();
  MPP_ASSIGN_OR_RETURN(
      auto theirs,
      Receive(transport_.Send(MakeRequest("GET", std::string(protocol::kDigestPath), nullptr)),
              sent_at, nullptr));
  MPP_ASSIGN_OR_RETURN(auto mine, store_.Digest());
  Json diff = store::DiffDigests(mine, theirs);
  return Json{{"in_sync", diff.empty()}, {"differences", std::move(diff)}};
}

}  // namespace mpp::replicator
