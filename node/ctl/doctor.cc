// mppctl doctor: every check a technician would make by hand, each with what to do when it
// fails. Findings are ok, warn (works, but look at it) or fail (something is broken); the
// exit status is the highest of the failing findings' (commands.h), 0 when none fails.
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "node/ctl/commands.h"
#include "schema/migrations.h"
#include "sync/core/json.h"
#include "sync/core/time_util.h"
#include "sync/db/database.h"
#include "sync/db/migrate.h"

namespace mpp::ctl {
namespace {

struct Finding {
  std::string check;
  std::string level;  // "ok" | "warn" | "fail"
  std::string detail;
  std::string fix;  // what to do; empty when ok
  int exit = kExitDone;
};

struct Doctor {
  std::vector<Finding> findings;
  void Ok(std::string check, std::string detail) {
    findings.push_back({std::move(check), "ok", std::move(detail), "", kExitDone});
  }
  void Warn(std::string check, std::string detail, std::string fix) {
    findings.push_back({std::move(check), "warn", std::move(detail), std::move(fix), kExitDone});
  }
  void Failed(std::string check, std::string detail, std::string fix, int exit) {
    findings.push_back({std::move(check), "fail", std::move(detail), std::move(fix), exit});
  }
};

constexpr int64_t kDay = 86'400'000;

// PRAGMA integrity_check and the schema version, on the file as it is (nothing migrated).
void CheckDatabase(Doctor& d, const std::string& path) {
  auto db = db::Database::Open(path, {.create = false});
  if (!db) {
    d.Failed("database", path + " cannot be opened: " + db.error().message,
             "restore the site from its last backup (docs/operations.md, \"Back up and "
             "restore\"); the centre gives back what it holds of this site at the next sync",
             kExitLocal);
    return;
  }
  std::vector<std::string> problems;
  auto stmt = (*db)->Prepare("PRAGMA integrity_check(20)");
  if (stmt) {
    for (;;) {
      auto more = (*stmt)->Step();
      if (!more) {
        problems.push_back(more.error().message);
        break;
      }
      if (!*more) break;
      const std::string line = (*stmt)->ColumnText(0);
      if (line != "ok") problems.push_back(line);
    }
  } else {
    problems.push_back(stmt.error().message);
  }
  if (!problems.empty()) {
    std::string detail = path + " is damaged: " + problems.front();
    if (problems.size() > 1) detail += " (and " + std::to_string(problems.size() - 1) + " more)";
    d.Failed("database", detail,
             "stop mpp-node, keep the damaged file aside, and restore the site from its last "
             "backup (docs/operations.md, \"Back up and restore\"); the next sync gives back "
             "what the centre holds of this site",
             kExitLocal);
    return;
  }
  auto version = db::SchemaVersion(**db);
  const int mine = schema::Migrations().back().version;
  if (!version) {
    d.Failed("database", "cannot read the schema version: " + version.error().message,
             "restore the site from its last backup", kExitLocal);
  } else if (*version > mine) {
    d.Failed("database",
             "schema v" + std::to_string(*version) + " is newer than this mppctl's v" +
                 std::to_string(mine),
             "install the mppsync version that wrote this database (or newer)", kExitLocal);
  } else if (*version < mine) {
    d.Warn("database",
           "integrity ok; schema v" + std::to_string(*version) + ", this build's is v" +
               std::to_string(mine),
           "the next mppctl sync or mpp-node start upgrades it (take a backup first)");
  } else {
    d.Ok("database", "integrity ok, schema v" + std::to_string(*version));
  }
}

// A file only its owner may read: a key, the database, the TLS session.
void CheckPrivate(Doctor& d, const std::string& path, const std::string& what, bool required) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (required) {
      d.Failed("files", what + " " + path + " is missing",
               what == "site key"
                   ? "put back the copy of site-ref.key kept apart from the backups; without "
                     "it the office cannot find citizens recorded before by NIK (mpp-node "
                     "makes a new key, with a warning, when it starts without one)"
                   : "restore it",
               kExitLocal);
    }
    return;
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    d.Failed("files", what + " " + path + " can be read by others (mode " + mode + ")",
             "chmod 600 " + path +
                 (what == "site key" || what == "certificate key"
                      ? "; if others may have copied it, ask for a new one"
                      : ""),
             kExitLocal);
  }
}

