// mppctl: the technician's tool. `mppctl help` lists the commands; commands.h declares them
// (site_commands.cc: init, config, status, log, conflicts; sync_commands.cc: sync, verify;
// doctor.cc: doctor; generate here).
//
// Options may come before or after the command; an option a command does not take is an
// error. Exit status: Exit in commands.h (docs/operations.md, "Exit status").
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "node/common/options.h"
#include "node/common/private_files.h"
#include "node/ctl/commands.h"
#include "node/ctl/demo_generator.h"
#include "schema/migrations.h"
#include "sync/core/json.h"
#include "sync/net/http_client.h"
#include "sync/protocol/wire.h"

namespace mpp::ctl {
namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  mppctl init --site CODE --data DIR [--nik-sealing-key FILE] [sync settings]\n"
    "      create a site database with the reference data, and DIR/site-ref.key, this\n"
    "      site's own key for finding citizens by NIK. FILE is the ministry's public NIK\n"
    "      sealing key (PEM): each NIK goes to the centre sealed with it. Without it the\n"
    "      centre gets no national reference of this site's citizens (fit only for a demo)\n"
    "  mppctl --data DIR config [sync settings] [--nik-sealing-key FILE]\n"
    "      set or change the sync settings (DIR/sync.json) or the ministry's public NIK\n"
    "      sealing key of an initialised site (restart mpp-node after a new sealing key)\n"
    "  mppctl --data DIR status [--offline] [--json]\n"
    "      the site, the centre and whether it answers (not with --offline), the certificate's\n"
    "      expiry, last contact, push and pull, what waits to sync, the clock, the records\n"
    "  mppctl --data DIR sync [--push-only|--pull-only] [--limit-kbps N] [--timeout S] [--json]\n"
    "      push this site's pending changes to the centre and pull what is new (progress on\n"
    "      stderr; the last line says what happened). Ctrl-C stops after the batch in flight\n"
    "      (exit 130; the next sync goes on). --limit-kbps caps the link's use (kbit/s). A\n"
    "      request unanswered for S seconds (default 120) fails the sync: the link stalled\n"
    "  mppctl --data DIR verify [--timeout S] [--json]\n"
    "      compare this site's data with the centre's copy, table by table\n"
    "  mppctl --data DIR log [--tail N] [--json]\n"
    "      the sync history: each attempt, its outcome, what moved, the error\n"
    "  mppctl --data DIR conflicts [list | show ID | resolve ID --keep winner|loser] [--json]\n"
    "      concurrent edits the centre recorded for this site, with both values and the\n"
    "      winner; resolve writes the kept value as a new edit, which the next sync sends\n"
    "  mppctl --data DIR doctor [--offline] [--json]\n"
    "      check the database, the files' permissions, the certificate, the clock, the free\n"
    "      disk and the centre; says what to do for each problem; exits by the worst one\n"
    "  mppctl --data DIR export --out FILE [--all]\n"
    "      with no link: this site's pending changes (every change with --all) in a bundle\n"
    "      signed with its certificate, for mpp-central import at the centre\n"
    "  mppctl --data DIR import FILE [--crl FILE] [--json]\n"
    "      a bundle mpp-central export made for this site: the centre's acknowledgement and\n"
    "      its changes for this site (signed by the centre; checked against the CA)\n"
    "  mppctl --data DIR backup --out FILE\n"
    "      a consistent copy of the site's database, also while mpp-node runs (not\n"
    "      site-ref.key: keep one copy of it apart)\n"
    "  mppctl --data DIR restore FILE [sync settings] [--timeout S]\n"
    "      with mpp-node stopped: put a backup back (checked whole, and this site's), then\n"
    "      sync, which recovers from the centre what the copy is missing\n"
    "  mppctl generate --node HOST:PORT [--visits N] [--seed S]\n"
    "      record N realistic citizen visits through a running node's office API\n"
    "sync settings (stored by init and config in DIR/sync.json): --central HOST:PORT\n"
    "  --cert FILE --key FILE --ca FILE (the site's certificate and key, and the ministry CA)\n"
    "mppctl help | --help | --version\n"
    "exit status: 0 done, 1 refused by the centre for what was sent (or a bug), 2 usage,\n"
    "  3 centre unreachable (link down, no answer: try again), 4 refused (certificate\n"
    "  revoked, expired or unknown; role; site), 5 verify found differences, 6 a local\n"
    "  problem (disk, database, data directory, configuration), 130 stopped by Ctrl-C\n";

}  // namespace

