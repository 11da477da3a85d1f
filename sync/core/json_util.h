// JSON parsing with limits, and small encoding helpers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sync/core/result.h"

namespace mpp {

using Json = nlohmann::json;

constexpr int kMaxJsonDepth = 16;

// Parses `text` as one JSON value. Nesting deeper than `max_depth` is refused before the
// parser runs (so hostile input cannot exhaust the stack). kBadJson with the position of the
// first error otherwise. Never throws.
Result<Json> ParseJson(std::string_view text, int max_depth = kMaxJsonDepth);

std::string HexEncode(std::string_view bytes);
// kInvalidValue on an odd length or a non-hex digit.
Result<std::string> HexDecode(std::string_view hex);

}  // namespace mpp

namespace mpp {
// {"error":{"code":"<name>","message":"..."}}: the one error body every endpoint returns.
std::string ErrorJson(const Error& error);
// Serialises `j` compactly. A string that is not valid UTF-8 (say, a message that cut a name
// in the middle of a character) gets U+FFFD in place of the bad bytes instead of throwing.
std::string DumpJson(const Json& j);
}  // namespace mpp

namespace mpp {
// SHA-256 of `data` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);
}  // namespace mpp
