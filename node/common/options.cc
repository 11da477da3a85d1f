#include "node/common/options.h"

#include <charconv>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <utility>

#include "sync/core/json.h"
#include "sync/core/log.h"

namespace mpp::common {

namespace {

// The value of a switch that is on. Assigned as a std::string, not as the literal: GCC 12 at
// -O2/-O3 reports a false -Wrestrict on assigning a one-character literal to a std::string
// (GCC bugs 105329, 105651).
std::string On() { return "1"; }

// Reads a --config file into `out`: each key must be a valued option (any JSON value; strings
// as they are, others as JSON text) or a switch (true or false).
Status ReadConfigFile(const std::string& path, const OptionSpec& spec, Options& out) {
  std::ifstream in(path);
  if (!in) return MakeError(Errc::kConfig, "cannot read config file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = ParseJson(text);
  if (!j || !j->is_object()) return MakeError(Errc::kConfig, path + " must hold one JSON object");
  for (const auto& [k, v] : j->items()) {
    std::string key = k;
    for (char& ch : key) ch = ch == '_' ? '-' : ch;
    if (spec.switches.count(key)) {
      if (!v.is_boolean()) {
        return MakeError(Errc::kConfig, path + ": '" + k + "' must be true or false");
      }
      if (v.get<bool>()) out.insert_or_assign(key, On());
    } else if (spec.valued.count(key)) {
      out.insert_or_assign(key, v.is_string() ? v.get<std::string>() : v.dump());
    } else {
      return MakeError(Errc::kConfig, path + ": unknown key '" + k + "'");
    }
  }
  return {};
}

}  // namespace

Result<CommandLine> ParseOptions(int argc, char** argv, const OptionSpec& spec) {
  CommandLine line;
  Options flags;
  std::optional<std::string> config_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      flags.insert_or_assign("help", On());
      continue;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (line.positional.size() >= spec.max_positional) {
        return MakeError(Errc::kConfig, "unexpected argument " + a);
      }
      line.positional.push_back(a);
      continue;
    }
    const std::string key = a.rfind("--", 0) == 0 ? a.substr(2) : "";
    const bool config = spec.config_file && key == "config";
    if (spec.switches.count(key)) {
      flags.insert_or_assign(key, On());
      continue;
    }
    if (!config && !spec.valued.count(key)) return MakeError(Errc::kConfig, "unknown option " + a);
    if (i + 1 >= argc) return MakeError(Errc::kConfig, a + " needs a value");
    if (config) {
      config_path = argv[++i];
    } else {
      flags.insert_or_assign(key, argv[++i]);
    }
  }
  if (config_path) {
    if (auto s = ReadConfigFile(*config_path, spec, line.options); !s) return s.error();
  }
  for (auto& [k, v] : flags) line.options.insert_or_assign(k, std::move(v));
  return line;
}

Result<Options> ParseOptions(int argc, char** argv, const std::set<std::string>& known) {
  OptionSpec spec;
  spec.valued = known;
  spec.config_file = true;
  MPP_ASSIGN_OR_RETURN(auto line, ParseOptions(argc, argv, spec));
  return std::move(line.options);
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
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // [::1]:8080
  }
  if (host == "localhost") host = "127.0.0.1";  // the name every user tries first
  return std::pair{host, static_cast<uint16_t>(port)};
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

Result<int64_t> WholeNumberFlag(const Options& options, const std::string& name, int64_t fallback,
                                int64_t min, int64_t max, const std::string& meaning) {
  auto it = options.find(name);
  if (it == options.end()) return fallback;
  int64_t v = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    return MakeError(Errc::kConfig, "--" + name + " must be a whole number from " +
                                        std::to_string(min) + " to " + std::to_string(max) +
                                        meaning + ", not '" + text.substr(0, 32) + "'");
  }
  return v;
}

Result<net::HttpServerOptions> ServerFlags(const Options& options,
                                           const std::string& default_listen) {
  auto value = [&](const char* key, const std::string& fallback) {
    auto it = options.find(key);
    return it == options.end() ? fallback : it->second;
  };
  MPP_ASSIGN_OR_RETURN(auto listen, ParseListen(value("listen", default_listen)));
  MPP_RETURN_IF_ERROR(ApplyLogLevel(value("log-level", "info")));
  MPP_ASSIGN_OR_RETURN(const int64_t workers, WholeNumberFlag(options, "workers", 4, 1, 64, ""));
  net::HttpServerOptions out;
  out.host = listen.first;
  out.port = listen.second;
  out.worker_threads = static_cast<int>(workers);
  MPP_ASSIGN_OR_RETURN(const int64_t max_all,
                       WholeNumberFlag(options, "max-connections", 0, 0, 1'000'000,
                                       " (0: the open-files limit less 64)"));
  MPP_ASSIGN_OR_RETURN(const int64_t max_one, WholeNumberFlag(options, "max-per-address", 64, 0,
                                                              1'000'000, " (0: no limit)"));
  out.max_connections = static_cast<size_t>(max_all);
  out.max_per_address = static_cast<size_t>(max_one);
  return out;
}

}  // namespace mpp::common
