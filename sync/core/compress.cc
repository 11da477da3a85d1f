#include "sync/core/compress.h"

#include <zstd.h>

#include <memory>

namespace mpp {

std::string ZstdCompress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

Result<std::string> ZstdDecompress(std::string_view data, size_t max_size) {
  // A frame that declares its size says at once whether it is too large; one that does not
  // is cut off as soon as it expands past `max_size`, below.
  const unsigned long long declared = ZSTD_getFrameContentSize(data.data(), data.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR &&
      declared > max_size) {
    return MakeError(Errc::kBodyTooLarge,
                     "decompressed body is over " + std::to_string(max_size) + " bytes");
  }
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  std::string out;
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  char buf[64 * 1024];
  size_t ret = 1;
  while (in.pos < in.size || ret != 0) {
    ZSTD_outBuffer o{buf, sizeof buf, 0};
    ret = ZSTD_decompressStream(ctx.get(), &o, &in);
    if (ZSTD_isError(ret)) {
      return MakeError(Errc::kBadJson,
                       std::string("body is not valid zstd: ") + ZSTD_getErrorName(ret));
    }
    out.append(buf, o.pos);
    if (out.size() > max_size) {
      return MakeError(Errc::kBodyTooLarge,
                       "decompressed body is over " + std::to_string(max_size) + " bytes");
    }
    if (in.pos == in.size && o.pos < sizeof buf && ret != 0) {
      return MakeError(Errc::kBadJson, "zstd body is truncated");
    }
  }
  return out;
}

}  // namespace mpp
