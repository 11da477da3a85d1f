// Timestamps on the wire and in the database are RFC 3339 strings. We store UTC with a `Z`
// and whole seconds ("2026-11-20T00:12:44Z") so that text order is time order; input may
// carry any offset ("2026-11-20T08:12:44+08:00") and fractions, which are normalised.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sync/core/result.h"

namespace mpp {

// Unix milliseconds → "YYYY-MM-DDTHH:MM:SSZ" (truncated to the second).
std::string FormatUtc(int64_t unix_ms);
// Unix milliseconds → "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string FormatUtcMillis(int64_t unix_ms);
// RFC 3339 with an explicit offset or Z → Unix milliseconds; kInvalidValue otherwise.
Result<int64_t> ParseRfc3339(std::string_view text);
// The calendar date ("YYYY-MM-DD") at `unix_ms` in a zone `offset_minutes` east of UTC.
std::string LocalDate(int64_t unix_ms, int offset_minutes);
// Offset of an Indonesian zone name: WIB +420, WITA +480, WIT +540; -1 if unknown.
int IndonesianZoneOffsetMinutes(std::string_view zone);

}  // namespace mpp
