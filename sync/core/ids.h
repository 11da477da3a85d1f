// Globally unique row ids minted offline: UUIDv7 (RFC 9562), 48 bits of Unix milliseconds
// then 74 random bits, so ids from any site never collide and sort roughly by creation.
#pragma once

#include <string>
#include <string_view>

#include "sync/core/clock.h"

namespace mpp {

// "0193a5e2-7c4f-7d1a-9b3e-5f0c2a8e4d61": lowercase, 36 characters.
std::string NewUuidV7(Clock& clock, Random& random);

// True for the canonical lowercase 8-4-4-4-12 form (any version).
bool IsUuid(std::string_view s);

}  // namespace mpp
