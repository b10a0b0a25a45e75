#include "options.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>

namespace bangdan::loadgen {
namespace {

// Numbers are parsed whole: "12x" or "" is an error, never a silent 12 or 0.
template <typename T>
bool ParseUnsigned(const std::string& s, T* out) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return false;
  if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
  *out = static_cast<T>(v);
  return true;
}

bool ParseDouble(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

// The words a boolean flag takes after '='.
bool ParseBool(const std::string& s, bool* out) {
  for (const char* word : {"true", "1", "yes", "on"}) {
    if (s == word) return *out = true, true;
  }
  for (const char* word : {"false", "0", "no", "off"}) {
    if (s == word) return *out = false, true;
  }
  return false;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The time zone exactly as bangdan-server's --tz takes it (ParseTzOffset in
// server/options.cpp), so that whatever one of the two programs accepts the
// other does too: "Z" or "UTC", or a sign, two digits of hours from 00 to 14,
// ':' and two digits of minutes from 00 to 59. *out gets the ±HH:MM form
// ("Z" and "UTC" become +00:00), the one form the day window (DayAt) reads.
bool ParseTz(const std::string& text, std::string* out) {
  if (text == "Z" || text == "UTC") {
    *out = "+00:00";
    return true;
  }
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') return false;
  if (!IsDigit(text[1]) || !IsDigit(text[2]) || !IsDigit(text[4]) || !IsDigit(text[5])) return false;
  int hours = (text[1] - '0') * 10 + (text[2] - '0');
  int minutes = (text[4] - '0') * 10 + (text[5] - '0');
  if (hours > 14 || minutes > 59) return false;
  *out = text;
  return true;
}

Status Bad(const std::string& flag, const std::string& value, const char* want) {
  return Status::InvalidArgument("--" + flag + ": '" + value + "' is not " + want);
}

using Setter = std::function<Status(const std::string& flag, const std::string& value, Options*)>;

template <typename T>
Setter UnsignedFlag(T Options::*field) {
  return [field](const std::string& f, const std::string& v, Options* o) {
    if (!ParseUnsigned(v, &(o->*field))) return Bad(f, v, "a non-negative integer in range");
    return Status::OK();
  };
}

Setter ShareFlag(double Options::*field) {
  return [field](const std::string& f, const std::string& v, Options* o) {
    double d;
    if (!ParseDouble(v, &d) || d < 0 || d > 0.5) return Bad(f, v, "a share from 0 to 0.5");
    o->*field = d;
    return Status::OK();
  };
}

Setter DurationFlag(double Options::*field) {
  return [field](const std::string& f, const std::string& v, Options* o) {
    Status s = ParseDurationSeconds(v, &(o->*field));
    return s.ok() ? s : Status::InvalidArgument("--" + f + ": " + s.message());
  };
}

Setter StringFlag(std::string Options::*field) {
  return [field](const std::string&, const std::string& v, Options* o) {
    o->*field = v;
    return Status::OK();
  };
}

// Flags that take a value: `--name value` or `--name=value`.
const std::map<std::string, Setter>& ValueFlags() {
  static const std::map<std::string, Setter> flags = {
      {"url", [](const std::string& f, const std::string& v, Options* o) {
         Status s = ParseUrl(v, &o->host, &o->port);
         return s.ok() ? s : Status::InvalidArgument("--" + f + ": " + s.message());
       }},
      {"host", StringFlag(&Options::host)},
      {"port", UnsignedFlag(&Options::port)},
      {"token", StringFlag(&Options::token)},
      {"read-token", StringFlag(&Options::read_token)},
      {"target", [](const std::string& f, const std::string& v, Options* o) {
         if (v == "bangdan") o->target = Target::kBangdan;
         else if (v == "redis") o->target = Target::kRedis;
         else return Bad(f, v, "'bangdan' or 'redis'");
         return Status::OK();
       }},
      {"redis-variant", [](const std::string& f, const std::string& v, Options* o) {
         if (v == "full") o->redis_lean = false;
         else if (v == "lean") o->redis_lean = true;
         else return Bad(f, v, "'full' or 'lean'");
         return Status::OK();
       }},
      {"cities", UnsignedFlag(&Options::cities)},
      {"firms", UnsignedFlag(&Options::firms)},
      {"teams", UnsignedFlag(&Options::teams)},
      {"users", UnsignedFlag(&Options::users)},
      {"products", UnsignedFlag(&Options::products)},
      {"zipf", [](const std::string& f, const std::string& v, Options* o) {
         if (!ParseDouble(v, &o->zipf) || o->zipf < 0 || o->zipf > 5) return Bad(f, v, "an exponent from 0 to 5");
         return Status::OK();
       }},
      {"seed", UnsignedFlag(&Options::seed)},
      {"refunds", ShareFlag(&Options::refunds)},
      {"duplicates", ShareFlag(&Options::duplicates)},
      {"id-prefix", StringFlag(&Options::id_prefix)},
      {"pool", UnsignedFlag(&Options::pool)},
      {"rate", UnsignedFlag(&Options::rate)},
      {"batch", UnsignedFlag(&Options::batch)},
      {"connections", UnsignedFlag(&Options::connections)},
      {"window", UnsignedFlag(&Options::window)},
      {"duration", DurationFlag(&Options::duration_s)},
      {"events", UnsignedFlag(&Options::events)},
      {"threads", UnsignedFlag(&Options::threads)},
      {"subscribers", UnsignedFlag(&Options::subscribers)},
      {"views", UnsignedFlag(&Options::views)},
      {"verify-scopes", UnsignedFlag(&Options::verify_scopes)},
      {"tz", [](const std::string& f, const std::string& v, Options* o) {
         return ParseTz(v, &o->tz) ? Status::OK() : Bad(f, v, "±HH:MM (hours 00 to 14, minutes 00 to 59), Z or UTC");
       }},
      {"progress-interval", DurationFlag(&Options::progress_interval_s)},
      {"report", [](const std::string& f, const std::string& v, Options* o) {
         // Empty is how Options says "no report"; given on purpose it is a mistake.
         if (v.empty()) return Status::InvalidArgument("--" + f + " needs a file name, or - for standard output");
         o->report = v;
         return Status::OK();
       }},
  };
  return flags;
}

// Flags that are true or false. Alone they mean true; a value comes only
// after '=' (--verify=no), never from the next argument, so `--verify false`
// stops at an unexpected 'false' rather than verifying.
struct BoolFlag {
  bool Options::*field;
  bool set_to;  // what the flag given alone (or =true) sets the field to
};

const std::map<std::string, BoolFlag>& BoolFlags() {
  static const std::map<std::string, BoolFlag> flags = {
      {"help", {&Options::help, true}},
      {"verify", {&Options::verify, true}},
      {"progress", {&Options::progress, true}},
      {"no-progress", {&Options::progress, false}},
  };
  return flags;
}

// The bounds of the numeric flags. The upper ones stop a mistyped number
// before it asks for more memory than a machine has (std::bad_alloc before
// the first frame). Measured costs: an entry of a campaign dimension (name,
// sampler entry, membership) ~44 bytes; a pre-built event ~260 bytes, ~600
// with --batch 1 and a 100-byte --id-prefix; a WebSocket connection 5-10 KB,
// plus the text of its current frame.
struct Bound {
  const char* flag;
  uint64_t value;
  uint64_t min;
  uint64_t max;
  const char* unit;  // after the limit in the message: "at most 10000 events per frame"
};

std::vector<Bound> Bounds(const Options& o) {
  constexpr uint64_t kDimension = 10'000'000;  // ~0.4 GB a dimension
  return {
      {"cities", o.cities, 1, kDimension, ""},
      {"firms", o.firms, 1, kDimension, ""},
      {"teams", o.teams, 1, kDimension, ""},
      // Further than the others: a log whose users hardly repeat needs tens of
      // millions (bench/RESULTS.md uses 50,000,000, ~2.2 GB).
      {"users", o.users, 1, 50'000'000, ""},
      {"products", o.products, 1, kDimension, ""},
      // ~5 GB at the default --batch, ~12 GB at the worst: the benchmarks
      // pre-build whole logs of up to 20,000,000 events (bench/durability).
      {"pool", o.pool, 0, 20'000'000, " events"},
      // A paced connection sends a frame every 1e9 * batch * connections / rate
      // nanoseconds: at least one.
      {"rate", o.rate, 0, 1'000'000'000, " events/s"},
      {"batch", o.batch, 1, 10'000, " events per frame (the server's --max-batch default)"},
      // One client address reaches one server port fewer than 64,000 times
      // anyway (the ports it can send from): these bounds only stop typos.
      {"connections", o.connections, 1, 100'000, ""},
      {"subscribers", o.subscribers, 0, 100'000, ""},  // ~1 GB
      {"window", o.window, 1, 1'000'000, " frames"},
      {"threads", o.threads, 1, 256, ""},
      {"views", o.views, 1, 100'000, ""},
      {"port", o.port, 1, 65'535, ""},
  };
}

}  // namespace

Status ParseUrl(const std::string& url, std::string* host, uint16_t* port) {
  auto bad = [&url](const std::string& why) { return Status::InvalidArgument("'" + url + "' " + why); };
  std::string rest = url;
  if (rest.rfind("ws://", 0) == 0) rest = rest.substr(5);
  else if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.find("://") != std::string::npos) return bad("is neither ws:// nor http://, the two spoken here");
  // A URL names the server only: the generator picks its paths itself
  // (/v1/ingest, /v1/stream, the queries of --verify).
  if (size_t tail = rest.find_first_of("/?#"); tail != std::string::npos) {
    if (rest.substr(tail) != "/") {
      return bad(std::string("has a ") + (rest[tail] == '/' ? "path" : "query") +
                 "; give only ws://HOST:PORT (the generator picks /v1/ingest and /v1/stream itself)");
    }
    rest.resize(tail);
  }
  std::string h, port_text;
  bool has_port = false;
  if (!rest.empty() && rest.front() == '[') {  // IPv6: ws://[::1]:8080
    size_t close = rest.find(']');
    if (close == std::string::npos) return bad("has a '[' without its ']'");
    h = rest.substr(1, close - 1);
    std::string after = rest.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad("has more than :PORT after ']'");
    has_port = !after.empty();
    if (has_port) port_text = after.substr(1);
  } else {
    size_t colon = rest.find(':');
    h = rest.substr(0, colon);
    has_port = colon != std::string::npos;
    if (has_port) port_text = rest.substr(colon + 1);
    if (port_text.find(':') != std::string::npos) {
      return bad("has more than one ':' (an IPv6 address goes in brackets: ws://[::1]:8080)");
    }
  }
  if (h.empty()) return bad("has no host");
  // No port: 80, the default of every ws:// and http:// URL.
  uint16_t p = 80;
  if (has_port && !ParseUnsigned(port_text, &p)) return bad("has a bad port");
  if (p == 0) {
    return Status::InvalidArgument("'" + url + "': port 0 is for a server to pick a free one; "
                                   "give the port the server listens on");
  }
  *host = h;
  *port = p;
  return Status::OK();
}

Status ParseDurationSeconds(const std::string& text, double* seconds) {
  static const std::pair<const char*, double> kUnits[] = {{"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
  for (const auto& [suffix, scale] : kUnits) {
    size_t n = std::strlen(suffix);
    if (text.size() > n && text.compare(text.size() - n, n, suffix) == 0) {
      double v;
      if (ParseDouble(text.substr(0, text.size() - n), &v) && v >= 0) {
        *seconds = v * scale;
        return Status::OK();
      }
      break;
    }
  }
  double v;
  if (ParseDouble(text, &v) && v >= 0) {
    *seconds = v;
    return Status::OK();
  }
  return Status::InvalidArgument("'" + text + "' is not a duration like 250ms, 30s, 2m or 1h");
}

Status ParseOptions(int argc, const char* const* argv, Options* out) {
  const auto& flags = ValueFlags();
  const auto& bool_flags = BoolFlags();
  bool duration_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return Status::InvalidArgument("unexpected argument '" + arg + "' (flags start with --)");
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (auto b = bool_flags.find(name); b != bool_flags.end()) {
      bool on = true;
      if (has_value && !ParseBool(value, &on)) return Bad(name, value, "true, false, 1, 0, yes, no, on or off");
      out->*(b->second.field) = on ? b->second.set_to : !b->second.set_to;
      continue;
    }
    auto it = flags.find(name);
    if (it == flags.end()) return Status::InvalidArgument("unknown flag --" + name + " (see --help)");
    if (!has_value) {
      if (i + 1 >= argc) return Status::InvalidArgument("--" + name + " needs a value");
      value = argv[++i];
    }
    Status s = it->second(name, value, out);
    if (!s.ok()) return s;
    if (name == "duration") duration_given = true;
  }
  // --events alone means "until N are sent", not "N or 10 s, whichever first".
  if (out->events > 0 && !duration_given) out->duration_s = 0;
  return out->help ? Status::OK() : CheckOptions(*out);
}

Status CheckOptions(const Options& o) {
  for (const Bound& b : Bounds(o)) {
    std::string flag = std::string("--") + b.flag;
    if (b.value < b.min) return Status::InvalidArgument(flag + " must be at least " + std::to_string(b.min));
    if (b.value > b.max) {
      return Status::InvalidArgument(flag + " " + std::to_string(b.value) + ": at most " + std::to_string(b.max) +
                                     b.unit);
    }
  }
  // Each connection holds the text of the frame it sends, ~250 bytes an
  // event: 10,000,000 events in frames at once is ~2.5 GB.
  if (uint64_t{o.connections} * o.batch > 10'000'000) {
    return Status::InvalidArgument("--connections times --batch: at most 10000000 events in frames at once (given " +
                                   std::to_string(o.connections) + " x " + std::to_string(o.batch) + ")");
  }
  if (o.host.empty()) return Status::InvalidArgument("--host needs a name or an address");
  if (o.duration_s == 0 && o.events == 0) return Status::InvalidArgument("--duration 0 needs --events N to know when to stop");
  // The deadline is counted in int64 nanoseconds (~292 years); a year is
  // longer than any run and far from there.
  if (!(o.duration_s >= 0 && o.duration_s <= 31'536'000)) {
    return Status::InvalidArgument("--duration: at most a year (31536000 s)");
  }
  if (!(o.progress_interval_s >= 0.001 && o.progress_interval_s <= 3600)) {
    return Status::InvalidArgument("--progress-interval: from 1ms to 1h");
  }
  std::string tz;
  if (!ParseTz(o.tz, &tz) || tz != o.tz) return Status::InvalidArgument("--tz: '" + o.tz + "' is not ±HH:MM");
  if (o.refunds + o.duplicates > 0.5) return Status::InvalidArgument("--refunds plus --duplicates must stay at most 0.5");
  if (o.id_prefix.size() > 100) return Status::InvalidArgument("--id-prefix: at most 100 bytes");
  for (char c : o.id_prefix) {
    bool plain = IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.';
    if (!plain) return Status::InvalidArgument("--id-prefix: only letters, digits, '-', '_' and '.'");
  }
  if (o.target == Target::kRedis && (o.verify || o.subscribers > 0)) {
    return Status::InvalidArgument("--target redis takes neither --verify nor --subscribers");
  }
  return Status::OK();
}

std::string Usage() {
  return R"(bangdan-loadgen: drives a bangdan server with generated purchase events.

Where:
  --url ws://HOST:PORT      server (default ws://127.0.0.1:8080); without :PORT, 80 as for any
                            ws:// URL; IPv6 in brackets (ws://[::1]:8080); no path (/v1/ingest
                            and /v1/stream are chosen here); or --host, --port
  --token T                 ingest token;  --read-token R  for /v1/stream and --verify
  --target bangdan|redis    redis: the same stream as ZINCRBY/PUBLISH into Redis (bench)
  --redis-variant full|lean full: every board, scope, metric, window; lean: city/firm/team by weight
What:
  --cities N (57) --firms N (500) --teams N (5000) --products N (300): each at most 10000000
  --users N (100000)        at most 50000000
  --zipf S (1.0)            Zipf exponent of every dimension
  --seed N (1)              same seed, same events (ids aside: see --id-prefix)
  --refunds SHARE (0.02)    share of events that refund an earlier purchase
  --duplicates SHARE (0)    share of sends that retry an id already acked as accepted
  --id-prefix P             event ids start with P (default: from the clock)
  --pool N                  events pre-built before the run (default min(--events, 1000000);
                            at most 20000000)
How much:
  --rate N (0)              events/s over all connections, at most 1000000000; 0 = as fast as
                            acks allow; with a rate, latencies count from when each frame was due
  --batch N (100)           events per frame, at most 10000
  --connections N (4)       ingest WebSocket connections, at most 100000 and at most
                            10000000 events in frames at once (--connections x --batch)
  --window N (8)            unacknowledged frames in flight per connection, at most 1000000
  --duration D (10s)        how long to send (250ms, 30s, 2m, 1h; at most a year); --events N:
                            stop after N, in whole frames (the frame that reaches N is sent whole)
  --threads N (1)           I/O threads, at most 256
Dashboards:
  --subscribers N (0)       /v1/stream connections (at most 100000), each on one of --views N (10)
                            views (at most 100000)
Checking:
  --verify                  compute the expected boards and compare them with the server's
  --verify-scopes N (0=all) scoped boards compared per scope dimension
  --tz +HH:MM (+08:00)      the server's --tz, for the day window of --verify; the values the
                            server takes: -14:59 to +14:59, Z or UTC
  --report FILE             write the final report as JSON (- : standard output)
  --progress-interval D     a progress line every D (1s; 1ms to 1h); --no-progress: none
  --help
On and off: --verify, --progress, --no-progress and --help alone mean on; a value comes only
after '=' (--verify=true|false|1|0|yes|no|on|off), so '--verify false' is refused.
Exit status: 0 ok, 1 verify found a difference or the run failed, 2 bad usage.
)";
}

}  // namespace bangdan::loadgen
