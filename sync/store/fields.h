// Declarative validation of JSON request objects against a list of field specs.
//
// The rules every write shares live here once: an object, no unknown fields, required
// fields present, types, ranges, enumerations, RFC 3339 timestamps (normalised to UTC), ids,
// and free text that must not carry a NIK. Errors name the field and say what is allowed.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "sync/core/json.h"
#include "sync/core/result.h"

namespace mpp::store {

enum class FieldType {
  kString,     // one of `allowed`; or any text of [min, max] bytes that holds no NIK
               // (ContainsNikLikeNumber: spaces, dashes, full-width or zero-width
               // characters do not hide one)
  kCode,       // a code of the catalogue or a site: [min, max] of A-Z, 0-9, '-', '_'
  kInteger,    // within [min, max]
  kTimestamp,  // RFC 3339 with offset; normalised to "YYYY-MM-DDTHH:MM:SSZ"
  kDate,       // a calendar date "YYYY-MM-DD"
  kUuid,       // lowercase canonical UUID
  kDigest,     // 64 lowercase hex digits (a keyed hash)
  kNik,        // a NIK (ValidateNik), normalised to its 16 ASCII digits (NikDigits)
  kSealedNik,  // a NIK sealed for the centre (sync/core/nik_seal.h: "v1:<key id>:<base64>")
  kKeyId,      // 16 lowercase hex digits: the id of a key (nik_seal.h)
};

struct FieldSpec {
  std::string_view name;
  FieldType type;
  bool required = false;
  int64_t min = 0;
  int64_t max = 0;
  std::span<const std::string_view> allowed = {};
};

// The same rule with another `required`: request fields and stored columns share one spec.
constexpr FieldSpec Optional(FieldSpec spec) {
  spec.required = false;
  return spec;
}
constexpr FieldSpec Required(FieldSpec spec) {
  spec.required = true;
  return spec;
}

// Checks `body` against `specs`. Returns the object with timestamps normalised, or the first
// problem: kInvalidType (not an object / wrong type), kUnknownField, kMissingField,
// kOutOfRange, kInvalidValue. A JSON null counts as absent for optional fields.
Result<Json> ValidateFields(const Json& body, std::span<const FieldSpec> specs);

// What a stored row must hold. `columns` is a whole row (`whole`: every required column
// present and not null) or the columns an update sets; each must have a spec, and a value in
// its stored form (a timestamp already "YYYY-MM-DDTHH:MM:SSZ": a replica that normalised it
// would no longer hold what its origin holds). Messages name `what` ("applications.notes").
Status CheckStoredColumns(std::string_view what, const Json& columns,
                          std::span<const FieldSpec> specs, bool whole);
// The same check for columns a person sends (the centre's operator): values are normalised
// (a time with any offset becomes UTC) instead of refused for their form.
Result<Json> NormaliseColumns(std::string_view what, const Json& columns,
                              std::span<const FieldSpec> specs);

}  // namespace mpp::store