int Usage(const std::string& problem) {
  std::cerr << "mppctl: " << problem << "\n" << kUsage;
  return kExitUsage;
}

int ExitFor(Errc code) {
  switch (code) {
    case mpp::Errc::kUnreachable:
    case mpp::Errc::kRateLimited:
      return kExitUnreachable;
    case mpp::Errc::kTlsRefused:
    case mpp::Errc::kUnauthenticated:
    case mpp::Errc::kForbiddenRole:
    case mpp::Errc::kUnknownSite:
    case mpp::Errc::kBundleRefused:
      return kExitRefused;
    case mpp::Errc::kStorage:
    case mpp::Errc::kDiskFull:
    case mpp::Errc::kNotInitialised:
    case mpp::Errc::kAlreadyInitialised:
    case mpp::Errc::kSchemaTooNew:
    case mpp::Errc::kInUse:
    case mpp::Errc::kConfig:
      return kExitLocal;
    default:
      return kExitFailed;
  }
}

int Fail(const Error& e) {
  std::cerr << "mppctl: " << mpp::ErrcName(e.code) << ": " << e.message << "\n";
  return ExitFor(e.code);
}

int GenerateCmd(const Args& a) {
  const common::Options& opt = a.options;
  if (!opt.count("node")) return Usage("generate needs --node HOST:PORT");
  const std::string node = opt.at("node");
  const auto colon = node.rfind(':');
  if (colon == std::string::npos) return Usage("--node must be HOST:PORT");
  auto visits_flag = mpp::common::WholeNumberFlag(opt, "visits", 50, 1, 1'000'000, "");
  if (!visits_flag) return Usage(visits_flag.error().message);
  auto seed_flag = mpp::common::WholeNumberFlag(opt, "seed", 1, 0, INT64_MAX, "");
  if (!seed_flag) return Usage(seed_flag.error().message);
  const int visits = static_cast<int>(*visits_flag);
  const auto seed = static_cast<uint64_t>(*seed_flag);
  mpp::net::HttpClient client(node.substr(0, colon),
                              static_cast<uint16_t>(std::atoi(node.c_str() + colon + 1)));
  auto call = [&](const std::string& method, const std::string& path,
                  const mpp::Json& body) -> std::pair<int, mpp::Json> {
    auto r = client.Send(method, path, body.is_null() ? "" : body.dump());
    if (!r) return {0, mpp::Json{{"error", r.error().message}}};
    auto j = mpp::ParseJson(r->body);
    return {r->status, j ? *j : mpp::Json()};
  };
  auto [ss, services_json] = call("GET", "/api/v1/services", nullptr);
  auto [cs, counters_json] = call("GET", "/api/v1/counters", nullptr);
  auto [st, status_json] = call("GET", "/api/v1/status", nullptr);
  if (ss != 200 || cs != 200 || st != 200) {
    return Fail(mpp::MakeError(mpp::Errc::kInternal, "cannot read the catalogue from " + node));
  }
  std::vector<mpp::ctl::Service> services;
  for (const auto& s : services_json["items"]) {
    if (s["active"].get<bool>()) services.push_back({s["code"], s["agency_code"], s["fee_idr"]});
  }
  std::vector<mpp::ctl::Counter> counters;
  for (const auto& c : counters_json["items"]) counters.push_back({c["code"], c["agency_code"]});
  const std::string site = status_json["site_code"];
  const std::string regency = site.size() >= 7 ? site.substr(3, 4) : "7301";
  const auto t = mpp::ctl::GenerateVisits(visits, seed, regency, services, counters, call);
  std::printf(
      "generated %d visits at %s: %d applications (%d completed, %d rejected, %d cancelled, %d "
      "open), %d payments, %d surveys, %d complaints, %d failed calls\n",
      t.visits, site.c_str(), t.applications, t.completed, t.rejected, t.cancelled, t.open,
      t.payments, t.surveys, t.complaints, t.failed_calls);
  return t.failed_calls == 0 ? 0 : 1;
}

