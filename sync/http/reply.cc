#include "sync/http/reply.h"

#include <exception>

#include "sync/core/log.h"
#include "sync/core/nik.h"

namespace mpp::http {

std::string ErrorBody(const Error& error, const Json& extra) {
  // Whatever a message quotes back (a code, a key, an id from the path), a NIK is not in it.
  Json inner = {{"code", ErrcName(error.code)}, {"message", MaskNikLikeNumbers(error.message)}};
  for (const auto& [k, v] : extra.items()) inner[k] = v;
  return DumpJson(Json{{"error", std::move(inner)}});
}

Response ErrorResponse(const Error& error, const Json& extra) {
  return {ErrcHttpStatus(error.code), "application/json", ErrorBody(error, extra), {}};
}

Response JsonResponse(const Json& body, int status) {
  return {status, "application/json", DumpJson(body), {}};
}

Response JsonResponse(const Result<Json>& result, int status) {
  return result ? JsonResponse(*result, status) : ErrorResponse(result.error());
}

Response Guard(const std::function<Response()>& handle, const char* what_was_not_done) {
  try {
    return handle();
  } catch (const std::exception& e) {
    // A bug, not bad input: answer 500 and keep serving. The message is ours, never the body.
    Log(LogLevel::kError, "handler_exception", {{"what", e.what()}});
    return ErrorResponse(
        MakeError(Errc::kInternal, std::string("internal error; ") + what_was_not_done));
  }
}

}  // namespace mpp::http