void CheckCertificate(Doctor& d, const SyncSettings& settings, const std::string& site,
                      int64_t now) {
  auto expiry = net::CertificateNotAfterMs(settings.tls.cert_file);
  if (!expiry) {
    d.Failed("certificate", expiry.error().message,
             "point the site at its certificate: mppctl --data DIR config --cert FILE", kExitLocal);
    return;
  }
  const int64_t days = (*expiry - now) / kDay;
  const std::string until = FormatUtc(*expiry);
  if (*expiry <= now) {
    d.Failed("certificate", settings.tls.cert_file + " expired on " + until,
             "ask the ministry for a new certificate for " + site +
                 " (certs/mpp-ca.sh site), then mppctl --data DIR config --cert FILE --key FILE",
             kExitRefused);
    return;
  }
  if (auto s = net::CheckOwnCertificate(settings.tls, "mpp:site:" + site); !s) {
    d.Failed("certificate", s.error().message,
             "give this site's own certificate, its key and the ministry CA: mppctl --data "
             "DIR config --cert FILE --key FILE --ca FILE",
             kExitLocal);
    return;
  }
  if (days < 30) {
    d.Warn("certificate", "expires in " + std::to_string(days) + " days (" + until + ")",
           "ask the ministry for a new certificate before then");
  } else {
    d.Ok("certificate", "this site's, key matches, CA verifies it, valid until " + until);
  }
}

void CheckDisk(Doctor& d, const std::string& dir) {
  struct statvfs fs {};
  if (statvfs(dir.c_str(), &fs) != 0) return;
  const auto free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  const std::string mb = std::to_string(free_bytes / 1'000'000) + " MB free";
  if (free_bytes < 100'000'000) {
    d.Failed("disk", mb + " on the data directory's disk",
             "free space now: saving records fails when the disk is full", kExitLocal);
  } else if (free_bytes < 1'000'000'000) {
    d.Warn("disk", mb + " on the data directory's disk", "free space soon");
  } else {
    d.Ok("disk", mb);
  }
}

}  // namespace

