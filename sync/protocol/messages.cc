#include "sync/protocol/messages.h"

#include <charconv>

#include "sync/core/compress.h"

namespace mpp::protocol {
namespace {

Result<std::vector<Change>> ChangesFromJson(const Json& j, bool need_origin) {
  if (!j.is_array()) return MakeError(Errc::kInvalidType, "'changes' must be an array");
  if (j.size() > kMaxBatchChanges) {
    return MakeError(Errc::kBodyTooLarge,
                     "a batch holds at most " + std::to_string(kMaxBatchChanges) + " changes");
  }
  std::vector<Change> out;
  out.reserve(j.size());
  for (const Json& c : j) {
    MPP_ASSIGN_OR_RETURN(auto change, ChangeFromJson(c));
    if (need_origin && change.origin.empty()) {
      return MakeError(Errc::kInvalidValue, "malformed change: 'origin' is missing");
    }
    out.push_back(std::move(change));
  }
  return out;
}

Json ChangesToJson(const std::vector<Change>& changes, bool with_origin) {
  Json arr = Json::array();
  for (const Change& c : changes) {
    Json j = ChangeToJson(c);
    if (!with_origin) j.erase("origin");
    arr.push_back(std::move(j));
  }
  return arr;
}

Result<int64_t> IntField(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer()) {
    return MakeError(Errc::kInvalidType, std::string("'") + name + "' must be an integer");
  }
  return it->get<int64_t>();
}

}  // namespace

Json ToJson(const PushRequest& r) {
  // The origin is not sent: the centre takes it from the site's certificate.
  return {
      {"site", r.site}, {"first_seq", r.first_seq}, {"changes", ChangesToJson(r.changes, false)}};
}

Result<PushRequest> PushRequestFromJson(const Json& j) {
  if (!j.is_object()) return MakeError(Errc::kInvalidType, "push body must be an object");
  for (const auto& [k, _] : j.items()) {
    if (k != "site" && k != "first_seq" && k != "changes") {
      return MakeError(Errc::kUnknownField, "unknown field '" + k.substr(0, 64) + "' in push");
    }
  }
  PushRequest r;
  if (!j.contains("site") || !j["site"].is_string()) {
    return MakeError(Errc::kMissingField, "push needs 'site'");
  }
  r.site = j["site"];
  MPP_ASSIGN_OR_RETURN(auto first, IntField(j, "first_seq"));
  r.first_seq = first;
  if (r.first_seq < 1) return MakeError(Errc::kOutOfRange, "'first_seq' must be at least 1");
  MPP_ASSIGN_OR_RETURN(auto changes, ChangesFromJson(j.value("changes", Json()), false));
  r.changes = std::move(changes);
  if (r.changes.empty()) return MakeError(Errc::kMissingField, "push needs at least one change");
  return r;
}

Json ToJson(const PushResponse& r) {
  return {{"acked_seq", r.acked_seq},   {"applied", r.applied},     {"duplicates", r.duplicates},
          {"kept_local", r.kept_local}, {"conflicts", r.conflicts}, {"quarantined", r.quarantined},
          {"refused", r.refused}};
}

Result<PushResponse> PushResponseFromJson(const Json& j) {
  PushResponse r;
  MPP_ASSIGN_OR_RETURN(auto acked, IntField(j, "acked_seq"));
  r.acked_seq = acked;
  r.applied = j.value("applied", 0);
  r.duplicates = j.value("duplicates", 0);
  r.kept_local = j.value("kept_local", 0);
  r.conflicts = j.value("conflicts", 0);
  r.quarantined = j.value("quarantined", 0);
  if (auto it = j.find("refused"); it != j.end() && it->is_array()) r.refused = *it;
  return r;
}

Json ToJson(const PullResponse& r) {
  Json j = {{"changes", ChangesToJson(r.changes, true)},
            {"next_cursor", std::to_string(r.next_cursor)},
            {"more", r.more}};
  if (r.site_acked_seq >= 0) j["acked_seq"] = r.site_acked_seq;
  return j;
}

Result<PullResponse> PullResponseFromJson(const Json& j) {
  if (!j.is_object()) return MakeError(Errc::kInvalidType, "pull body must be an object");
  PullResponse r;
  MPP_ASSIGN_OR_RETURN(auto changes, ChangesFromJson(j.value("changes", Json()), true));
  r.changes = std::move(changes);
  auto next = j.find("next_cursor");
  if (next == j.end() || !next->is_string()) {
    return MakeError(Errc::kInvalidType, "'next_cursor' must be a string");
  }
  const std::string& cursor = next->get_ref<const std::string&>();
  auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), r.next_cursor);
  if (ec != std::errc() || end != cursor.data() + cursor.size() || r.next_cursor < 0) {
    return MakeError(Errc::kInvalidValue, "'next_cursor' must be a whole number");
  }
  auto more = j.find("more");
  if (more != j.end() && !more->is_boolean()) {
    return MakeError(Errc::kInvalidType, "'more' must be true or false");
  }
  r.more = more != j.end() && more->get<bool>();
  if (auto acked = j.find("acked_seq"); acked != j.end()) {
    if (!acked->is_number_integer() || acked->get<int64_t>() < 0) {
      return MakeError(Errc::kInvalidType, "'acked_seq' must be a whole number");
    }
    r.site_acked_seq = acked->get<int64_t>();
  }
  return r;
}

std::string EncodeBody(const Json& j, bool compress) {
  const std::string text = DumpJson(j);
  return compress ? ZstdCompress(text) : text;
}

Result<Json> DecodeBody(std::string_view body, std::string_view content_encoding) {
  if (content_encoding.empty() || content_encoding == "identity") return ParseJson(body);
  if (content_encoding != "zstd") {
    return MakeError(Errc::kUnsupportedMediaType, "Content-Encoding must be zstd or none");
  }
  MPP_ASSIGN_OR_RETURN(auto raw, ZstdDecompress(body, kMaxSyncBody));
  return ParseJson(raw);
}

}  // namespace mpp::protocol
