// Globally unique row ids minted offline: UUIDv7 (RFC 9562), 48 bits of Unix milliseconds
// then 74 random bits, so ids from any site never collide and sort roughly by creation.
#pragma once

#include <string>
#include <string_view>

#include "sync/core/clock.h"

namespace mpp {

// "0193a5e2-7c4f-7d1a-9b3e-5f0c2a8e4d61": lowercase, 36 characters.
std::string NewUuidV7(Clock& clock, Random& random);

// The same id for the same name at every site and every time (UUIDv8 from SHA-256 of
// `name`): for rows a site makes by itself, such as its first counters, so that a site made
// anew names them as it did before.
std::string NameBasedUuid(std::string_view name);

// Every id a site mints ends in its tag: the first 8 hex digits of SHA-256 of its code. So an
// id another site minted cannot be saved here (the office refuses a client-minted id without
// this site's tag), and two sites never name two rows alike (a reused id wedged a site).
std::string SiteIdTag(std::string_view site_code);
// A UUIDv7 whose last 8 hex digits are `tag` (42 random bits remain per millisecond).
std::string NewSiteUuid(Clock& clock, Random& random, std::string_view tag);
bool HasSiteTag(std::string_view id, std::string_view tag);

// True for the canonical lowercase 8-4-4-4-12 form (any version).
bool IsUuid(std::string_view s);

}  // namespace mpp
