#include "sync/core/change.h"

#include <charconv>

namespace mpp {

Json ChangeToJson(const Change& c) {
  Json j = {{"seq", c.seq},       {"hlc", std::to_string(c.hlc)},
            {"origin", c.origin}, {"table", c.table},
            {"row", c.row_id},    {"op", c.op},
            {"data", c.data}};
  if (!c.base.empty()) j["base"] = c.base;
  return j;
}

Result<Change> ChangeFromJson(const Json& j) {
  auto bad = [](const std::string& why) {
    return MakeError(Errc::kInvalidValue, "malformed change: " + why);
  };
  if (!j.is_object()) return bad("not an object");
  Change c;
  auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_integer() || seq->get<int64_t>() < 1) {
    return bad("'seq' must be a positive integer");
  }
  c.seq = seq->get<int64_t>();
  auto hlc = j.find("hlc");
  if (hlc == j.end() || !hlc->is_string()) return bad("'hlc' must be a decimal string");
  const auto& h = hlc->get_ref<const std::string&>();
  auto [p, ec] = std::from_chars(h.data(), h.data() + h.size(), c.hlc);
  if (ec != std::errc() || p != h.data() + h.size() || c.hlc == 0)
    return bad("'hlc' is not a stamp");
  for (auto [name, out] :
       {std::pair{"table", &c.table}, std::pair{"row", &c.row_id}, std::pair{"op", &c.op}}) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
        it->get_ref<const std::string&>().size() > 64) {
      return bad(std::string("'") + name + "' must be a non-empty string");
    }
    *out = it->get<std::string>();
  }
  if (auto o = j.find("origin"); o != j.end()) {
    if (!o->is_string()) return bad("'origin' must be a string");
    c.origin = o->get<std::string>();
  }
  if (c.op != "insert" && c.op != "update") return bad("'op' must be insert or update");
  auto data = j.find("data");
  if (data == j.end() || !data->is_object() || data->empty())
    return bad("'data' must be an object");
  for (const auto& [k, v] : data->items()) {
    if (v.is_object() || v.is_array()) return bad("column '" + k + "' is not a scalar");
  }
  c.data = *data;
  if (auto b = j.find("base"); b != j.end()) {
    if (!b->is_object()) return bad("'base' must be an object");
    for (const auto& [k, v] : b->items()) {
      if (!v.is_array() || v.size() != 2 || !v[0].is_number_unsigned() || !v[1].is_string()) {
        return bad("'base." + k + "' must be [hlc, origin]");
      }
    }
    c.base = *b;
  }
  return c;
}

}  // namespace mpp
