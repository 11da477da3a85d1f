// JSON values (nlohmann::json), parsed with limits and serialised without throwing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sync/core/result.h"

namespace mpp {

using Json = nlohmann::json;

constexpr int kMaxJsonDepth = 16;
// The most values (objects, arrays, strings, numbers, ...) one parsed text may hold. A parsed
// value costs 16-100 bytes of memory whatever its size in the text ("{}" is two bytes), so the
// byte limit alone does not bound what a parse costs: 8 MiB of "{}," would be 2.8 M objects.
// 200,000 is ten times a full sync batch (kMaxBatchChanges changes of ~20 values each).
constexpr size_t kMaxJsonValues = 200'000;

// Parses `text` as one JSON value. Nesting deeper than `max_depth` (kBadJson) and more than
// `max_values` values (kBodyTooLarge) are refused before the parser runs, in one pass that
// allocates nothing, so hostile input can exhaust neither the stack nor the memory. kBadJson
// with the position of the first error otherwise. Never throws.
Result<Json> ParseJson(std::string_view text, int max_depth = kMaxJsonDepth,
                       size_t max_values = kMaxJsonValues);

// Serialises `j` compactly. A string that is not valid UTF-8 (say, a message that cut a name
// in the middle of a character) gets U+FFFD in place of the bad bytes instead of throwing.
std::string DumpJson(const Json& j);

}  // namespace mpp