int DoctorCmd(const Args& a) {
  if (!a.has("data")) return Usage("doctor needs --data");
  const std::string dir = a.at("data");
  const std::string db_path = dir + "/site.db";
  Doctor d;
  SystemClock clock;
  const int64_t now = clock.NowMs();
  if (!std::filesystem::is_directory(dir) || !std::filesystem::exists(db_path)) {
    d.Failed("database", db_path + " does not exist",
             "check --data; a new site starts with mppctl init", kExitLocal);
  } else {
    CheckDatabase(d, db_path);
  }
  const bool db_ok = d.findings.back().level != "fail";
  CheckPrivate(d, db_path, "database", false);
  CheckPrivate(d, db_path + "-wal", "database log", false);
  CheckPrivate(d, store::SiteRefKeyPath(db_path), "site key", db_ok);
  CheckPrivate(d, dir + "/tls-session.pem", "TLS session", false);
  auto settings = LoadSyncSettings(a.options);
  if (settings) CheckPrivate(d, settings->tls.key_file, "certificate key", true);
  if (std::none_of(d.findings.begin(), d.findings.end(),
                   [](const Finding& f) { return f.check == "files"; })) {
    d.Ok("files", "keys and database readable by their owner only");
  }
  CheckDisk(d, std::filesystem::is_directory(dir) ? dir : ".");

  std::string site;
  if (db_ok) {
    CryptoRandom random;
    auto store = store::SiteStore::Open(db_path, clock, random);
    if (!store) {
      d.Failed("database", store.error().message, "see the message", ExitFor(store.error().code));
    } else {
      site = (*store)->site_code();
      auto summary = (*store)->office().StatusSummary();
      if (summary) {
        const int64_t offset = (*summary)["clock"]["offset_from_centre_ms"].get<int64_t>();
        if (std::llabs(offset) > 2 * 60 * 1000) {
          d.Warn("clock",
                 "this PC's clock was " + std::to_string(offset / 1000) +
                     " s off the centre's at the last sync (records are stamped with the "
                     "centre's time meanwhile)",
                 "set the PC's clock (timedatectl set-time, or NTP when there is a link)");
        } else {
          d.Ok("clock", "within 2 min of the centre's at the last sync");
        }
        if ((*summary)["nik_sealing_key"].is_null()) {
          d.Warn("nik sealing", "no ministry sealing key: NIKs are not sealed for the centre",
                 "mppctl --data DIR config --nik-sealing-key nik-sealing.pub");
        } else {
          d.Ok("nik sealing", "key " + (*summary)["nik_sealing_key"].get<std::string>());
        }
      }
      auto pending = (*store)->replica().PendingChanges();
      auto history = (*store)->replica().SyncHistory(1000);
      if (pending && history && pending->changes > 0) {
        Json last_push = nullptr;
        for (const Json& h : *history) {
          if (h["push_complete"].get<bool>()) last_push = h["finished_at"];
        }
        auto t = last_push.is_string() ? ParseRfc3339(last_push.get<std::string>())
                                       : Result<int64_t>(int64_t{0});
        if (!t || *t < now - 7 * kDay) {
          d.Warn("sync",
                 std::to_string(pending->changes) +
                     " changes wait, and the last complete push "
                     "was " +
                     (last_push.is_string() ? last_push.get<std::string>() : "never"),
                 "mppctl --data DIR sync; with no link, carry a bundle (mppctl export)");
        }
      }
    }
  }
  if (!settings) {
    d.Warn("centre", settings.error().message,
           "mppctl --data DIR config --central HOST:PORT --cert FILE --key FILE --ca FILE");
  } else {
    if (!site.empty()) CheckCertificate(d, *settings, site, now);
    if (a.has("offline")) {
      d.Warn("centre", settings->central + " not asked (--offline)", "run doctor without it");
    } else if (db_ok && !site.empty()) {
      SyncSession s;
      auto opened = OpenSync(a.options, s, 10);
      auto hello = opened ? s.replicator->SayHello() : Result<replicator::Hello>(opened.error());
      if (hello) {
        d.Ok("centre", settings->central + " answers in " +
                           std::to_string(static_cast<int64_t>(hello->round_trip_ms)) +
                           " ms; it holds this site's changes up to seq " +
                           std::to_string(hello->acked_seq));
      } else {
        const int code = ExitFor(hello.error().code);
        d.Failed("centre",
                 settings->central + ": " + std::string(ErrcName(hello.error().code)) + ": " +
                     hello.error().message,
                 code == kExitUnreachable
                     ? "check the link to the centre (not just \"the internet\"); with none, "
                       "carry a bundle (mppctl export)"
                 : code == kExitRefused ? "the centre refuses this site: ask the ministry "
                                          "whether its certificate was revoked or replaced"
                                        : "see the message",
                 code);
      }
    }
  }

  int exit = kExitDone, fails = 0, warns = 0;
  for (const Finding& f : d.findings) {
    if (f.level == "fail") {
      ++fails;
      exit = std::max(exit, f.exit);
    }
    if (f.level == "warn") ++warns;
  }
  if (a.has("json")) {
    Json items = Json::array();
    for (const Finding& f : d.findings) {
      items.push_back({{"check", f.check},
                       {"level", f.level},
                       {"detail", f.detail},
                       {"fix", f.fix.empty() ? Json(nullptr) : Json(f.fix)},
                       {"exit", f.exit}});
    }
    std::cout << Json{{"site", site}, {"findings", items}, {"exit", exit}}.dump() << "\n";
    return exit;
  }
  std::cout << "doctor " << (site.empty() ? "?" : site) << " (" << dir << ")\n";
  for (const Finding& f : d.findings) {
    std::printf("  %-4s  %-12s %s\n", f.level == "fail" ? "FAIL" : f.level.c_str(), f.check.c_str(),
                f.detail.c_str());
    if (!f.fix.empty()) std::printf("        %-12s -> %s\n", "", f.fix.c_str());
  }
  std::printf("%d %s, %d %s (exit %d)\n", fails, fails == 1 ? "problem" : "problems", warns,
              warns == 1 ? "warning" : "warnings", exit);
  return exit;
}

}  // namespace mpp::ctl
