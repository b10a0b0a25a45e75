// Log: one line per event of interest on stderr, each with a UTC timestamp
// and a level word (SPEC §9):
//   2026-11-23T10:00:00.123Z INFO listening on 127.0.0.1:8080
// Nothing is logged per request at the default level. Tokens are never
// passed here.
//
// Thread safety: every function may be called from any thread; a line is
// written with one write() so that lines of different threads do not mix.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "options.h"

namespace bangdan {

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, std::string_view message);
// Written whatever the level: the few lines that supervisors and scripts read
// (`listening on HOST:PORT`, which is how a server on port 0 tells its port).
void LogAlways(LogLevel level, std::string_view message);

inline void LogDebug(std::string_view m) { Log(LogLevel::kDebug, m); }
inline void LogInfo(std::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarn(std::string_view m) { Log(LogLevel::kWarn, m); }
inline void LogError(std::string_view m) { Log(LogLevel::kError, m); }

// For a failure that may repeat many times a second (accepts without
// descriptors, log writes on a full disk): counts them and says when one is
// worth a line — the first, then at most one per kEvery, which tells how
// many there were since the last. Not thread-safe: one per thread or strand.
class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration kEvery = std::chrono::seconds(10);

  // Counts one failure at `now`. When a line is due, returns how many
  // failures there were since the last line, this one included; else 0.
  uint64_t Note(Clock::time_point now);
  // Failures counted since the last line said so (0 after Reset).
  uint64_t held_back() const { return failures_; }
  // The failures are over: the next one is logged at once.
  void Reset() { *this = LogThrottle(); }

 private:
  bool logged_ = false;
  Clock::time_point last_line_{};
  uint64_t failures_ = 0;
};

}  // namespace bangdan