// Each command, the options it takes (any other is refused, not ignored) and how many words
// may follow its name.
struct Command {
  const char* name;
  int (*run)(const Args&);
  std::set<std::string> options;
  size_t max_words = 0;
};

const std::set<std::string> kSwitches = {"json",      "version",   "offline",
                                         "push-only", "pull-only", "all"};

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"init", InitCmd, {"site", "data", "nik-sealing-key", "central", "cert", "key", "ca"}},
      {"config", ConfigCmd, {"data", "central", "cert", "key", "ca", "nik-sealing-key"}},
      {"status", StatusCmd, {"data", "json", "offline", "timeout"}},
      {"sync",
       SyncCmd,
       {"data", "central", "cert", "key", "ca", "timeout", "json", "push-only", "pull-only",
        "limit-kbps"}},
      {"verify", VerifyCmd, {"data", "central", "cert", "key", "ca", "timeout", "json"}},
      {"log", LogCmd, {"data", "tail", "json"}},
      {"conflicts", ConflictsCmd, {"data", "json", "keep"}, 2},
      {"doctor", DoctorCmd, {"data", "json", "offline", "timeout"}},
      {"export", ExportCmd, {"data", "out", "all"}},
      {"import", ImportCmd, {"data", "crl", "json"}, 1},
      {"backup", BackupCmd, {"data", "out"}},
      {"restore", RestoreCmd, {"data", "central", "cert", "key", "ca", "timeout"}, 1},
      {"generate", GenerateCmd, {"node", "visits", "seed"}},
  };
  return commands;
}

int Run(int argc, char** argv) {
  common::KeepFilesPrivate();
  common::OptionSpec spec;
  spec.switches = kSwitches;
  spec.max_positional = 3;  // the command and its words, before or after the options
  for (const auto& c : Commands()) {
    for (const auto& o : c.options) {
      if (!spec.switches.count(o)) spec.valued.insert(o);
    }
  }
  auto line = common::ParseOptions(argc, argv, spec);
  if (!line) return Usage(line.error().message);
  if (line->options.count("version")) {
    std::cout << "mppctl " << MPP_VERSION << " (schema " << schema::Migrations().back().version
              << ", protocol " << protocol::kProtocolVersion << ")\n";
    return kExitDone;
  }
  if (line->options.count("help") ||
      (!line->positional.empty() && line->positional.front() == "help")) {
    std::cout << kUsage;
    return kExitDone;
  }
  if (line->positional.empty()) return Usage("no command given");
  const std::string& name = line->positional.front();
  const auto& commands = Commands();
  const auto c = std::find_if(commands.begin(), commands.end(),
                              [&](const Command& command) { return name == command.name; });
  if (c == commands.end()) return Usage("unknown command " + name);
  for (const auto& [key, value] : line->options) {
    if (!c->options.count(key)) return Usage(name + " does not take --" + key);
  }
  Args args{line->options, {line->positional.begin() + 1, line->positional.end()}};
  if (args.words.size() > c->max_words) {
    return Usage(name + " does not take '" + args.words[c->max_words] + "'");
  }
  return c->run(args);
}

}  // namespace mpp::ctl

int main(int argc, char** argv) {
  try {
    return mpp::ctl::Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mppctl: fatal: %s\n", e.what());
    return 1;
  }
}
