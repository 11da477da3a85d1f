#include "node/central/bundles.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "node/common/dir_lock.h"
#include "schema/migrations.h"
#include "sync/core/file.h"
#include "sync/core/log.h"
#include "sync/net/signed_file.h"
#include "sync/protocol/wire.h"
#include "sync/replicator/bundle.h"
#include "sync/replicator/central_endpoint.h"
#include "sync/store/central_store.h"

namespace mpp::central {
namespace {

// The largest bundle file read (its content, decompressed, is bounded again).
constexpr uintmax_t kMaxFileBytes = replicator::kMaxBundleBytes + (1u << 20);  // and its signature

int ExitFor(Errc code) {
  switch (code) {
    case Errc::kBundleRefused:
    case Errc::kUnknownSite:
      return 4;
    case Errc::kStorage:
    case Errc::kDiskFull:
    case Errc::kConfig:
    case Errc::kInUse:
    case Errc::kSchemaTooNew:
    case Errc::kNotInitialised:
      return 6;
    default:
      return 1;
  }
}

int Fail(const Error& e) {
  std::cerr << "mpp-central: " << ErrcName(e.code) << ": " << e.message << "\n";
  return ExitFor(e.code);
}

Result<std::string> ReadBundleFile(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return MakeError(Errc::kConfig, "cannot read " + path + ": " + ec.message());
  if (size > kMaxFileBytes) {
    return MakeError(Errc::kBodyTooLarge,
                     path + " is over " + std::to_string(kMaxFileBytes >> 20) + " MiB");
  }
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Centre {
  std::unique_ptr<common::DirLock> lock;
  SystemClock clock;
  std::unique_ptr<store::CentralStore> store;
  std::unique_ptr<replicator::CentralEndpoint> endpoint;
};

Status OpenCentre(const common::Options& opt, std::shared_ptr<const CitizenKeys> keys, Centre& c) {
  if (!std::filesystem::exists(opt.at("data") + "/central.db")) {
    return MakeError(Errc::kNotInitialised, "no centre database in " + opt.at("data") +
                                                " (check --data; the daemon makes it at its "
                                                "first start)");
  }
  auto lock = common::DirLock::Acquire(opt.at("data"), "mpp-central");
  if (!lock) {
    if (lock.error().code == Errc::kInUse) {
      return MakeError(Errc::kInUse,
                       lock.error().message +
                           " (stop the daemon for the import, e.g. systemctl stop mpp-central: "
                           "sites retry later and lose nothing)");
    }
    return lock.error();
  }
  c.lock = std::move(lock).value();
  MPP_ASSIGN_OR_RETURN(c.store, store::OpenSqliteCentralStore(opt.at("data") + "/central.db",
                                                              c.clock, {}, std::move(keys)));
  c.endpoint = std::make_unique<replicator::CentralEndpoint>(*c.store, c.clock,
                                                             schema::Migrations().back().version);
  return {};
}

}  // namespace

int ImportBundle(const common::Options& opt, const std::string& file,
                 std::shared_ptr<const CitizenKeys> keys) {
  auto bytes = ReadBundleFile(file);
  if (!bytes) return Fail(bytes.error());
  auto opened = net::OpenSignedContent(*bytes, opt.at("ca"), opt.count("crl") ? opt.at("crl") : "",
                                       replicator::kMaxBundleBytes);
  if (!opened) return Fail(opened.error());
  auto bundle = replicator::DecodeBundle(opened->content);
  if (!bundle) return Fail(bundle.error());
  const protocol::Peer peer = protocol::PeerFromUris(opened->signer_uris);
  if (peer.role != protocol::Peer::Role::kSite || peer.site != bundle->from ||
      bundle->to != replicator::kBundleFromCentre) {
    return Fail(MakeError(Errc::kBundleRefused,
                          "the bundle says it is from " + bundle->from.substr(0, 16) + " for " +
                              bundle->to.substr(0, 16) + " but is signed by " + opened->signer +
                              ": only a site's own certificate signs its bundles for the centre"));
  }
  Centre c;
  if (auto s = OpenCentre(opt, std::move(keys), c); !s) return Fail(s.error());
  auto answered = replicator::AnswerSiteBundle(*c.endpoint, std::move(bundle).value(), peer);
  if (!answered) return Fail(answered.error());
  int64_t applied = 0, duplicates = 0, quarantined = 0, batches = 0;
  for (const auto& e : answered->exchanges) {
    if (e.status / 100 != 2) {
      const Json& err = e.response.is_object() ? e.response.value("error", Json::object()) : Json();
      std::printf(
          "bundle %s from %s: %lld batches taken (%lld changes new, %lld already here), "
          "then refused: %s\n",
          answered->id.c_str(), peer.site.c_str(), static_cast<long long>(batches),
          static_cast<long long>(applied), static_cast<long long>(duplicates),
          err.is_object() ? err.value("message", "").c_str() : "");
      return Fail(MakeError(ErrcFromName(err.is_object() ? err.value("code", "") : ""),
                            "batch " + std::to_string(batches + 1) +
                                " of the bundle was refused "
                                "(what came before it is kept): sync the site over the network, "
                                "or export a new bundle there"));
    }
    if (e.method == "POST") {
      ++batches;
      applied += e.response.value("applied", 0) + e.response.value("kept_local", 0);
      duplicates += e.response.value("duplicates", 0);
      quarantined += e.response.value("quarantined", 0);
    }
  }
  Log(LogLevel::kInfo, "bundle_imported",
      {{"site", peer.site},
       {"bundle", answered->id},
       {"changes", std::to_string(applied)},
       {"duplicates", std::to_string(duplicates)}});
  std::printf(
      "bundle %s from %s (made %s): %lld changes new, %lld already here, %lld set aside "
      "in the quarantine, in %lld batches\n"
      "next: mpp-central export --site %s --out FILE, and carry it back to the site\n",
      answered->id.c_str(), peer.site.c_str(), answered->created_at.c_str(),
      static_cast<long long>(applied), static_cast<long long>(duplicates),
      static_cast<long long>(quarantined), static_cast<long long>(batches), peer.site.c_str());
  return 0;
}

int ExportBundle(const common::Options& opt) {
  Centre c;
  if (auto s = OpenCentre(opt, nullptr, c); !s) return Fail(s.error());
  CryptoRandom random;
  auto bundle = replicator::MakeBundleFor(*c.endpoint, *c.store, opt.at("site"),
                                          replicator::NewBundleId(random), c.clock,
                                          schema::Migrations().back().version);
  if (!bundle) return Fail(bundle.error());
  auto signed_file =
      net::SignContent(replicator::EncodeBundle(*bundle), opt.at("cert"), opt.at("key"));
  if (!signed_file) return Fail(signed_file.error());
  if (auto s = WriteFileAtomically(opt.at("out"), *signed_file); !s) return Fail(s.error());
  int64_t changes = 0;
  for (const auto& e : bundle->exchanges) {
    if (e.response.contains("changes"))
      changes += static_cast<int64_t>(e.response["changes"].size());
  }
  std::printf(
      "bundle %s for %s: the centre holds its changes up to seq %lld; %lld changes of "
      "the centre for it; %.1f kB in %s\n",
      bundle->id.c_str(), opt.at("site").c_str(),
      static_cast<long long>(bundle->exchanges.front().response["acked_seq"].get<int64_t>()),
      static_cast<long long>(changes), static_cast<double>(signed_file->size()) / 1000.0,
      opt.at("out").c_str());
  return 0;
}

}  // namespace mpp::central
