// Declarative validation of JSON request objects against a list of field specs.
//
// The rules every write shares live here once: an object, no unknown fields, required
// fields present, types, ranges, enumerations, RFC 3339 timestamps (normalised to UTC), ids,
// and free text that must not carry a NIK. Errors name the field and say what is allowed.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "sync/core/json.h"
#include "sync/core/result.h"

namespace mpp::store {

enum class FieldType {
  kString,     // length within [min, max]; `allowed` restricts it to an enumeration
  kFreeText,   // a string within [min, max] that must not contain a 16-digit run (a NIK)
  kInteger,    // within [min, max]
  kTimestamp,  // RFC 3339 with offset; normalised to "YYYY-MM-DDTHH:MM:SSZ"
  kUuid,       // lowercase canonical UUID
};

struct FieldSpec {
  std::string_view name;
  FieldType type;
  bool required = false;
  int64_t min = 0;
  int64_t max = 0;
  std::initializer_list<std::string_view> allowed = {};
};

// Checks `body` against `specs`. Returns the object with timestamps normalised, or the first
// problem: kInvalidType (not an object / wrong type), kUnknownField, kMissingField,
// kOutOfRange, kInvalidValue. A JSON null counts as absent for optional fields.
Result<Json> ValidateFields(const Json& body, std::span<const FieldSpec> specs);

// True when `text` contains 16 or more consecutive digits.
bool ContainsNikLikeRun(std::string_view text);

}  // namespace mpp::store
