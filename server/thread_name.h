// Names the calling thread, as `top -H`, `ps -L`, `perf --sort comm` and a
// debugger show it: `io-0`, `stream-0`, `engine`, `log`, `snapshot`, `blocking`, ….
// Linux keeps the first 15 bytes.
#pragma once

#include <pthread.h>

#include <string>

namespace bangdan {

inline void SetThreadName(std::string name) {
  if (name.size() > 15) name.resize(15);
  pthread_setname_np(pthread_self(), name.c_str());
}

}  // namespace bangdan
