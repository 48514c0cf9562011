// NewEventId, Now and FillEventDefaults (retrace/event.h): the defaults every
// append path gives an event, in one place.
#include <chrono>
#include <cstdint>
#include <random>
#include <string>

#include "retrace/event.h"

namespace retrace {

std::string NewEventId() {
  static const char kHex[] = "0123456789abcdef";
  std::random_device rd;  // the system's random source, not a seeded PRNG
  std::string id = "ev-";
  for (int word = 0; word < 4; ++word) {
    std::uint32_t v = rd();
    for (int k = 0; k < 8; ++k) id.push_back(kHex[(v >> (4 * k)) & 15]);
  }
  return id;
}

void FillEventDefaults(Event* event) {
  if (event->event_id.empty()) event->event_id = NewEventId();
  if (event->time.seconds == 0 && event->time.nanos == 0) event->time = Now();
}

Timestamp Now() noexcept {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return {static_cast<std::int64_t>(ns / 1000000000), static_cast<std::int32_t>(ns % 1000000000)};
}

}  // namespace retrace
