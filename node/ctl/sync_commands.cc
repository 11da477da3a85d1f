// mppctl's commands that talk to the centre: sync and verify.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "node/ctl/commands.h"
#include "schema/migrations.h"
#include "sync/core/json.h"

namespace mpp::ctl {

Result<SyncSettings> LoadSyncSettings(const common::Options& opt) {
  std::map<std::string, std::string> flags;
  for (const char* k : {"central", "cert", "key", "ca"}) {
    if (opt.count(k)) flags[k] = opt.at(k);
  }
  return common::LoadSyncSettings(opt.at("data"), flags);
}

Status OpenSync(const common::Options& opt, SyncSession& s, int64_t timeout_fallback) {
  MPP_ASSIGN_OR_RETURN(auto settings, LoadSyncSettings(opt));
  MPP_RETURN_IF_ERROR(CheckCentral(settings.central));
  MPP_ASSIGN_OR_RETURN(const auto address, common::ParseListen(settings.central));
  MPP_ASSIGN_OR_RETURN(auto store,
                       store::SiteStore::Open(opt.at("data") + "/site.db", s.clock, s.random));
  s.store = std::move(store);
  s.central = settings.central;
  MPP_ASSIGN_OR_RETURN(
      const int64_t timeout,
      common::WholeNumberFlag(opt, "timeout", timeout_fallback, 1, 3600, " seconds"));
  MPP_ASSIGN_OR_RETURN(
      const int64_t kbps,
      common::WholeNumberFlag(opt, "limit-kbps", 0, 0, 1'000'000, " kbit/s (0: no limit)"));
  s.https = std::make_unique<HttpsTransport>(address.first, address.second, settings.tls,
                                             std::chrono::seconds(timeout));
  replicator::SyncTransport* transport = s.https.get();
  if (kbps > 0) {
    s.paced = std::make_unique<replicator::PacedTransport>(*s.https, s.clock, kbps * 1000 / 8);
    transport = s.paced.get();
  }
  replicator::SyncOptions options;
  options.schema_version = schema::Migrations().back().version;
  s.replicator =
      std::make_unique<replicator::Replicator>(s.store->replica(), *transport, s.clock, options);
  return {};
}

namespace {

// Ctrl-C once: stop after the batch in flight. Twice: the default action, at once (nothing
// acknowledged is lost either way; the batch in flight is sent again next time).
std::atomic<int> interrupts{0};

void OnInterrupt(int) {
  if (interrupts.fetch_add(1) == 0) {
    static const char kMessage[] =
        "\nmppctl: stopping after this batch (Ctrl-C again to quit at once)\n";
    [[maybe_unused]] auto n = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  } else {
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
  }
}

std::string Kb(uint64_t bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f kB", static_cast<double>(bytes) / 1000.0);
  return b;
}

std::string Duration(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  char b[32];
  if (s < 60) {
    std::snprintf(b, sizeof b, "%llds", s);
  } else if (s < 3600) {
    std::snprintf(b, sizeof b, "%lldm%02llds", s / 60, s % 60);
  } else {
    std::snprintf(b, sizeof b, "%lldh%02lldm", s / 3600, s / 60 % 60);
  }
  return b;
}

// One progress line: a bar redrawn in place on a terminal, a line per batch through a pipe.
void ShowProgress(const replicator::SyncProgress& p, bool tty) {
  const double rate =
      p.seconds > 0 ? static_cast<double>(p.bytes_sent + p.bytes_received) / p.seconds : 0;
  std::string line = p.phase;
  if (p.total > 0) {
    if (tty) {
      const int width = 24;
      const auto filled = static_cast<int>(width * std::min(p.done, p.total) / p.total);
      line += " [" + std::string(static_cast<size_t>(filled), '#') +
              std::string(static_cast<size_t>(width - filled), '.') + "]";
    }
    line += " " + std::to_string(p.done) + "/" + std::to_string(p.total) + " changes";
  } else {
    line += " " + std::to_string(p.done) + (p.done == 1 ? " change" : " changes");
  }
  line += ", " + Kb(p.bytes_sent) + " up, " + Kb(p.bytes_received) + " down, " +
          Kb(static_cast<uint64_t>(rate)) + "/s";
  if (p.total > 0 && p.done > 0 && p.done < p.total) {
    line += ", ETA " + Duration(p.seconds * static_cast<double>(p.total - p.done) /
                                static_cast<double>(p.done));
  }
  if (tty) {
    std::fprintf(stderr, "\r%-100s", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

std::string Moved(const replicator::SyncReport& r) {
  std::string s = "pushed " + std::to_string(r.pushed) + " changes in " +
                  std::to_string(r.push_batches) + (r.push_batches == 1 ? " batch" : " batches") +
                  " (" + std::to_string(r.push_duplicates) + " already at the centre), pulled " +
                  std::to_string(r.pulled) + ", conflicts " + std::to_string(r.conflicts) + "; " +
                  Kb(r.bytes_sent) + " up, " + Kb(r.bytes_received) + " down";
  char t[32];
  std::snprintf(t, sizeof t, "; %.2f s", r.seconds);
  return s + t;
}

}  // namespace

int SyncCmd(const Args& a) {
  const common::Options& opt = a.options;
  if (!a.has("data")) return Usage("sync needs --data");
  if (a.has("push-only") && a.has("pull-only")) {
    return Usage("--push-only and --pull-only exclude each other (neither: both)");
  }
  SyncSession s;
  auto lock = common::DirLock::Acquire(opt.at("data"), "sync");
  if (!lock) return Fail(lock.error());
  s.lock = std::move(lock).value();
  if (auto st = OpenSync(opt, s); !st) return Fail(st.error());
  const bool tty = isatty(STDERR_FILENO) == 1;
  replicator::SyncRun run;
  run.push = !a.has("pull-only");
  run.pull = !a.has("push-only");
  if (!a.has("json")) {
    run.progress = [tty](const replicator::SyncProgress& p) { ShowProgress(p, tty); };
  }
  run.stop = [] { return interrupts.load() > 0; };
  signal(SIGINT, OnInterrupt);
  auto result = s.replicator->Sync(run);
  signal(SIGINT, SIG_DFL);
  if (tty && run.progress) std::fprintf(stderr, "\n");
  const replicator::SyncReport& r = s.replicator->last_report();
  auto left = s.store->replica().PendingChanges();
  const int64_t pending = left ? left->changes : -1;
  const std::string outcome = !result ? "failed" : r.stopped ? "partial" : "complete";
  if (opt.count("json")) {
    Json j = {{"outcome", outcome},
              {"pushed", r.pushed},
              {"push_duplicates", r.push_duplicates},
              {"push_batches", r.push_batches},
              {"pulled", r.pulled},
              {"conflicts", r.conflicts},
              {"acked_seq", r.acked_seq},
              {"pending_changes", pending},
              {"push_complete", r.push_complete},
              {"pull_complete", r.pull_complete},
              {"bytes_sent", r.bytes_sent},
              {"bytes_received", r.bytes_received},
              {"seconds", r.seconds},
              {"clock_offset_ms", r.clock_offset_ms},
              {"clock_warning", r.clock_warning},
              {"recovered", r.recovered},
              {"renumbered", r.renumbered},
              {"quarantined", r.quarantined},
              {"refused", r.refused},
              {"error", nullptr}};
    if (!result) {
      j["error"] = {{"code", ErrcName(result.error().code)}, {"message", result.error().message}};
    }
    std::cout << j.dump() << "\n";
  } else {
    std::printf("sync %s <-> %s\n", s.store->site_code().c_str(), s.central.c_str());
    if (r.recovered > 0 || r.renumbered > 0) {
      std::printf(
          "recovered %lld of this site's changes from the centre; %lld made here since were "
          "renumbered and sent (this disk was older than what the site had sent)\n",
          static_cast<long long>(r.recovered), static_cast<long long>(r.renumbered));
    }
    const std::string still =
        pending > 0 ? "; " + std::to_string(pending) + " changes still to push" : "";
    if (!result) {
      std::printf("sync FAILED: %s; %s%s. Nothing acknowledged is lost: run it again\n",
                  std::string(ErrcName(result.error().code)).c_str(), Moved(r).c_str(),
                  still.c_str());
    } else if (r.stopped) {
      std::printf("sync STOPPED (Ctrl-C) before the end: %s%s. Run it again to go on\n",
                  Moved(r).c_str(), still.c_str());
    } else {
      std::printf("sync complete%s: %s; acknowledged up to seq %lld\n",
                  run.push && run.pull ? ""
                  : run.push           ? " (push only)"
                                       : " (pull only)",
                  Moved(r).c_str(), static_cast<long long>(r.acked_seq));
    }
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
  if (!result) return Fail(result.error());
  return r.stopped ? kExitStopped : kExitDone;
}

int VerifyCmd(const Args& a) {
  const common::Options& opt = a.options;
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

}  // namespace mpp::ctl
