// mppctl's commands (main.cc lists them, parses the command line and calls one), and what
// they share: the exit status a script acts on, how an error is printed, the sync settings.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "node/common/dir_lock.h"
#include "node/common/https_transport.h"
#include "node/common/options.h"
#include "sync/core/clock.h"
#include "sync/core/error.h"
#include "sync/net/tls.h"
#include "sync/replicator/paced_transport.h"
#include "sync/replicator/replicator.h"
#include "sync/store/site_store.h"

namespace mpp::ctl {

// The exit status a script can act on (docs/operations.md, "Exit status").
enum Exit : int {
  kExitDone = 0,
  kExitFailed = 1,       // the centre refused the request for what it says, or a bug
  kExitUsage = 2,        // a wrong command line
  kExitUnreachable = 3,  // no link to the centre, or no answer: try again later
  kExitRefused = 4,      // the centre or TLS refused this site: certificate, role, site code
  kExitDiffers = 5,      // verify: the site and the centre hold different data
  kExitLocal = 6,        // a problem here: disk, database, data directory, configuration
  kExitStopped = 130,    // stopped by Ctrl-C (SIGINT) before the end: run it again
};

// A command's arguments: the options and the words after the command's name.
struct Args {
  common::Options options;
  std::vector<std::string> words;
  bool has(const char* name) const { return options.count(name) > 0; }
  const std::string& at(const char* name) const { return options.at(name); }
};

int ExitFor(Errc code);
// Prints "mppctl: <code>: <message>" on stderr and returns ExitFor(code).
int Fail(const Error& e);
// Prints the problem and the usage on stderr; returns kExitUsage.
int Usage(const std::string& problem);

using common::CheckCentral;
using common::HttpsTransport;
using common::SyncSettings;
// Writes the sync options given (central, cert, key, ca) into DIR/sync.json, keeping the
// ones not given.
Status SaveSyncSettings(const common::Options& opt);

// The sync settings: the flags given, else DIR/sync.json (common::LoadSyncSettings).
Result<SyncSettings> LoadSyncSettings(const common::Options& opt);

// What a command that talks to the centre holds open.
struct SyncSession {
  std::unique_ptr<common::DirLock> lock;  // for a sync: one at a time per site
  SystemClock clock;
  CryptoRandom random;
  std::unique_ptr<store::SiteStore> store;
  std::unique_ptr<HttpsTransport> https;
  std::unique_ptr<replicator::PacedTransport> paced;  // with --limit-kbps
  std::unique_ptr<replicator::Replicator> replicator;
  std::string central;
};
// Opens the store and a replicator over HTTPS; `timeout_fallback` seconds per request unless
// --timeout says otherwise.
Status OpenSync(const common::Options& opt, SyncSession& s, int64_t timeout_fallback = 120);

// The commands (docs/operations.md; `mppctl help`).
int InitCmd(const Args& a);
int ConfigCmd(const Args& a);
int StatusCmd(const Args& a);
int LogCmd(const Args& a);
int ConflictsCmd(const Args& a);
int SyncCmd(const Args& a);
int VerifyCmd(const Args& a);
int BackupCmd(const Args& a);
int RestoreCmd(const Args& a);
int DoctorCmd(const Args& a);
int ExportCmd(const Args& a);
int ImportCmd(const Args& a);
int GenerateCmd(const Args& a);

}  // namespace mpp::ctl
