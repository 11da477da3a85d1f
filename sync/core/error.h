// Error codes shared by every module, and the one place that maps them to HTTP.
//
// Codes are stable numbers: never renumber or reuse one. Each has a snake_case name that
// clients see in `{"error":{"code":"<name>","message":"..."}}` and an HTTP status.
#pragma once

#include <string>
#include <string_view>

namespace mpp {

enum class Errc : int {
  kOk = 0,
  // Request shape (1xxx): the caller sent something we cannot read.
  kBadJson = 1001,               // body is not valid JSON, or nested too deeply
  kBodyTooLarge = 1002,          // body over the configured limit
  kUnknownField = 1003,          // a field the endpoint does not accept
  kMissingField = 1004,          // a required field is absent
  kInvalidType = 1005,           // a field has the wrong JSON type
  kOutOfRange = 1006,            // a number outside its range, a string too long or not allowed
  kInvalidValue = 1007,          // a value that fails a format check (NIK, timestamp, id)
  kNotFound = 1008,              // no such route or record
  kMethodNotAllowed = 1009,      // the route exists, the method does not
  kBadCursor = 1010,             // a pagination cursor we did not issue
  kUnsupportedMediaType = 1011,  // a body that is not application/json
  kRateLimited = 1012,           // too many requests from this certificate; see Retry-After
  kForbiddenHost = 1013,         // a Host header naming no address of this server
  // Domain rules (2xxx): well-formed, but not allowed now.
  kUnknownService = 2001,      // service code not in the catalogue
  kInactiveService = 2002,     // service exists but is not offered any more
  kIllegalTransition = 2003,   // status change not allowed by the state machine
  kUnknownApplication = 2004,  // payment/survey/complaint names no known application
  kUnknownCounter = 2005,      // counter code not set up at this site
  kDuplicate = 2006,           // a record with this id already exists
  // Sync and authorisation (4xxx).
  kSequenceGap = 4001,          // a push that skips sequence numbers; resend from expected_seq
  kForbiddenTable = 4002,       // the peer may not write this table (reference data, append-only)
  kForbiddenRow = 4003,         // the row belongs to another site
  kForbiddenColumn = 4004,      // the centre may not set this column of a site's row
  kForbiddenRole = 4005,        // the certificate's role may not call this endpoint
  kIncompatibleVersion = 4006,  // protocol or schema version the peer cannot serve
  kMissingRow = 4007,           // an update for a row this replica has never seen
  kUnauthenticated = 4008,      // no verified client certificate naming a site or role
  kSiteBehind = 4009,   // the site's data is older than what it already sent: it must recover
  kUnknownSite = 4010,  // the certificate names a site the centre does not list
  // The link to a peer (a client's view: no answer from the server, or no TLS with it).
  kUnreachable = 4011,  // no connection, no answer in time, or the link cut mid-request
  kTlsRefused = 4012,   // the TLS handshake failed: a certificate revoked, expired or unknown
  kBadBundle = 4013,    // a USB bundle that is damaged, tampered with, or not a bundle
  kBundleRefused = 4014,  // a bundle signed by someone who may not send it (or revoked)
  // Local state (3xxx): the node itself cannot proceed.
  kSchemaTooNew = 3001,    // database written by a newer binary
  kNotInitialised = 3002,  // data directory has no site database
  kAlreadyInitialised = 3003,
  kStorage = 3004,    // SQLite failed (disk full, I/O error, corruption)
  kConfig = 3005,     // bad flag or configuration file
  kClockSkew = 3006,  // a timestamp too far from our clock
  kInUse = 3007,      // another process holds this data directory for the same job
  kDiskFull = 3008,   // the disk holding the database is full: nothing was saved
  kInternal = 3999,
};

std::string_view ErrcName(Errc code);
// The code with this name; kInternal if none (a peer newer than us).
Errc ErrcFromName(std::string_view name);
int ErrcHttpStatus(Errc code);

struct Error {
  Errc code = Errc::kInternal;
  std::string message;  // for a person: what is wrong and what to do; never personal data
};

}  // namespace mpp
