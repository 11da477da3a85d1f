// Hexadecimal text for bytes, and SHA-256 digests as hex.
#pragma once

#include <string>
#include <string_view>

#include "sync/core/result.h"

namespace mpp {

// Lowercase hex of `bytes`.
std::string HexEncode(std::string_view bytes);
// kInvalidValue on an odd length or a non-hex digit.
Result<std::string> HexDecode(std::string_view hex);
// SHA-256 of `data` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace mpp
