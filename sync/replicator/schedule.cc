#include "sync/replicator/schedule.h"

#include <algorithm>
#include <cstdio>

namespace mpp::replicator {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kDay = 24 * 60 * kMinute;

}  // namespace

Result<SyncWindow> SyncWindow::Parse(const std::string& text) {
  int h1 = -1, m1 = -1, h2 = -1, m2 = -1;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%2d:%2d-%2d:%2d%c", &h1, &m1, &h2, &m2, &tail) != 4 || h1 < 0 ||
      h1 > 23 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59 ||
      (h2 == 24 && m2 != 0) || text.size() != 11) {
    return MakeError(Errc::kConfig,
                     "a sync window is HH:MM-HH:MM in the site's local time (e.g. 17:00-07:30), "
                     "not '" +
                         text.substr(0, 32) + "'");
  }
  SyncWindow w{h1 * 60 + m1, h2 * 60 + m2};
  if (w.from_minute == w.to_minute) {
    return MakeError(Errc::kConfig, "the sync window " + text + " is empty");
  }
  return w;
}

bool SyncWindow::Contains(int minute) const {
  return from_minute < to_minute ? minute >= from_minute && minute < to_minute
                                 : minute >= from_minute || minute < to_minute;
}

int64_t SyncSchedule::Jitter(int64_t range) {
  if (range <= 0) return 0;
  return static_cast<int64_t>(random_.Next() % static_cast<uint64_t>(range + 1));
}

int64_t SyncSchedule::IntoWindow(int64_t t) const {
  if (!o_.window) return t;
  const int64_t local = t + o_.tz_offset_minutes * kMinute;
  const int64_t day_start = local - ((local % kDay) + kDay) % kDay;
  const int minute = static_cast<int>((local - day_start) / kMinute);
  if (o_.window->Contains(minute)) return t;
  // The window's next start, today or tomorrow (local), back in UTC.
  int64_t start = day_start + o_.window->from_minute * kMinute;
  if (start <= local) start += kDay;
  return start - o_.tz_offset_minutes * kMinute;
}

int64_t SyncSchedule::First(int64_t now_ms) {
  failures_ = 0;
  return IntoWindow(now_ms + Jitter(o_.every_ms / 10));
}

int64_t SyncSchedule::AfterSuccess(int64_t now_ms) {
  failures_ = 0;
  const int64_t spread = o_.every_ms / 10;
  return IntoWindow(now_ms + o_.every_ms - spread + Jitter(2 * spread));
}

int64_t SyncSchedule::AfterFailure(int64_t now_ms, int64_t retry_after_ms) {
  ++failures_;
  // every_ms, 2x, 4x, ... up to the cap; full jitter below it (AWS's "full jitter").
  int64_t ceiling = o_.every_ms;
  for (int i = 1; i < failures_ && ceiling < o_.max_backoff_ms; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, std::max(o_.max_backoff_ms, o_.every_ms));
  const int64_t wait = std::max(Jitter(ceiling), std::min<int64_t>(1000, ceiling));
  return IntoWindow(now_ms + std::max(wait, retry_after_ms));
}

}  // namespace mpp::replicator
