// mppctl: the technician's tool.
//
//   mppctl init --site CODE --data DIR [--nik-key-file FILE]
//   mppctl --data DIR status [--json]
//   mppctl generate --node HOST:PORT [--visits N] [--seed S]
//
// Exit status: 0 success, 1 the operation failed (message on stderr), 2 bad usage.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "node/ctl/demo_generator.h"
#include "sync/core/json_util.h"
#include "sync/net/http_client.h"
#include "sync/store/site_store.h"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  mppctl init --site CODE --data DIR [--nik-key-file FILE]\n"
    "      create a site database with the reference data (FILE holds the national NIK\n"
    "      matching key; without it a random key is made, which is fit only for a demo)\n"
    "  mppctl --data DIR status [--json]\n"
    "      what this site holds and how much is waiting to sync (works with mpp-node running)\n"
    "  mppctl generate --node HOST:PORT [--visits N] [--seed S]\n"
    "      record N realistic citizen visits through a running node's office API\n";

int Usage(const std::string& problem) {
  std::cerr << "mppctl: " << problem << "\n" << kUsage;
  return 2;
}

int Fail(const mpp::Error& e) {
  std::cerr << "mppctl: " << mpp::ErrcName(e.code) << ": " << e.message << "\n";
  return 1;
}

int Init(const std::map<std::string, std::string>& opt) {
  if (!opt.count("site") || !opt.count("data")) return Usage("init needs --site and --data");
  const std::string dir = opt.at("data");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail(mpp::MakeError(mpp::Errc::kConfig, "cannot create " + dir + ": " + ec.message()));
  mpp::store::InitOptions init{opt.at("site"), ""};
  if (opt.count("nik-key-file")) {
    std::ifstream in(opt.at("nik-key-file"), std::ios::binary);
    init.nik_key.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      return Fail(mpp::MakeError(mpp::Errc::kConfig, "cannot read " + opt.at("nik-key-file")));
    }
    if (init.nik_key.size() < 32) {
      return Fail(mpp::MakeError(mpp::Errc::kConfig, "the NIK key file must hold at least 32 bytes"));
    }
  } else {
    std::cerr << "mppctl: warning: no --nik-key-file; using a random NIK key, so citizen "
                 "references will not match other sites (fine for a demo, not for production)\n";
  }
  mpp::SystemClock clock;
  mpp::CryptoRandom random;
  if (auto s = mpp::store::SiteStore::Initialise(dir + "/site.db", init, clock, random); !s) {
    return Fail(s.error());
  }
  std::cout << "initialised site " << init.site_code << " in " << dir << "/site.db\n";
  return 0;
}

int Status(const std::map<std::string, std::string>& opt) {
  if (!opt.count("data")) return Usage("status needs --data");
  mpp::SystemClock clock;
  mpp::CryptoRandom random;
  auto store = mpp::store::SiteStore::Open(opt.at("data") + "/site.db", clock, random);
  if (!store) return Fail(store.error());
  auto s = (*store)->StatusSummary();
  if (!s) return Fail(s.error());
  if (opt.count("json")) {
    std::cout << s->dump(2) << "\n";
    return 0;
  }
  const mpp::Json& j = *s;
  std::cout << "site          " << j["site_code"].get<std::string>() << "  "
            << j.value("site_name", "") << " (" << j.value("time_zone", "") << ")\n"
            << "schema        v" << j["schema_version"] << "\n"
            << "pending sync  " << j["pending_changes"] << " changes (last seq "
            << j["last_change_seq"] << ")\n"
            << "clock         " << j["clock"]["now"].get<std::string>() << "  hlc "
            << j["clock"]["hlc"].get<std::string>() << "\n"
            << "records\n";
  for (const auto& [table, n] : j["counts"].items()) {
    std::printf("  %-20s %8lld\n", table.c_str(), static_cast<long long>(n.get<int64_t>()));
  }
  std::cout << "applications by status\n";
  for (const auto& [status, n] : j["applications_by_status"].items()) {
    std::printf("  %-20s %8lld\n", status.c_str(), static_cast<long long>(n.get<int64_t>()));
  }
  return 0;
}

int Generate(const std::map<std::string, std::string>& opt) {
  if (!opt.count("node")) return Usage("generate needs --node HOST:PORT");
  const std::string node = opt.at("node");
  const auto colon = node.rfind(':');
  if (colon == std::string::npos) return Usage("--node must be HOST:PORT");
  const int visits = opt.count("visits") ? std::atoi(opt.at("visits").c_str()) : 50;
  const uint64_t seed = opt.count("seed") ? std::stoull(opt.at("seed")) : 1;
  if (visits < 1 || visits > 1'000'000) return Usage("--visits must be 1 to 1000000");
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
  std::vector<mpp::demo::Service> services;
  for (const auto& s : services_json["items"]) {
    if (s["active"].get<bool>()) services.push_back({s["code"], s["agency_code"], s["fee_idr"]});
  }
  std::vector<mpp::demo::Counter> counters;
  for (const auto& c : counters_json["items"]) counters.push_back({c["code"], c["agency_code"]});
  const std::string site = status_json["site_code"];
  const std::string regency = site.size() >= 7 ? site.substr(3, 4) : "7301";
  const auto t = mpp::demo::GenerateVisits(visits, seed, regency, services, counters, call);
  std::printf(
      "generated %d visits at %s: %d applications (%d completed, %d rejected, %d cancelled, %d "
      "open), %d payments, %d surveys, %d complaints, %d failed calls\n",
      t.visits, site.c_str(), t.applications, t.completed, t.rejected, t.cancelled, t.open,
      t.payments, t.surveys, t.complaints, t.failed_calls);
  return t.failed_calls == 0 ? 0 : 1;
}

int Run(int argc, char** argv) {
  std::string command;
  std::map<std::string, std::string> opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--json") {
      opt["json"] = "1";
    } else if (a.rfind("--", 0) == 0) {
      if (i + 1 >= argc) return Usage(a + " needs a value");
      opt[a.substr(2)] = argv[++i];
    } else if (command.empty()) {
      command = a;
    } else {
      return Usage("unexpected argument " + a);
    }
  }
  if (command == "init") return Init(opt);
  if (command == "status") return Status(opt);
  if (command == "generate") return Generate(opt);
  return Usage(command.empty() ? "no command given" : "unknown command " + command);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mppctl: fatal: %s\n", e.what());
    return 1;
  }
}
