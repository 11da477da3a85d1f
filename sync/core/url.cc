#include "sync/core/url.h"

namespace mpp {
namespace {

Result<std::string> Decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      if (i + 2 >= s.size()) return MakeError(Errc::kInvalidValue, "malformed %-escape in the URL");
      const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return MakeError(Errc::kInvalidValue, "malformed %-escape in the URL");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

Result<Target> ParseTarget(std::string_view target) {
  Target t;
  const size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) {
      MPP_ASSIGN_OR_RETURN(auto seg, Decode(path.substr(start, end - start), false));
      t.segments.push_back(std::move(seg));
    }
    start = end + 1;
  }
  if (q == std::string_view::npos) return t;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    MPP_ASSIGN_OR_RETURN(auto key, Decode(pair.substr(0, eq), true));
    MPP_ASSIGN_OR_RETURN(auto value,
                         Decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true));
    t.query[std::move(key)] = std::move(value);
  }
  return t;
}

}  // namespace mpp
