// JSON values (nlohmann::json), parsed with limits and serialised without throwing.
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

// Serialises `j` compactly. A string that is not valid UTF-8 (say, a message that cut a name
// in the middle of a character) gets U+FFFD in place of the bad bytes instead of throwing.
std::string DumpJson(const Json& j);

}  // namespace mpp
