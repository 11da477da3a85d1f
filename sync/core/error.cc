#include "sync/core/error.h"

#include <iterator>

namespace mpp {
namespace {

struct ErrcInfo {
  Errc code;
  std::string_view name;
  int http_status;
};

constexpr ErrcInfo kTable[] = {
    {Errc::kOk, "ok", 200},
    {Errc::kBadJson, "bad_json", 400},
    {Errc::kBodyTooLarge, "body_too_large", 413},
    {Errc::kUnknownField, "unknown_field", 400},
    {Errc::kMissingField, "missing_field", 400},
    {Errc::kInvalidType, "invalid_type", 400},
    {Errc::kOutOfRange, "out_of_range", 400},
    {Errc::kInvalidValue, "invalid_value", 400},
    {Errc::kNotFound, "not_found", 404},
    {Errc::kMethodNotAllowed, "method_not_allowed", 405},
    {Errc::kBadCursor, "bad_cursor", 400},
    {Errc::kUnsupportedMediaType, "unsupported_media_type", 415},
    {Errc::kRateLimited, "rate_limited", 429},
    {Errc::kForbiddenHost, "forbidden_host", 403},
    {Errc::kUnknownService, "unknown_service", 422},
    {Errc::kInactiveService, "inactive_service", 422},
    {Errc::kIllegalTransition, "illegal_transition", 409},
    {Errc::kUnknownApplication, "unknown_application", 422},
    {Errc::kUnknownCounter, "unknown_counter", 422},
    {Errc::kDuplicate, "duplicate", 409},
    {Errc::kSequenceGap, "sequence_gap", 409},
    {Errc::kForbiddenTable, "forbidden_table", 403},
    {Errc::kForbiddenRow, "forbidden_row", 403},
    {Errc::kForbiddenColumn, "forbidden_column", 403},
    {Errc::kForbiddenRole, "forbidden_role", 403},
    {Errc::kUnknownSite, "unknown_site", 403},
    {Errc::kIncompatibleVersion, "incompatible_version", 400},
    {Errc::kMissingRow, "missing_row", 409},
    {Errc::kUnauthenticated, "unauthenticated", 401},
    {Errc::kSiteBehind, "site_behind", 409},
    {Errc::kUnreachable, "centre_unreachable", 502},
    {Errc::kTlsRefused, "tls_refused", 401},
    {Errc::kBadBundle, "bad_bundle", 400},
    {Errc::kBundleRefused, "bundle_refused", 403},
    {Errc::kSchemaTooNew, "schema_too_new", 500},
    {Errc::kNotInitialised, "not_initialised", 500},
    {Errc::kAlreadyInitialised, "already_initialised", 409},
    {Errc::kStorage, "storage_error", 503},
    {Errc::kConfig, "config_error", 500},
    {Errc::kClockSkew, "clock_skew", 409},
    {Errc::kInUse, "data_dir_in_use", 409},
    {Errc::kDiskFull, "disk_full", 507},
    {Errc::kInternal, "internal_error", 500},
};

// Two codes with one number would share a name: one of them would be reported as the other.
constexpr bool AllDistinct() {
  for (size_t i = 0; i < std::size(kTable); ++i) {
    for (size_t j = i + 1; j < std::size(kTable); ++j) {
      if (kTable[i].code == kTable[j].code || kTable[i].name == kTable[j].name) return false;
    }
  }
  return true;
}
static_assert(AllDistinct(), "every Errc has its own number and name");

const ErrcInfo& Lookup(Errc code) {
  for (const auto& info : kTable) {
    if (info.code == code) return info;
  }
  return kTable[sizeof(kTable) / sizeof(kTable[0]) - 1];
}

}  // namespace

std::string_view ErrcName(Errc code) { return Lookup(code).name; }

Errc ErrcFromName(std::string_view name) {
  for (const auto& info : kTable) {
    if (info.name == name) return info.code;
  }
  return Errc::kInternal;
}
int ErrcHttpStatus(Errc code) { return Lookup(code).http_status; }

}  // namespace mpp
