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

Setter StringFlag(std::string Options::*field) {
  return [field](const std::string&, const std::string& v, Options* o) {
    o->*field = v;
    return Status::OK();
  };
}

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
      {"duration", [](const std::string& f, const std::string& v, Options* o) {
         Status s = ParseDurationSeconds(v, &o->duration_s);
         return s.ok() ? s : Status::InvalidArgument("--" + f + ": " + s.message());
       }},
      {"events", UnsignedFlag(&Options::events)},
      {"threads", UnsignedFlag(&Options::threads)},
      {"subscribers", UnsignedFlag(&Options::subscribers)},
      {"views", UnsignedFlag(&Options::views)},
      {"verify-scopes", UnsignedFlag(&Options::verify_scopes)},
      {"tz", [](const std::string& f, const std::string& v, Options* o) {
         // ±HH:MM, as the server's --tz.
         if (v.size() != 6 || (v[0] != '+' && v[0] != '-') || v[3] != ':') return Bad(f, v, "an offset like +08:00");
         o->tz = v;
         return Status::OK();
       }},
      {"report", StringFlag(&Options::report)},
  };
  return flags;
}

}  // namespace

Status ParseUrl(const std::string& url, std::string* host, uint16_t* port) {
  std::string rest = url;
  if (rest.rfind("ws://", 0) == 0) rest = rest.substr(5);
  else if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.find("://") != std::string::npos) return Status::InvalidArgument("'" + url + "': only ws:// and http:// are spoken");
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  std::string h = colon == std::string::npos ? rest : rest.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty() || h.find('/') != std::string::npos) return Status::InvalidArgument("'" + url + "' has no host");
  uint16_t p = 80;
  if (colon != std::string::npos && !ParseUnsigned(rest.substr(colon + 1), &p)) {
    return Status::InvalidArgument("'" + url + "' has a bad port");
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
    if (name == "help") { out->help = true; continue; }
    if (name == "verify") { out->verify = true; continue; }
    if (name == "progress") { out->progress = true; continue; }
    if (name == "no-progress") { out->progress = false; continue; }
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
  auto positive = [](const char* flag, uint64_t v) {
    return v > 0 ? Status::OK() : Status::InvalidArgument(std::string("--") + flag + " must be at least 1");
  };
  for (auto [flag, v] : {std::pair<const char*, uint64_t>{"cities", o.cities}, {"firms", o.firms},
                         {"teams", o.teams}, {"users", o.users}, {"products", o.products},
                         {"batch", o.batch}, {"connections", o.connections}, {"window", o.window},
                         {"threads", o.threads}, {"views", o.views}, {"port", o.port}}) {
    Status s = positive(flag, v);
    if (!s.ok()) return s;
  }
  if (o.batch > 10'000) return Status::InvalidArgument("--batch: at most 10000 events per frame (the server's --max-batch default)");
  if (o.duration_s == 0 && o.events == 0) return Status::InvalidArgument("--duration 0 needs --events N to know when to stop");
  if (o.refunds + o.duplicates > 0.5) return Status::InvalidArgument("--refunds plus --duplicates must stay at most 0.5");
  if (o.id_prefix.size() > 100) return Status::InvalidArgument("--id-prefix: at most 100 bytes");
  for (char c : o.id_prefix) {
    bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.';
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
  --url ws://HOST:PORT      server (default ws://127.0.0.1:8080); or --host, --port
  --token T                 ingest token;  --read-token R  for /v1/stream and --verify
  --target bangdan|redis    redis: the same stream as ZINCRBY/PUBLISH into Redis (bench)
  --redis-variant full|lean full: every board, scope, metric, window; lean: city/firm/team by weight
What:
  --cities N (57) --firms N (500) --teams N (5000) --users N (100000) --products N (300)
  --zipf S (1.0)            Zipf exponent of every dimension
  --seed N (1)              same seed, same events (ids aside: see --id-prefix)
  --refunds SHARE (0.02)    share of events that refund an earlier purchase
  --duplicates SHARE (0)    share of sends that retry an id already acked as accepted
  --id-prefix P             event ids start with P (default: from the clock)
  --pool N                  events pre-built before the run (default min(--events, 1000000))
How much:
  --rate N (0)              events/s over all connections; 0 = as fast as acks allow;
                            with a rate, latencies count from when each frame was due
  --batch N (100)           events per frame
  --connections N (4)       ingest WebSocket connections
  --window N (8)            unacknowledged frames in flight per connection
  --duration D (10s)        how long to send (250ms, 30s, 2m); --events N: stop after N,
                            in whole frames (the frame that reaches N is sent whole)
  --threads N (1)           I/O threads
Dashboards:
  --subscribers N (0)       /v1/stream connections, each on one of --views N (10) views
Checking:
  --verify                  compute the expected boards and compare them with the server's
  --verify-scopes N (0=all) scoped boards compared per scope dimension
  --tz +HH:MM (+08:00)      the server's --tz, for the day window of --verify
  --report FILE             write the final report as JSON
  --no-progress             no progress line each second
  --help
Exit status: 0 ok, 1 verify found a difference or the run failed, 2 bad usage.
)";
}

}  // namespace bangdan::loadgen
