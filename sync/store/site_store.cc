// SiteStore: opening and initialising a site's database; its two faces are in
// office_records.cc and site_replica.cc.
#include "sync/store/site_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "schema/migrations.h"
#include "sync/core/hex.h"
#include "sync/core/ids.h"
#include "sync/core/log.h"
#include "sync/core/nik_seal.h"
#include "sync/core/time_util.h"
#include "sync/db/migrate.h"
#include "sync/store/change_log.h"
#include "sync/store/rows.h"
#include "sync/store/versions.h"

namespace mpp::store {
namespace {

// Everything Initialise writes, on an open, empty database.
Status InitialiseInto(db::Database& d, const InitOptions& options, Clock& clock) {
  MPP_RETURN_IF_ERROR(db::Migrate(d, schema::Migrations()));
  db::Transaction tx(d);
  MPP_RETURN_IF_ERROR(tx.status());
  MPP_ASSIGN_OR_RETURN(auto site, QueryAll(d, "SELECT code, time_zone FROM sites WHERE code = ?",
                                           {options.site_code}));
  if (site.empty()) {
    return MakeError(Errc::kInvalidValue, "site '" + options.site_code +
                                              "' is not in the reference data (schema/migrations/"
                                              "0002_reference_data.sql lists the sites)");
  }
  if (!options.sealing_key_pem.empty()) {
    if (auto sealer = NikSealer::FromPem(options.sealing_key_pem); !sealer) return sealer.error();
  }
  MPP_ASSIGN_OR_RETURN(auto meta, d.Cached("INSERT INTO meta (key, value) VALUES (?, ?)"));
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"site_code", options.site_code},
                             {"nik_sealing_key_pem", options.sealing_key_pem},
                             {"created_at", FormatUtc(clock.NowMs())}}) {
    db::StatementRef s(meta);
    s->Bind(1, k).Bind(2, v);
    MPP_RETURN_IF_ERROR(s->Run());
  }
  // One counter per agency, stamped and logged like any other site write. Their ids follow
  // from the site and the counter code, so a site made anew (a replaced PC) names them as the
  // centre already knows them.
  MPP_ASSIGN_OR_RETURN(auto policy, LoadMergePolicy(d));
  Hlc hlc(clock);
  MPP_ASSIGN_OR_RETURN(auto agencies,
                       QueryAll(d, "SELECT code, name FROM agencies ORDER BY rowid", {}));
  int n = 0;
  for (const Json& a : agencies) {
    char code[16];
    std::snprintf(code, sizeof code, "G%02d", ++n);
    const HlcStamp t = hlc.Now();
    Json row = {{"id", NameBasedUuid("counter|" + options.site_code + "|" + code)},
                {"site_code", options.site_code},
                {"code", code},
                {"agency_code", a["code"]},
                {"name", "Gerai " + a["code"].get<std::string>()}};
    MPP_RETURN_IF_ERROR(InsertWithChange(d, policy, "counters", row, {t, options.site_code}));
  }
  return tx.Commit();
}

// Writes a new random key to `path`, 0600 whatever the umask, durably; kStorage when it
// cannot. Never overwrites a file.
Status WriteNewKey(const std::string& path, std::string& key) {
  key = NewSecretKey();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MakeError(Errc::kStorage, "cannot create " + path + ": " + std::strerror(errno));
  }
  const bool ok =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return MakeError(Errc::kStorage, "cannot write " + path + ": " + std::strerror(errno));
  return {};
}

Status LoadSiteRefKey(const std::string& path, std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Log(LogLevel::kWarn, "site_ref_key_missing",
        {{"path", path},
         {"message",
          "a new site reference key is made: citizens recorded before can no longer be found "
          "by NIK at this site (restore the key file with the database)"}});
    return WriteNewKey(path, key);
  }
  key.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (key.size() != 32) {
    return MakeError(Errc::kConfig, path + " holds " + std::to_string(key.size()) +
                                        " bytes, not a 32-byte key: restore it from where it "
                                        "was kept, or move it away to make a new one");
  }
  return {};
}

}  // namespace

std::string SiteRefKeyPath(const std::string& db_path) {
  const std::filesystem::path p(db_path);
  return (p.parent_path() / (p.stem().string() + "-ref.key")).string();
}

std::string SiteState::NewId() { return NewSiteUuid(stamp_clock, random, id_tag); }
std::string SiteState::NowUtc() { return FormatUtc(stamp_clock.NowMs()); }

