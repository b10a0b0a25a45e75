#include "log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <utility>

namespace bangdan {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};

const char* LevelWord(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "INFO";
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= static_cast<int>(g_level.load(std::memory_order_relaxed));
}

void Log(LogLevel level, std::string_view message) {
  if (LogEnabled(level)) LogAlways(level, message);
}

void LogAlways(LogLevel level, std::string_view message) {
  auto now = std::chrono::system_clock::now();
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm utc;
  gmtime_r(&secs, &utc);
  char stamp[96];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  std::string line = stamp;
  line += LevelWord(level);
  line += ' ';
  // One event, one line: a message never breaks the line format.
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

uint64_t LogThrottle::Note(Clock::time_point now) {
  ++failures_;
  if (logged_ && now - last_line_ < kEvery) return 0;
  logged_ = true;
  last_line_ = now;
  return std::exchange(failures_, 0);
}

}  // namespace bangdan
