// KillPoint: the crash tests' way to stop the process at an exact place.
// The variable is read once; every later call costs a string comparison
// only when a point is armed.
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <string>

#include "bangdan/wal.h"

namespace bangdan {
namespace {

struct ArmedPoint {
  std::string name;  // empty: none armed
  long hits_to_kill = 1;
  long hits = 0;
  std::mutex mu;
};

ArmedPoint* Armed() {
  static ArmedPoint* point = [] {
    auto* p = new ArmedPoint();  // lives until exit
    const char* spec = std::getenv("BANGDAN_KILL_POINT");
    if (spec == nullptr) return p;
    std::string s = spec;
    size_t colon = s.rfind(':');
    if (colon != std::string::npos) {
      p->hits_to_kill = std::strtol(s.c_str() + colon + 1, nullptr, 10);
      if (p->hits_to_kill < 1) p->hits_to_kill = 1;
      s.resize(colon);
    }
    p->name = s;
    return p;
  }();
  return point;
}

}  // namespace

void KillPoint(std::string_view name) {
  ArmedPoint* point = Armed();
  if (point->name.empty() || point->name != name) return;
  std::lock_guard<std::mutex> lock(point->mu);
  if (++point->hits >= point->hits_to_kill) {
    std::raise(SIGKILL);
    std::_Exit(137);  // not reached; in case SIGKILL were somehow blocked
  }
}

}  // namespace bangdan
