#include "node/common/https_transport.h"

#include <fstream>
#include <iterator>

#include "sync/core/json.h"

namespace mpp::common {

Status CheckCentral(const std::string& c) {
  if (c.find("://") != std::string::npos || c.rfind(':') == std::string::npos) {
    return MakeError(Errc::kConfig,
                     "--central is HOST:PORT (e.g. 10.20.0.5:8443), not a URL: '" + c + "'");
  }
  return {};
}

Result<SyncSettings> LoadSyncSettings(const std::string& data_dir,
                                      const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> s;
  const std::string path = data_dir + "/sync.json";
  if (std::ifstream in(path); in) {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto j = ParseJson(text);
    if (!j || !j->is_object()) {
      return MakeError(Errc::kConfig,
                       path + " is not a JSON object: move it away and run mppctl config");
    }
    for (const auto& [k, v] : j->items()) {
      if (v.is_string()) s[k] = v;
    }
  }
  for (const char* k : {"central", "cert", "key", "ca"}) {
    if (overrides.count(k)) s[k] = overrides.at(k);
    if (!s.count(k)) {
      return MakeError(Errc::kConfig, std::string("no --") + k + " given and none in " + path +
                                          " (set it with mppctl --data DIR config --" + k + ")");
    }
  }
  return SyncSettings{s["central"], {s["cert"], s["key"], s["ca"], data_dir + "/tls-session.pem"}};
}

}  // namespace mpp::common
