#include "sync/store/fields.h"

#include <algorithm>
#include <cstdint>

#include "sync/core/ids.h"
#include "sync/core/nik.h"
#include "sync/core/nik_seal.h"
#include "sync/core/time_util.h"

namespace mpp::store {
namespace {

// Built with += rather than "'" + std::string(s) + "'": GCC 12 at -O2/-O3 reports a false
// -Wrestrict on the latter (GCC bugs 105329, 105651).
std::string Quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

std::string AllowedList(const FieldSpec& spec) {
  std::string out;
  for (auto v : spec.allowed) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

bool IsCodeChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

Status CheckLength(const FieldSpec& spec, const std::string& name, std::string_view s) {
  if (static_cast<int64_t>(s.size()) < spec.min || static_cast<int64_t>(s.size()) > spec.max) {
    return MakeError(Errc::kOutOfRange, name + " must be " + std::to_string(spec.min) + " to " +
                                            std::to_string(spec.max) + " bytes long");
  }
  return {};
}

// Checks `value` against `spec`, normalising a timestamp in place.
Status CheckField(const FieldSpec& spec, const std::string& name, Json& value) {
  switch (spec.type) {
    case FieldType::kString: {
      if (!value.is_string()) return MakeError(Errc::kInvalidType, name + " must be a string");
      const auto& s = value.get_ref<const std::string&>();
      if (spec.allowed.size() > 0) {
        if (std::find(spec.allowed.begin(), spec.allowed.end(), s) == spec.allowed.end()) {
          return MakeError(Errc::kOutOfRange, name + " must be one of: " + AllowedList(spec));
        }
        return {};
      }
      MPP_RETURN_IF_ERROR(CheckLength(spec, name, s));
      if (ContainsNikLikeNumber(s)) {
        return MakeError(Errc::kInvalidValue,
                         name +
                             " contains a 16-digit number; a NIK must never be written in free "
                             "text (use the 'nik' field of the application)");
      }
      return {};
    }
    case FieldType::kCode: {
      if (!value.is_string()) return MakeError(Errc::kInvalidType, name + " must be a string");
      const auto& s = value.get_ref<const std::string&>();
      MPP_RETURN_IF_ERROR(CheckLength(spec, name, s));
      if (!std::all_of(s.begin(), s.end(), IsCodeChar) || ContainsNikLikeNumber(s)) {
        return MakeError(Errc::kInvalidValue,
                         name + " must be a code of capital letters, digits, '-' and '_'");
      }
      return {};
    }
    case FieldType::kInteger: {
      if (!value.is_number_integer()) {
        return MakeError(Errc::kInvalidType, name + " must be a whole number");
      }
      if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
        return MakeError(Errc::kOutOfRange, name + " is too large");
      }
      const int64_t v = value.get<int64_t>();
      if (v < spec.min || v > spec.max) {
        return MakeError(Errc::kOutOfRange, name + " must be between " + std::to_string(spec.min) +
                                                " and " + std::to_string(spec.max));
      }
      value = v;  // store as signed
      return {};
    }
    case FieldType::kTimestamp: {
      if (!value.is_string()) return MakeError(Errc::kInvalidType, name + " must be a string");
      auto ms = ParseRfc3339(value.get_ref<const std::string&>());
      if (!ms) {
        return MakeError(Errc::kInvalidValue,
                         name + " must be an RFC 3339 time such as 2026-12-01T08:30:00+08:00");
      }
      value = FormatUtc(*ms);
      return {};
    }
    case FieldType::kDate: {
      const bool form = value.is_string() && value.get_ref<const std::string&>().size() == 10;
      if (!form || !ParseRfc3339(value.get<std::string>() + "T00:00:00Z")) {
        return MakeError(Errc::kInvalidValue, name + " must be a date such as 2026-12-01");
      }
      return {};
    }
    case FieldType::kUuid: {
      if (!value.is_string() || !IsUuid(value.get_ref<const std::string&>())) {
        return MakeError(Errc::kInvalidValue, name + " must be a lowercase UUID");
      }
      return {};
    }
    case FieldType::kNik: {
      if (!value.is_string() || value.get_ref<const std::string&>().size() > 128) {
        return MakeError(Errc::kInvalidType, name + " must be a string of 16 digits");
      }
      std::string digits = NikDigits(value.get_ref<const std::string&>());
      MPP_RETURN_IF_ERROR(ValidateNik(digits));
      value = std::move(digits);
      return {};
    }
    case FieldType::kDigest:
    case FieldType::kKeyId: {
      const size_t digits = spec.type == FieldType::kDigest ? 64 : 16;
      const bool ok = value.is_string() && value.get_ref<const std::string&>().size() == digits &&
                      std::all_of(value.get_ref<const std::string&>().begin(),
                                  value.get_ref<const std::string&>().end(), IsLowerHex);
      if (!ok) {
        return MakeError(Errc::kInvalidValue,
                         name + " must be " + std::to_string(digits) + " lowercase hex digits");
      }
      return {};
    }
    case FieldType::kSealedNik: {
      if (!value.is_string()) return MakeError(Errc::kInvalidType, name + " must be a string");
      if (auto id = SealedNikKeyId(value.get_ref<const std::string&>()); !id) {
        return MakeError(Errc::kInvalidValue, name + ": " + id.error().message);
      }
      return {};
    }
  }
  return {};
}

}  // namespace

Result<Json> ValidateFields(const Json& body, std::span<const FieldSpec> specs) {
  if (!body.is_object()) {
    return MakeError(Errc::kInvalidType, "the request body must be a JSON object");
  }
  for (const auto& item : body.items()) {
    const std::string& key = item.key();
    const bool known =
        std::any_of(specs.begin(), specs.end(), [&](const FieldSpec& s) { return s.name == key; });
    if (!known) {
      std::string names;
      for (const auto& s : specs) names += (names.empty() ? "" : ", ") + std::string(s.name);
      return MakeError(Errc::kUnknownField,
                       "unknown field " +
                           Quoted(key.size() > 64 ? key.substr(0, 64) + "..." : key) +
                           "; accepted fields: " + names);
    }
  }
  Json out = Json::object();
  for (const FieldSpec& spec : specs) {
    auto it = body.find(spec.name);
    if (it == body.end() || it->is_null()) {
      if (spec.required) {
        return MakeError(Errc::kMissingField, "missing required field " + Quoted(spec.name));
      }
      continue;
    }
    Json value = *it;
    MPP_RETURN_IF_ERROR(CheckField(spec, Quoted(spec.name), value));
    out[std::string(spec.name)] = std::move(value);
  }
  return out;
}

namespace {

Result<Json> CheckColumns(std::string_view what, const Json& columns,
                          std::span<const FieldSpec> specs, bool whole, bool stored) {
  if (!columns.is_object()) {
    return MakeError(Errc::kInvalidType, std::string(what) + ": send an object of columns");
  }
  Json out = Json::object();
  for (const auto& item : columns.items()) {
    const std::string& key = item.key();
    const Json& given = item.value();
    auto spec =
        std::find_if(specs.begin(), specs.end(), [&](const FieldSpec& s) { return s.name == key; });
    const std::string name =
        std::string(what) + "." + (key.size() > 64 ? key.substr(0, 64) + "..." : key);
    if (spec == specs.end()) return MakeError(Errc::kUnknownField, "no column " + name);
    Json value = given;
    if (value.is_null()) {
      if (spec->required) return MakeError(Errc::kMissingField, name + " may not be empty");
    } else {
      MPP_RETURN_IF_ERROR(CheckField(*spec, name, value));
      if (stored && value != given) {
        return MakeError(Errc::kInvalidValue, name +
                                                  " is not in its stored form (a time is "
                                                  "stored as UTC: 2026-12-01T00:30:00Z)");
      }
    }
    out[key] = std::move(value);
  }
  if (whole) {
    for (const FieldSpec& spec : specs) {
      auto it = columns.find(spec.name);
      if (spec.required && (it == columns.end() || it->is_null())) {
        return MakeError(Errc::kMissingField,
                         std::string(what) + "." + std::string(spec.name) + " is missing");
      }
    }
  }
  return out;
}

}  // namespace

Status CheckStoredColumns(std::string_view what, const Json& columns,
                          std::span<const FieldSpec> specs, bool whole) {
  MPP_RETURN_IF_ERROR(CheckColumns(what, columns, specs, whole, /*stored=*/true));
  return {};
}

Result<Json> NormaliseColumns(std::string_view what, const Json& columns,
                              std::span<const FieldSpec> specs) {
  return CheckColumns(what, columns, specs, /*whole=*/false, /*stored=*/false);
}

}  // namespace mpp::store
