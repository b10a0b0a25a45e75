// Names the calling thread, as `top -H`, `ps -L`, `perf --sort comm` and a
// debugger show it: `io-0`, `stream-0`, `engine`, `log`, `snapshot`, `blocking`, ….
// Linux keeps the first 15 bytes. And makes the calling thread nicer than the
// process (Linux gives each thread its own nice value).
#pragma once

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace bangdan {

inline void SetThreadName(std::string name) {
  if (name.size() > 15) name.resize(15);
  pthread_setname_np(pthread_self(), name.c_str());
}

// Raising a thread's nice value needs no privilege; false if it failed.
inline bool AddThreadNice(int increment) {
  if (increment == 0) return true;
  const id_t tid = static_cast<id_t>(gettid());
  errno = 0;
  const int now = getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return false;
  return setpriority(PRIO_PROCESS, tid, now + increment) == 0;
}

}  // namespace bangdan
