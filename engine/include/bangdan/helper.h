// Helper: a second thread that the engine's caller lends it.
//
// The engine has no threads of its own. Where work can run beside the
// caller's — recovery puts one batch of logged events on the boards while it
// admits the next (ReplayPipeline, bangdan/engine.h) — it asks for a Helper,
// which the environment provides (Env::NewHelper; PosixEnv's runs a thread)
// or not (nullptr: everything runs on the caller's thread).
#pragma once

#include <functional>

namespace bangdan {

class Helper {
 public:
  Helper() = default;
  virtual ~Helper() = default;
  Helper(const Helper&) = delete;
  Helper& operator=(const Helper&) = delete;

  // Runs `work` on the helper's thread and returns at once.
  // REQUIRES: the work started before has been waited for.
  virtual void Start(std::function<void()> work) = 0;
  // Returns once the work started last is done (at once if there is none).
  virtual void Wait() = 0;
};

}  // namespace bangdan
