// Splitting a request target into path segments and query parameters.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sync/core/result.h"

namespace mpp {

struct Target {
  std::vector<std::string> segments;         // "/api/v1/x" → {"api", "v1", "x"}
  std::map<std::string, std::string> query;  // decoded; a repeated key keeps the last value
};

// Percent-decodes path segments and query keys and values ('+' is a space in the query).
// kInvalidValue for a malformed escape.
Result<Target> ParseTarget(std::string_view target);

}  // namespace mpp
