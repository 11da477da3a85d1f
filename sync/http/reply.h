// The responses every handler builds: the one place an error becomes an HTTP status and the
// body {"error":{"code":"<name>","message":"..."}} (docs/api.md, docs/protocol.md).
#pragma once

#include <functional>

#include "sync/core/json.h"
#include "sync/core/result.h"
#include "sync/http/message.h"

namespace mpp::http {

// The error body, {"error":{"code":"<name>","message":"...", <extra fields>}}.
std::string ErrorBody(const Error& error, const Json& extra = Json::object());
// The error's HTTP status (sync/core/error.h) with its error body.
Response ErrorResponse(const Error& error, const Json& extra = Json::object());
// `body` as compact JSON with `status`.
Response JsonResponse(const Json& body, int status = 200);
// The value of a Result as 200 (or `status`), or its error.
Response JsonResponse(const Result<Json>& result, int status = 200);

// Runs `handle`; a C++ exception escaping it is a bug: logged, and answered 500
// internal_error with `what_was_not_done` ("nothing was stored") as the message.
Response Guard(const std::function<Response()>& handle, const char* what_was_not_done);

}  // namespace mpp::http
