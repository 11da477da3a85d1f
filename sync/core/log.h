// Structured logs: one line per event on stderr,
//   ts=2026-11-20T00:12:44.123Z level=info event=http method=POST path=/api/v1/payments status=201
// Values with spaces or quotes are quoted. Never log request bodies, NIKs, names or keys.
// Thread-safe (one write per line).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace mpp {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogField = std::pair<std::string_view, std::string>;

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
// Events below `level` are dropped. Default kInfo.
void SetLogLevel(LogLevel level);

}  // namespace mpp