Status SiteState::LoadIdentity() {
  MutexLock lock(mu);
  MPP_ASSIGN_OR_RETURN(auto meta, QueryAll(*db_, "SELECT key, value FROM meta", {}));
  for (const Json& kv : meta) {
    const auto& k = kv["key"].get_ref<const std::string&>();
    if (k == "site_code") site_code = kv["value"];
    if (k == "clock_offset_ms") {
      const std::string& v = kv["value"].get_ref<const std::string&>();
      int64_t offset = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), offset);
      if (ec != std::errc() || end != v.data() + v.size()) {
        return MakeError(Errc::kStorage,
                         "meta.clock_offset_ms is not a number: the database "
                         "file is damaged; run PRAGMA integrity_check");
      }
      stamp_clock.SetOffset(offset);
    }
    if (k == "nik_sealing_key_pem" && !kv["value"].get_ref<const std::string&>().empty()) {
      auto s = NikSealer::FromPem(kv["value"].get<std::string>());
      if (!s) {
        return MakeError(Errc::kConfig,
                         "meta.nik_sealing_key_pem is not a sealing key: " + s.error().message);
      }
      sealer = std::move(*s);
    }
  }
  if (site_code.empty()) {
    return MakeError(Errc::kNotInitialised,
                     db_->path() + " has no site identity; it was not made by `mppctl init`");
  }
  MPP_RETURN_IF_ERROR(LoadSiteRefKey(SiteRefKeyPath(db_->path()), site_ref_key));
  id_tag = SiteIdTag(site_code);
  MPP_ASSIGN_OR_RETURN(auto tz,
                       QueryAll(*db_, "SELECT time_zone FROM sites WHERE code = ?", {site_code}));
  tz_offset_minutes =
      tz.empty() ? 8 * 60 : IndonesianZoneOffsetMinutes(tz[0]["time_zone"].get<std::string>());
  // A restart never issues a stamp below one already persisted, whatever the wall clock says.
  MPP_ASSIGN_OR_RETURN(auto last, HighestPersistedStamp(*db_));
  hlc.Observe(last);
  return {};
}

SiteStore::SiteStore(std::unique_ptr<SiteState> state)
    : state_(std::move(state)), office_(*state_), replica_(NewSqliteSiteReplica(*state_)) {}

SiteStore::~SiteStore() = default;

Status SiteStore::Initialise(const std::string& path, const InitOptions& options, Clock& clock,
                             Random& /*random: ids are minted once the store is open*/) {
  if (std::filesystem::exists(path)) {
    return MakeError(Errc::kAlreadyInitialised,
                     path + " already exists; this data directory is initialised");
  }
  MPP_ASSIGN_OR_RETURN(auto db, db::Database::Open(path));
  Status s = InitialiseInto(*db, options, clock);
  std::string key;
  const std::string key_path = SiteRefKeyPath(path);
  if (s && std::filesystem::exists(key_path)) {
    // This site's key put back before a new init (a PC set up anew): kept, so its citizens
    // are found again.
    s = LoadSiteRefKey(key_path, key);
  } else if (s) {
    s = WriteNewKey(key_path, key);
  }
  if (!s) {  // leave no half-made database behind
    db.reset();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
  }
  return s;
}

Result<std::unique_ptr<SiteStore>> SiteStore::Open(const std::string& path, Clock& clock,
                                                   Random& random, db::OpenOptions options) {
  MPP_ASSIGN_OR_RETURN(auto db, db::Database::Open(path, options));
  MPP_RETURN_IF_ERROR(db::Migrate(*db, schema::Migrations()));
  MPP_ASSIGN_OR_RETURN(auto policy, LoadMergePolicy(*db));
  auto state = std::make_unique<SiteState>(std::move(db), std::move(policy), clock, random);
  MPP_RETURN_IF_ERROR(state->LoadIdentity());
  return std::make_unique<SiteStore>(std::move(state));
}

Status SiteStore::SetSealingKey(const std::string& pem) {
  if (auto sealer = NikSealer::FromPem(pem); !sealer) return sealer.error();
  MutexLock lock(state_->mu);
  MPP_ASSIGN_OR_RETURN(auto stmt, state_->db().Cached("INSERT OR REPLACE INTO meta (key, value) "
                                                      "VALUES ('nik_sealing_key_pem', ?)"));
  db::StatementRef s(stmt);
  s->Bind(1, pem);
  return s->Run();
}

}  // namespace mpp::store
