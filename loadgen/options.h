// Options: the load generator's command line (SPEC §8).
//
// ParseOptions never exits and never throws: a bad flag or value comes back as
// a Status whose message names the flag, so main() decides how to report it
// and tests can check the wording.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bangdan/status.h"

namespace bangdan::loadgen {

enum class Target { kBangdan, kRedis };

struct Options {
  // Where to send.
  Target target = Target::kBangdan;
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string token;       // ingest token (Authorization: Bearer …)
  std::string read_token;  // for /v1/stream and the queries of --verify
  bool redis_lean = false;  // --redis-variant lean: only city, firm, team by weight

  // What to send: the shape of the campaign.
  uint32_t cities = 57;
  uint32_t firms = 500;
  uint32_t teams = 5'000;
  uint32_t users = 100'000;
  uint32_t products = 300;
  double zipf = 1.0;
  uint64_t seed = 1;
  double refunds = 0.02;     // share of events that are refunds
  double duplicates = 0.0;   // share of sends that are retries of acked ids
  std::string id_prefix;     // empty: derived from the clock, so reruns are not duplicates
  uint64_t pool = 0;         // events pre-built; 0: min(--events, 1,000,000)

  // How fast and how long.
  uint64_t rate = 0;         // events/s over all connections; 0: as fast as acks allow
  uint32_t batch = 100;      // events per frame
  uint32_t connections = 4;
  uint32_t window = 8;       // unacknowledged frames in flight per connection
  double duration_s = 10;    // 0: until --events are sent
  uint64_t events = 0;       // 0: until --duration ends
  uint32_t threads = 1;

  // Dashboards.
  uint32_t subscribers = 0;
  uint32_t views = 10;       // distinct views the subscribers spread over

  // Checking and reporting.
  bool verify = false;
  uint32_t verify_scopes = 0;  // scoped boards checked per scope dimension; 0: all
  std::string tz = "+08:00";   // the server's --tz, for the day window of --verify; ±HH:MM
  std::string report;          // JSON report file; empty: none
  bool progress = true;
  double progress_interval_s = 1;  // between two progress lines
  bool help = false;
};

// Parses argv[1..argc). On error *out is left partly filled.
// REQUIRES: out != nullptr.
Status ParseOptions(int argc, const char* const* argv, Options* out);

// Also applied by ParseOptions: the bounds of the numbers and the cross-field
// rules (an end condition, sane shares). Exposed for callers that build
// Options by hand.
Status CheckOptions(const Options& o);

// The --help text.
std::string Usage();

// "ws://HOST:PORT", "http://HOST:PORT" or "HOST:PORT" (IPv6 in brackets) →
// host, port; port 80 when none is given; no path. Exposed for tests.
Status ParseUrl(const std::string& url, std::string* host, uint16_t* port);

// "250ms", "30s", "2m", "1h", or a bare number of seconds.
Status ParseDurationSeconds(const std::string& text, double* seconds);

}  // namespace bangdan::loadgen
