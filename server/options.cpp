#include "options.h"

#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include "bangdan/event_parser.h"  // IsValidUtf8

namespace bangdan {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Parses all of `s` as a decimal unsigned integer; no sign, no spaces.
bool ParseUint(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

template <typename T>
bool ParseUintInRange(std::string_view s, uint64_t lo, uint64_t hi, T* out) {
  uint64_t v = 0;
  if (!ParseUint(s, &v) || v < lo || v > hi) return false;
  *out = static_cast<T>(v);
  return true;
}

Status Bad(std::string_view name, std::string_view value, std::string_view expected) {
  return Status::InvalidArgument("--" + std::string(name) + ": invalid value '" +
                                 std::string(value) + "' (expected " + std::string(expected) + ")");
}

// A token flag: the token, and whether it was given empty (ServerOptions::
// empty_tokens; the last setting counts, as for every flag).
Status SetToken(std::string_view name, std::string_view value, std::string* token, ServerOptions* o) {
  *token = std::string(value);
  std::erase(o->empty_tokens, name);
  if (value.empty()) o->empty_tokens.emplace_back(name);
  return Status::OK();
}

// One row per flag: its name, the placeholder and line shown by --help, and
// how its value is applied. --config, --help and --version are handled by
// ParseCommandLine itself and appear here for --help only.
struct Flag {
  std::string_view name;
  std::string_view arg;
  std::string_view help;
  Status (*apply)(std::string_view name, std::string_view v, ServerOptions* o);
};

// The longest duration any flag takes. The server's timers count
// nanoseconds in an int64 (std::chrono::steady_clock), which holds 292 years:
// a longer setting wraps round into the past, and its timer fires at once
// (--send-timeout 200000d closed every ingest connection as it opened). A
// year is far more than any of these settings means.
constexpr int64_t kMaxDurationMs = int64_t{365} * 86'400'000;

Status Duration(std::string_view n, std::string_view v, int64_t* out, int64_t min_ms) {
  int64_t ms = 0;
  if (!ParseDurationMs(v, &ms) || ms < min_ms || ms > kMaxDurationMs) {
    return Bad(n, v, "a duration from " + std::to_string(min_ms) + "ms to 365d such as 250ms, 30s, 2m, 1h");
  }
  *out = ms;
  return Status::OK();
}

const Flag kFlags[] = {
    {"listen", "HOST:PORT", "address to serve on (default 127.0.0.1:8080; port 0 picks a free port)",
     [](auto n, auto v, auto* o) {
       return ParseListen(v, &o->listen_host, &o->listen_port) ? Status::OK()
                                                                 : Bad(n, v, "HOST:PORT");
     }},
    {"data-dir", "DIR", "directory of the log and snapshots (default ./bangdan-data)",
     [](auto n, auto v, auto* o) {
       if (v.empty()) return Bad(n, v, "a directory");
       o->data_dir = std::string(v);
       return Status::OK();
     }},
    {"threads", "N", "I/O threads (default: the number of cores)",
     [](auto n, auto v, auto* o) {
       return ParseUintInRange(v, 1, 1024, &o->threads) ? Status::OK() : Bad(n, v, "1 to 1024");
     }},
    {"fsync", "always|none", "always: ack after fsync (default); none: ack after write()",
     [](auto n, auto v, auto* o) {
       if (v == "always") o->fsync = FsyncMode::kAlways;
       else if (v == "none") o->fsync = FsyncMode::kNone;
       else return Bad(n, v, "always or none");
       return Status::OK();
     }},
    {"wal", "on|off", "on: log every event (default); off: NO LOG, acks are not durable"
                      " (a crash loses all since the last snapshot): for benchmarks only",
     [](auto n, auto v, auto* o) {
       if (v == "on") o->wal = true;
       else if (v == "off") o->wal = false;
       else return Bad(n, v, "on or off");
       return Status::OK();
     }},
    {"snapshot-interval", "DURATION", "time between snapshots (default 60s)",
     [](auto n, auto v, auto* o) { return Duration(n, v, &o->snapshot_interval_ms, 1); }},
    {"dedup-window", "DURATION", "how long an accepted id is remembered (default 1h)",
     [](auto n, auto v, auto* o) { return Duration(n, v, &o->dedup_window_ms, 0); }},
    {"dedup-max", "N", "most ids remembered (default 50000000)",
     [](auto n, auto v, auto* o) {
       // The window's set names a seq by its low 32 bits (engine/src/dedup.h).
       return ParseUintInRange(v, 0, uint64_t{1} << 31, &o->dedup_max)
                  ? Status::OK()
                  : Bad(n, v, "a count from 0 to 2147483648");
     }},
    {"tz", "+HH:MM", "time zone of the day window (default +08:00)",
     [](auto n, auto v, auto* o) {
       return ParseTzOffset(v, &o->tz_offset_minutes) ? Status::OK() : Bad(n, v, "+HH:MM or -HH:MM");
     }},
    {"keep-days", "N", "days kept before today for day:YYYY-MM-DD (default 7)",
     [](auto n, auto v, auto* o) {
       return ParseUintInRange(v, 0, 3660, &o->keep_days) ? Status::OK() : Bad(n, v, "0 to 3660");
     }},
    {"max-frame-bytes", "SIZE", "largest ingest frame or HTTP body (default 4MiB)",
     [](auto n, auto v, auto* o) {
       uint64_t b = 0;
       if (!ParseSizeBytes(v, &b) || b < 64 || b > (uint64_t{1} << 30))
         return Bad(n, v, "a size from 64 bytes to 1GiB such as 4MiB");
       o->max_frame_bytes = b;
       return Status::OK();
     }},
    {"max-batch", "N", "most events in one frame (default 10000)",
     [](auto n, auto v, auto* o) {
       return ParseUintInRange(v, 1, 10'000'000, &o->max_batch) ? Status::OK()
                                                                : Bad(n, v, "1 to 10000000");
     }},
    {"push-interval", "DURATION", "least time between two updates of a view (default 100ms)",
     [](auto n, auto v, auto* o) { return Duration(n, v, &o->push_interval_ms, 1); }},
    {"send-timeout", "DURATION", "a client that accepts nothing this long is closed (default 30s)",
     [](auto n, auto v, auto* o) { return Duration(n, v, &o->send_timeout_ms, 1); }},
    {"max-subscriptions", "N", "most subscriptions per stream connection (default 128)",
     [](auto n, auto v, auto* o) {
       return ParseUintInRange(v, 1, 1'000'000, &o->max_subscriptions) ? Status::OK()
                                                                       : Bad(n, v, "1 to 1000000");
     }},
    {"max-connections", "N", "connections served at once; more are refused with 503 (default 10000)",
     [](auto n, auto v, auto* o) {
       return ParseUintInRange(v, 1, 10'000'000, &o->max_connections) ? Status::OK()
                                                                      : Bad(n, v, "1 to 10000000");
     }},
    {"max-csv-downloads", "N", "whole-board CSV downloads answered at once; more get 503 with"
                               " Retry-After (1 to 64, default 2)",
     [](auto n, auto v, auto* o) {
       return ParseUintInRange(v, 1, 64, &o->max_csv_downloads) ? Status::OK() : Bad(n, v, "1 to 64");
     }},
    {"max-views", "N", "distinct /v1/stream views over all connections; a subscribe that would"
                       " add one more gets an error (1 to 10000000, default 10000)",
     [](auto n, auto v, auto* o) {
       return ParseUintInRange(v, 1, 10'000'000, &o->max_views) ? Status::OK() : Bad(n, v, "1 to 10000000");
     }},
    {"stream-nice", "N", "niceness of the /v1/stream threads above the rest of the server: when"
                         " the cores are full, producers go first (0 to 19, default 19)",
     [](auto n, auto v, auto* o) {
       return ParseUintInRange(v, 0, 19, &o->stream_nice) ? Status::OK() : Bad(n, v, "0 to 19");
     }},
    {"ingest-token", "TOKEN", "bearer token required by /v1/ingest and POST /v1/events",
     [](auto n, auto v, auto* o) { return SetToken(n, v, &o->ingest_token, o); }},
    {"read-token", "TOKEN", "bearer token required by /v1/boards, /v1/totals, /v1/stream, /metrics",
     [](auto n, auto v, auto* o) { return SetToken(n, v, &o->read_token, o); }},
    {"admin-token", "TOKEN", "bearer token required by /v1/admin/* (unset: refused with 403)",
     [](auto n, auto v, auto* o) { return SetToken(n, v, &o->admin_token, o); }},
    {"allowed-origins", "LIST", "comma-separated browser Origins allowed to send events and to"
                                " subscribe; * for any (default: events from the same origin when"
                                " reached by IP address, localhost or a listed host, subscriptions"
                                " from any; a request without Origin, or with the token its path"
                                " needs, always)",
     [](auto n, auto v, auto* o) {
       o->allowed_origins.clear();
       std::string_view rest = v;
       while (!rest.empty()) {
         size_t comma = rest.find(',');
         std::string_view item = Trim(rest.substr(0, comma));
         if (item.empty()) return Bad(n, v, "a comma-separated list of origins");
         o->allowed_origins.emplace_back(item);
         rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
       }
       return Status::OK();
     }},
    {"title", "TEXT", "campaign title shown by the dashboard: UTF-8, at most 200 bytes (default 榜单)",
     [](auto n, auto v, auto* o) {
       // The page that shows it says charset=utf-8, and a title is a line, not
       // a text. Neither message repeats the value: its bytes may not print.
       if (!IsValidUtf8(v)) return Status::InvalidArgument("--" + std::string(n) + ": not valid UTF-8");
       if (v.size() > 200) {
         return Status::InvalidArgument("--" + std::string(n) + ": " + std::to_string(v.size()) +
                                        " bytes, at most 200");
       }
       o->title = std::string(v);
       return Status::OK();
     }},
    {"log-level", "LEVEL", "debug, info (default), warn or error",
     [](auto n, auto v, auto* o) {
       // Either case: the log writes its words in capitals (INFO), users may too.
       if (EqualsIgnoreCase(v, "debug")) o->log_level = LogLevel::kDebug;
       else if (EqualsIgnoreCase(v, "info")) o->log_level = LogLevel::kInfo;
       else if (EqualsIgnoreCase(v, "warn")) o->log_level = LogLevel::kWarn;
       else if (EqualsIgnoreCase(v, "error")) o->log_level = LogLevel::kError;
       else return Bad(n, v, "debug, info, warn or error");
       return Status::OK();
     }},
};

const Flag* FindFlag(std::string_view name) {
  for (const Flag& f : kFlags)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace

namespace {

// "<digits><unit>": the number and the rest, false without digits or on overflow.
bool SplitNumberAndUnit(std::string_view text, uint64_t* n, std::string_view* unit) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || !ParseUint(text.substr(0, digits), n)) return false;
  *unit = text.substr(digits);
  return true;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool ParseDurationMs(std::string_view text, int64_t* ms) {
  uint64_t n = 0;
  std::string_view unit;
  if (!SplitNumberAndUnit(text, &n, &unit)) return false;
  uint64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else if (unit == "d") scale = 86'400'000;
  else return false;
  if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / scale) return false;
  *ms = static_cast<int64_t>(n * scale);
  return true;
}

bool ParseSizeBytes(std::string_view text, uint64_t* bytes) {
  uint64_t n = 0;
  std::string_view unit;
  if (!SplitNumberAndUnit(text, &n, &unit)) return false;
  uint64_t scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "KiB") scale = uint64_t{1} << 10;
  else if (unit == "MiB") scale = uint64_t{1} << 20;
  else if (unit == "GiB") scale = uint64_t{1} << 30;
  else return false;
  if (n > std::numeric_limits<uint64_t>::max() / scale) return false;
  *bytes = n * scale;
  return true;
}

bool ParseTzOffset(std::string_view text, int32_t* minutes) {
  if (text == "Z" || text == "UTC") {
    *minutes = 0;
    return true;
  }
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') return false;
  uint64_t h = 0, m = 0;
  if (!ParseUint(text.substr(1, 2), &h) || !ParseUint(text.substr(4, 2), &m)) return false;
  if (h > 14 || m > 59) return false;
  int32_t v = static_cast<int32_t>(h * 60 + m);
  *minutes = text[0] == '-' ? -v : v;
  return true;
}

bool ParseListen(std::string_view text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  else if (h.find(':') != std::string_view::npos) return false;  // IPv6 needs brackets
  if (h.empty()) return false;
  uint16_t p = 0;
  if (!ParseUintInRange(text.substr(colon + 1), 0, 65535, &p)) return false;
  *host = std::string(h);
  *port = p;
  return true;
}

Status ApplyOption(std::string_view name, std::string_view value, ServerOptions* out) {
  const Flag* f = FindFlag(name);
  if (f == nullptr) return Status::InvalidArgument("unknown flag --" + std::string(name));
  return f->apply(name, value, out);
}

Status ApplyConfigText(std::string_view text, std::string_view origin, ServerOptions* out) {
  // Editors on some systems start a UTF-8 file with a byte-order mark.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    std::string_view t = Trim(line);
    if (t.empty() || t.front() == '#') continue;
    std::string where = std::string(origin) + ":" + std::to_string(line_no) + ": ";
    size_t eq = t.find('=');
    if (eq == std::string_view::npos)
      return Status::InvalidArgument(where + "expected 'name = value', got '" + std::string(t) + "'");
    std::string_view name = Trim(t.substr(0, eq));
    std::string_view value = Trim(t.substr(eq + 1));
    if (name == "config" || name == "help" || name == "version")
      return Status::InvalidArgument(where + "--" + std::string(name) + " is not allowed in a config file");
    Status s = ApplyOption(name, value, out);
    if (!s.ok()) return Status::InvalidArgument(where + s.message());
  }
  return Status::OK();
}

