#include "sync/core/json.h"

namespace mpp {

Result<Json> ParseJson(std::string_view text, int max_depth, size_t max_values) {
  int depth = 0;
  size_t values = 1;          // the root, one more after each ',' and the first in a container
  bool first_inside = false;  // just after a '[' or '{'
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (first_inside && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      first_inside = false;
      if (c != ']' && c != '}') ++values;
    }
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == ',') {
      ++values;
    } else if (c == '{' || c == '[') {
      first_inside = true;
      if (++depth > max_depth) {
        return MakeError(Errc::kBadJson,
                         "JSON is nested more than " + std::to_string(max_depth) + " levels deep");
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  if (values > max_values) {
    return MakeError(Errc::kBodyTooLarge, "body holds more than " + std::to_string(max_values) +
                                              " JSON values: send smaller batches");
  }
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return MakeError(Errc::kBadJson,
                     "body is not valid JSON (byte " + std::to_string(e.byte) +
                         "): send one JSON object with Content-Type application/json");
  } catch (const Json::exception&) {  // e.g. a number too large for a double (1e999)
    return MakeError(Errc::kBadJson,
                     "body holds a number out of range: send numbers a double can hold");
  }
}

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace mpp
