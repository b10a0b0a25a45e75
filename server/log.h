// Log: one line per event of interest on stderr, each with a UTC timestamp
// and a level word (SPEC §9):
//   2026-11-23T10:00:00.123Z INFO listening on 127.0.0.1:8080
// Nothing is logged per request at the default level. Tokens are never
// passed here.
//
// Thread safety: every function may be called from any thread; a line is
// written with one write() so that lines of different threads do not mix.
#pragma once

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

}  // namespace bangdan
