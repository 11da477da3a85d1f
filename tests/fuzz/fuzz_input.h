// Turns fuzzer bytes into an HTTP request, for the router targets. The format is what a person
// would write by hand, so the seed corpus is readable:
//   <peer byte> METHOD SP TARGET LF (name: value LF)* LF body
// The first byte picks the verified certificate the request arrives with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sync/http/message.h"

namespace mpp::fuzz {

inline http::Request RequestFromBytes(const uint8_t* data, size_t size) {
  http::Request r;
  if (size == 0) return r;
  static const char* const kPeers[] = {"mpp:site:MPP7301", "mpp:site:MPP7302", "mpp:role:operator",
                                       "mpp:role:ministry", ""};
  const std::string peer = kPeers[data[0] % 5];
  if (!peer.empty()) r.peer_uris = {peer};
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  auto line = [&in]() {
    const size_t nl = in.find('\n');
    std::string_view l = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    return l;
  };
  std::string_view first = line();
  const size_t sp = first.find(' ');
  r.method = std::string(first.substr(0, sp));
  r.target = sp == std::string_view::npos ? "/" : std::string(first.substr(sp + 1));
  for (std::string_view h = line(); !h.empty(); h = line()) {
    const size_t colon = h.find(':');
    std::string name(h.substr(0, colon));
    std::string value(colon == std::string_view::npos ? "" : h.substr(colon + 1));
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (name == "content-type") {
      r.content_type = value;
    } else {
      r.headers.emplace_back(std::move(name), std::move(value));
    }
  }
  r.body = std::string(in);
  return r;
}

}  // namespace mpp::fuzz
