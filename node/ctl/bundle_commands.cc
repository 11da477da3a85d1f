// mppctl export and import: the site's end of a USB bundle (sync/replicator/bundle.h), signed
// with the site's certificate key and checked against the ministry CA.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "node/ctl/commands.h"
#include "schema/migrations.h"
#include "sync/core/file.h"
#include "sync/net/signed_file.h"
#include "sync/protocol/wire.h"
#include "sync/replicator/bundle.h"

namespace mpp::ctl {
namespace {

constexpr uintmax_t kMaxFileBytes = replicator::kMaxBundleBytes + (1u << 20);  // and its signature

replicator::SyncOptions BundleOptions() {
  replicator::SyncOptions o;
  o.schema_version = schema::Migrations().back().version;
  return o;
}

struct Opened {
  std::unique_ptr<common::DirLock> lock;
  SystemClock clock;
  CryptoRandom random;
  std::unique_ptr<store::SiteStore> store;
  SyncSettings settings;
};

Status Open(const Args& a, Opened& o) {
  MPP_ASSIGN_OR_RETURN(o.lock, common::DirLock::Acquire(a.at("data"), "sync"));
  MPP_ASSIGN_OR_RETURN(o.settings, LoadSyncSettings(a.options));
  MPP_ASSIGN_OR_RETURN(o.store,
                       store::SiteStore::Open(a.at("data") + "/site.db", o.clock, o.random));
  return {};
}

}  // namespace

int ExportCmd(const Args& a) {
  if (!a.has("data") || !a.has("out")) return Usage("export needs --data and --out FILE");
  Opened o;
  if (auto s = Open(a, o); !s) return Fail(s.error());
  auto bundle = replicator::ExportSiteBundle(o.store->replica(), o.clock, BundleOptions(),
                                             a.has("all"), replicator::NewBundleId(o.random));
  if (!bundle) return Fail(bundle.error());
  auto signed_file = net::SignContent(replicator::EncodeBundle(*bundle), o.settings.tls.cert_file,
                                      o.settings.tls.key_file);
  if (!signed_file) return Fail(signed_file.error());
  const std::string out = a.at("out");
  if (auto w = WriteFileAtomically(out, *signed_file); !w) return Fail(w.error());
  int64_t changes = 0;
  for (const auto& e : bundle->exchanges) {
    if (e.body.is_object() && e.body.contains("changes")) {
      changes += static_cast<int64_t>(e.body["changes"].size());
    }
  }
  std::printf(
      "exported %lld changes of %s in bundle %s (%.1f kB) to %s\n"
      "at the centre: mpp-central import %s; then bring back what mpp-central export "
      "--site %s makes, and mppctl import it here\n",
      static_cast<long long>(changes), bundle->from.c_str(), bundle->id.c_str(),
      static_cast<double>(signed_file->size()) / 1000.0, out.c_str(),
      std::filesystem::path(out).filename().c_str(), bundle->from.c_str());
  return kExitDone;
}

int ImportCmd(const Args& a) {
  if (!a.has("data") || a.words.size() != 1) return Usage("import needs --data and the FILE");
  const std::string file = a.words[0];
  Opened o;
  if (auto s = Open(a, o); !s) return Fail(s.error());
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return Fail(MakeError(Errc::kConfig, "cannot read " + file + ": " + ec.message()));
  if (size > kMaxFileBytes) {
    return Fail(MakeError(Errc::kBodyTooLarge, file + " is too large to be a bundle"));
  }
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto opened = net::OpenSignedContent(
      bytes, o.settings.tls.ca_file, a.has("crl") ? a.at("crl") : "", replicator::kMaxBundleBytes);
  if (!opened) return Fail(opened.error());
  if (!protocol::NamesOnlyTheCentre(opened->signer_uris)) {
    return Fail(MakeError(Errc::kBundleRefused,
                          "the bundle is signed by " + opened->signer +
                              ", not by the centre (whose certificate names mpp:centre): "
                              "import only what mpp-central export made"));
  }
  auto bundle = replicator::DecodeBundle(opened->content);
  if (!bundle) return Fail(bundle.error());
  auto report = replicator::ImportSiteBundle(o.store->replica(), o.clock, BundleOptions(), *bundle);
  if (!report) return Fail(report.error());
  if (a.has("json")) {
    std::cout << Json{{"bundle", bundle->id},
                      {"created_at", bundle->created_at},
                      {"acked_seq", report->acked_seq},
                      {"pulled", report->pulled},
                      {"conflicts", report->conflicts}}
                     .dump()
              << "\n";
  } else {
    std::printf(
        "imported bundle %s from the centre (made %s): acknowledged up to seq %lld, "
        "pulled %lld changes, conflicts %lld\n",
        bundle->id.c_str(), bundle->created_at.c_str(), static_cast<long long>(report->acked_seq),
        static_cast<long long>(report->pulled), static_cast<long long>(report->conflicts));
  }
  return kExitDone;
}

}  // namespace mpp::ctl
