// libFuzzer target: the sync batch decoder (body decoding with and without zstd, push and pull
// messages, changes). Whatever it accepts must encode again to something it accepts equally:
// decode(encode(decode(x))) == decode(x).
#include <cstdlib>
#include <string>

#include "sync/core/compress.h"
#include "sync/protocol/messages.h"

using namespace mpp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool zstd = data[0] & 1;
  // The raw bytes go to the zstd decoder as they are, and compressed, so that the JSON parser
  // behind it is reached too.
  (void)protocol::DecodeBody(body, "zstd");
  auto j = protocol::DecodeBody(zstd ? ZstdCompress(body) : std::string(body), zstd ? "zstd" : "");
  if (!j) return 0;
  if (auto push = protocol::PushRequestFromJson(*j)) {
    const Json again = protocol::ToJson(*push);
    auto back = protocol::PushRequestFromJson(again);
    if (!back || protocol::ToJson(*back) != again) std::abort();
  }
  if (auto pull = protocol::PullResponseFromJson(*j)) {
    const Json again = protocol::ToJson(*pull);
    auto back = protocol::PullResponseFromJson(again);
    if (!back || protocol::ToJson(*back) != again) std::abort();
  }
  if (auto c = ChangeFromJson(*j)) {
    const Json again = ChangeToJson(*c);
    auto back = ChangeFromJson(again);
    if (!back || ChangeToJson(*back) != again) std::abort();
  }
  return 0;
}
