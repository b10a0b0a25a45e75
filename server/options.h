// ServerOptions: every setting of bangdan-server (SPEC §9), from the command
// line and an optional config file.
//
// Rules: `--name value` or `--name=value`; a config file (`--config FILE`)
// holds `name = value` lines with the flag names without dashes; a line whose
// first non-blank character is `#` is a comment, a `#` anywhere else belongs
// to the value; the command line wins over the file. Durations are written
// `250ms`, `30s`, `2m`, `1h`; sizes `4MiB`, `512KiB`, `1GiB` or plain bytes.
// Every error names the flag (and, for the file, the line) it is about.
//
// No networking here: the parsing is plain text in, values out, so that it is
// tested on its own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bangdan/status.h"
#include "bangdan/wal.h"  // FsyncMode

namespace bangdan {

enum class LogLevel : uint8_t { kDebug, kInfo, kWarn, kError };

struct ServerOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  std::string data_dir = "./bangdan-data";
  uint32_t threads = 0;  // 0 until resolved: the number of cores
  FsyncMode fsync = FsyncMode::kAlways;
  // false (--wal off): no log at all, for measurements only — every group is
  // "durable" at once and a crash loses what the last snapshot does not hold.
  bool wal = true;
  int64_t snapshot_interval_ms = 60'000;
  int64_t dedup_window_ms = 3'600'000;
  uint64_t dedup_max = 50'000'000;
  int32_t tz_offset_minutes = 8 * 60;
  int32_t keep_days = 7;
  uint64_t max_frame_bytes = 4ull << 20;
  uint32_t max_batch = 10'000;
  int64_t push_interval_ms = 100;
  int64_t send_timeout_ms = 30'000;
  uint32_t max_subscriptions = 128;
  uint32_t max_views = 10'000;  // distinct /v1/stream views over all connections
  uint32_t max_connections = 10'000;
  // Whole-board CSV downloads built or being sent at once: each holds its
  // board's text (tens of MB at a million rows) until its client has it.
  uint32_t max_csv_downloads = 2;
  // How much nicer (Linux nice) the /v1/stream threads run than the rest of
  // the server: when the cores are full, producers' frames, the engine and
  // the log go first, and dashboards get their updates less often.
  uint32_t stream_nice = 19;
  std::string ingest_token;  // empty: ingest is open
  std::string read_token;    // empty: reads are open
  std::string admin_token;   // empty: admin endpoints answer 403
  std::vector<std::string> allowed_origins;  // empty: see OriginAllowed; "*": any
  // Token flags given an empty value, which leaves what they guard open
  // (admin: refused): said at start-up, as a templated config's blank line
  // may not mean it.
  std::vector<std::string> empty_tokens;
  std::string title = "榜单";
  LogLevel log_level = LogLevel::kInfo;
  std::string config_file;
};

// What the command line asks for besides running.
enum class Action : uint8_t { kRun, kHelp, kVersion };

// Parses argv (argv[0] is skipped) and, if given, the --config file into
// *out. On error the Status message names the flag or the file and line.
Status ParseCommandLine(int argc, const char* const* argv, ServerOptions* out, Action* action);

// Applies one `name` (without dashes) = `value` setting. InvalidArgument
// naming the flag when the name is unknown or the value malformed.
Status ApplyOption(std::string_view name, std::string_view value, ServerOptions* out);

// Applies the text of a config file; `origin` (the file name) prefixes errors.
Status ApplyConfigText(std::string_view text, std::string_view origin, ServerOptions* out);

// "250ms", "30s", "2m", "1h" → milliseconds. A bare number is refused: the
// unit is what makes a duration readable.
bool ParseDurationMs(std::string_view text, int64_t* ms);
// "4MiB", "512KiB", "1GiB", "100B" or "4096" → bytes.
bool ParseSizeBytes(std::string_view text, uint64_t* bytes);
// "+08:00", "-05:30", "Z", "UTC" → minutes east of UTC.
bool ParseTzOffset(std::string_view text, int32_t* minutes);
// "HOST:PORT", "[::1]:PORT" → host (brackets removed) and port.
bool ParseListen(std::string_view text, std::string* host, uint16_t* port);

// ASCII letters compared without case (flag words, Origin and Host headers).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// The text printed by --help.
std::string HelpText();
inline constexpr std::string_view kVersion = "0.1.0";

}  // namespace bangdan