Status ParseCommandLine(int argc, const char* const* argv, ServerOptions* out, Action* action) {
  *action = Action::kRun;
  // Collected first so that the config file can be applied before the flags
  // that override it, wherever --config appears.
  std::vector<std::pair<std::string, std::string>> given;
  std::string config;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() < 3 || arg.substr(0, 2) != "--")
      return Status::InvalidArgument("unexpected argument '" + std::string(arg) + "' (flags start with --)");
    arg.remove_prefix(2);
    std::string name, value;
    size_t eq = arg.find('=');
    bool inline_value = eq != std::string_view::npos;
    name = std::string(arg.substr(0, eq));
    if (name == "help" || name == "version") {
      if (inline_value) return Status::InvalidArgument("--" + name + " takes no value");
      *action = name == "help" ? Action::kHelp : Action::kVersion;
      return Status::OK();
    }
    if (name != "config" && FindFlag(name) == nullptr)
      return Status::InvalidArgument("unknown flag --" + name);
    if (inline_value) {
      value = std::string(arg.substr(eq + 1));
    } else {
      if (i + 1 >= argc) return Status::InvalidArgument("--" + name + " needs a value");
      value = argv[++i];
    }
    if (name == "config") config = value;
    else given.emplace_back(std::move(name), std::move(value));
  }
  if (!config.empty()) {
    std::ifstream in(config, std::ios::binary);
    if (!in) return Status::InvalidArgument("--config: cannot read '" + config + "'");
    std::stringstream text;
    text << in.rdbuf();
    Status s = ApplyConfigText(text.str(), config, out);
    if (!s.ok()) return s;
    out->config_file = config;
  }
  for (const auto& [name, value] : given) {
    Status s = ApplyOption(name, value, out);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

std::string HelpText() {
  std::string t =
      "Usage: bangdan-server [--flag value | --flag=value]...\n"
      "A real-time leaderboard server. Every flag can also be set in the file\n"
      "given by --config as a line 'name = value' (command-line flags win).\n\n";
  auto line = [&t](std::string_view name, std::string_view arg, std::string_view help) {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on " " + std::string.
    std::string left = "  --";
    left.append(name);
    if (!arg.empty()) left.append(" ").append(arg);
    if (left.size() < 32) left.resize(32, ' ');
    else left.append("\n").append(32, ' ');
    t += left + std::string(help) + "\n";
  };
  for (const Flag& f : kFlags) line(f.name, f.arg, f.help);
  line("config", "FILE", "read settings from FILE");
  line("help", "", "print this text and exit");
  line("version", "", "print the version and exit");
  return t;
}

}  // namespace bangdan
