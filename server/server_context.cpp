#include "server_context.h"

#include <chrono>
#include <vector>

#include "thread_name.h"

namespace bangdan {

uint64_t ConnectionRegistry::Add(std::weak_ptr<Connection> c) {
  std::lock_guard lk(mu_);
  uint64_t id = next_id_++;
  live_.emplace(id, std::move(c));
  return id;
}

void ConnectionRegistry::Remove(uint64_t id) {
  std::lock_guard lk(mu_);
  live_.erase(id);
}

size_t ConnectionRegistry::size() const {
  std::lock_guard lk(mu_);
  return live_.size();
}

void ConnectionRegistry::ShutdownAll() {
  // Locked copies, calls outside the lock: a connection that ends meanwhile
  // removes itself without waiting for us.
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, weak] : live_)
      if (auto c = weak.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live) c->BeginShutdown();
}

void BlockingTasks::Run(std::function<void()> task) {
  std::lock_guard lk(mu_);
  // Threads that have finished are joined here, so they never pile up.
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = tasks_.erase(it);
    } else {
      ++it;
    }
  }
  auto done = std::make_shared<std::atomic<bool>>(false);
  tasks_.push_back(Task{std::thread([task = std::move(task), done] {
                          SetThreadName("blocking");
                          task();
                          done->store(true);
                        }),
                        done});
}

void BlockingTasks::JoinAll() {
  std::list<Task> tasks;
  {
    std::lock_guard lk(mu_);
    tasks.swap(tasks_);
  }
  for (Task& t : tasks) t.thread.join();
}

EventParser& ThreadEventParser(const ServerOptions& options) {
  thread_local EventParser parser(ParserOptions{options.max_batch, 64});
  return parser;
}

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace bangdan
