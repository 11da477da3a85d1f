#include "sync/http/message.h"

namespace mpp::http {
namespace {

std::string Find(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace

std::string Request::Header(std::string_view name) const { return Find(headers, name); }
std::string_view Request::Path() const {
  return std::string_view(target).substr(0, target.find('?'));
}
std::string Response::Header(std::string_view name) const { return Find(headers, name); }

}  // namespace mpp::http
