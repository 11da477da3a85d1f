// zstd compression of sync bodies (Content-Encoding: zstd).
#pragma once

#include <string>
#include <string_view>

#include "sync/core/result.h"

namespace mpp {

std::string ZstdCompress(std::string_view data, int level = 3);
// kBodyTooLarge when the output would exceed `max_size` (a decompression bomb); kBadJson
// (the request is unreadable) when the input is not a zstd frame.
Result<std::string> ZstdDecompress(std::string_view data, size_t max_size);

}  // namespace mpp
