// SiteStore: a site's replica in one SQLite file: the MPP's transactions, the reference data
// it was shipped or pulled, and the change log that sync reads. It opens (or creates) the
// file and hands out its two faces, each for its own client:
//   office()  — the office's records and rules (office_records.h), for mpp-node's office API;
//   replica() — the outbox, acknowledgements and pulled changes (site_replica.h), for the
//               replicator.
// Both share one connection, one clock and the site's identity; the SiteStore owns them, so
// it must outlive every reference taken from it. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "sync/core/clock.h"
#include "sync/core/result.h"
#include "sync/db/database.h"
#include "sync/store/office_records.h"
#include "sync/store/site_replica.h"

namespace mpp::store {

struct InitOptions {
  std::string site_code;  // must be in the reference sites table, e.g. "MPP7301"
  // The ministry's public NIK sealing key (PEM, nik_seal.h). Empty: NIKs are not sealed for
  // the centre, which then has no national reference of this site's citizens.
  std::string sealing_key_pem;
};

// The file of the site's own reference key, beside its database ("DIR/site.db" →
// "DIR/site-ref.key", 0600): never in the database, so a copy of the database carries no key.
std::string SiteRefKeyPath(const std::string& db_path);

class SiteStore {
 public:
  // Creates the database at `path`, applies the migrations, records the site and the sealing
  // key, makes the site's reference key (SiteRefKeyPath), and sets up one counter (gerai) per
  // agency. kAlreadyInitialised if `path` exists; kInvalidValue for a site code not in the
  // reference data; kConfig for a sealing key that is not one. Leaves no file behind when it
  // fails.
  static Status Initialise(const std::string& path, const InitOptions& options, Clock& clock,
                           Random& random);

  // Opens an initialised database, applying any newer migrations. kNotInitialised when the
  // file is missing or has no site identity; kSchemaTooNew when a newer binary wrote it.
  static Result<std::unique_ptr<SiteStore>> Open(const std::string& path, Clock& clock,
                                                 Random& random,
                                                 db::OpenOptions options = {.create = false});

  explicit SiteStore(std::unique_ptr<SiteState> state);
  ~SiteStore();

  const std::string& site_code() const { return state_->site_code; }

  // Records the ministry's public sealing key (a new one, when it is rotated), checked as by
  // Initialise. It takes effect when the database is next opened (restart mpp-node).
  Status SetSealingKey(const std::string& pem);
  OfficeRecords& office() { return office_; }
  SiteReplica& replica() { return *replica_; }

  // The database connection, for tests that inject faults. Not for production callers.
  db::Database& database_for_testing() NO_THREAD_SAFETY_ANALYSIS { return state_->db(); }

 private:
  std::unique_ptr<SiteState> state_;
  OfficeRecords office_;
  std::unique_ptr<SiteReplica> replica_;
};

}  // namespace mpp::store
