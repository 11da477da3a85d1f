#include "sync/store/fields.h"

#include <algorithm>
#include <cstdint>

#include "sync/core/ids.h"
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

Status CheckField(const FieldSpec& spec, Json& value) {
  const std::string name = Quoted(spec.name);
  switch (spec.type) {
    case FieldType::kString:
    case FieldType::kFreeText: {
      if (!value.is_string()) return MakeError(Errc::kInvalidType, name + " must be a string");
      const auto& s = value.get_ref<const std::string&>();
      if (spec.allowed.size() > 0) {
        if (std::find(spec.allowed.begin(), spec.allowed.end(), s) == spec.allowed.end()) {
          return MakeError(Errc::kOutOfRange, name + " must be one of: " + AllowedList(spec));
        }
        return {};
      }
      if (static_cast<int64_t>(s.size()) < spec.min || static_cast<int64_t>(s.size()) > spec.max) {
        return MakeError(Errc::kOutOfRange, name + " must be " + std::to_string(spec.min) + " to " +
                                                std::to_string(spec.max) + " bytes long");
      }
      if (spec.type == FieldType::kFreeText && ContainsNikLikeRun(s)) {
        return MakeError(Errc::kInvalidValue,
                         name +
                             " contains a 16-digit number; a NIK must never be written in free "
                             "text (use the 'nik' field of the application)");
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
      if (!ms) return MakeError(Errc::kInvalidValue, name + ": " + ms.error().message);
      value = FormatUtc(*ms);
      return {};
    }
    case FieldType::kUuid: {
      if (!value.is_string() || !IsUuid(value.get_ref<const std::string&>())) {
        return MakeError(Errc::kInvalidValue, name + " must be a lowercase UUID");
      }
      return {};
    }
  }
  return {};
}

}  // namespace

bool ContainsNikLikeRun(std::string_view text) {
  int run = 0;
  for (char c : text) {
    run = (c >= '0' && c <= '9') ? run + 1 : 0;
    if (run >= 16) return true;
  }
  return false;
}

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
    MPP_RETURN_IF_ERROR(CheckField(spec, value));
    out[std::string(spec.name)] = std::move(value);
  }
  return out;
}

}  // namespace mpp::store
