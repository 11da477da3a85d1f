#include "node/common/options.h"

#include <cstdlib>
#include <fstream>

#include "sync/core/json.h"
#include "sync/core/log.h"

namespace mpp::cli {

Result<Options> ParseOptions(int argc, char** argv, const std::set<std::string>& known) {
  Options flags;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      flags["help"] = "1";
      continue;
    }
    if (a.rfind("--", 0) != 0) return MakeError(Errc::kConfig, "unexpected argument " + a);
    const std::string key = a.substr(2);
    if (key != "config" && !known.count(key))
      return MakeError(Errc::kConfig, "unknown option " + a);
    if (i + 1 >= argc) return MakeError(Errc::kConfig, a + " needs a value");
    flags[key] = argv[++i];
  }
  Options out;
  if (auto c = flags.find("config"); c != flags.end()) {
    std::ifstream in(c->second);
    if (!in) return MakeError(Errc::kConfig, "cannot read config file " + c->second);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto j = ParseJson(text);
    if (!j || !j->is_object()) {
      return MakeError(Errc::kConfig, c->second + " must hold one JSON object");
    }
    for (const auto& [k, v] : j->items()) {
      std::string key = k;
      for (char& ch : key) ch = ch == '_' ? '-' : ch;
      if (!known.count(key))
        return MakeError(Errc::kConfig, c->second + ": unknown key '" + k + "'");
      out[key] = v.is_string() ? v.get<std::string>() : v.dump();
    }
    flags.erase(c);
  }
  for (auto& [k, v] : flags) out[k] = v;
  return out;
}

Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return MakeError(Errc::kConfig, "--listen must be HOST:PORT, e.g. 127.0.0.1:8443");
  }
  char* end = nullptr;
  const long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) {
    return MakeError(Errc::kConfig, "--listen port must be 0 to 65535");
  }
  return std::pair{listen.substr(0, colon), static_cast<uint16_t>(port)};
}

Status ApplyLogLevel(const std::string& level) {
  if (level == "debug") {
    SetLogLevel(LogLevel::kDebug);
  } else if (level == "info") {
    SetLogLevel(LogLevel::kInfo);
  } else if (level == "warn") {
    SetLogLevel(LogLevel::kWarn);
  } else if (level == "error") {
    SetLogLevel(LogLevel::kError);
  } else {
    return MakeError(Errc::kConfig, "--log-level must be debug, info, warn or error");
  }
  return {};
}

}  // namespace mpp::cli
