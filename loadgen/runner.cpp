#include "runner.h"

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "http_client.h"
#include "ingest_client.h"
#include "progress.h"
#include "redis_client.h"
#include "subscriber.h"

namespace bangdan::loadgen {
namespace {

namespace net = boost::asio;

// A pool this large takes a second or more to build (docs/loadgen.md).
constexpr uint64_t kPoolWorthALine = 2'000'000;

double Seconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string DefaultIdPrefix() {
  // Base 36 of the clock in ms, so that a rerun against the same server
  // sends new ids, then six random digits, so that generators started in
  // the same millisecond (a script starting several) do not share them.
  static const char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s;
  uint64_t v = static_cast<uint64_t>(UnixMs());
  for (int i = 0; i < 8; ++i, v /= 36) s.insert(s.begin(), kDigits[v % 36]);
  std::random_device device;
  uint64_t r = (uint64_t{device()} << 32) | device();
  for (int i = 0; i < 6; ++i, r /= 36) s.push_back(kDigits[r % 36]);
  return s;
}

// The first Ctrl-C (SIGINT) or SIGTERM ends the run as its deadline would:
// sending stops, the acks in flight are awaited and the report is written.
// A second one kills the generator (the handler resets itself).
std::atomic<bool> g_interrupted{false};

void OnInterrupt(int) { g_interrupted.store(true); }

void CatchInterrupts() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void RaiseFileLimit() {
  // Thousands of subscribers need thousands of descriptors.
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

struct CpuTimes {
  double user = 0, sys = 0;
};

CpuTimes Cpu() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return {ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6};
}

// Reads the server's accepted-event count; --verify needs an empty server.
Status CheckServerEmpty(const Options& o) {
  HttpClient http(o.host, o.port, o.read_token);
  int status = 0;
  std::string body;
  Status s = http.Get("/v1/totals?window=total", &status, &body);
  if (!s.ok()) return s;
  if (status != 200) return Status::IOError("/v1/totals answered HTTP " + std::to_string(status) + ": " + body.substr(0, 200));
  uint64_t events = 0;
  size_t at = body.find("\"events\":");
  if (at != std::string::npos) events = std::strtoull(body.c_str() + at + 9, nullptr, 10);
  if (events != 0) {
    return Status::InvalidArgument("--verify needs an empty server (fresh --data-dir); this one already holds " +
                                   std::to_string(events) + " events");
  }
  return Status::OK();
}

class IoThreads {
 public:
  explicit IoThreads(uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      contexts_.push_back(std::make_unique<net::io_context>(1));
      guards_.emplace_back(net::make_work_guard(*contexts_.back()));
      stats_.push_back(std::make_unique<ThreadStats>());
    }
    for (auto& io : contexts_) threads_.emplace_back([&io] { io->run(); });
  }
  ~IoThreads() { Stop(); }

  void Stop() {
    for (auto& io : contexts_) io->stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  size_t size() const { return contexts_.size(); }
  net::io_context& io(size_t i) { return *contexts_[i % contexts_.size()]; }
  ThreadStats& stats(size_t i) { return *stats_[i % stats_.size()]; }

  uint64_t Sum(std::atomic<uint64_t> ThreadStats::*field) const {
    uint64_t total = 0;
    for (const auto& s : stats_) total += (s.get()->*field).load(std::memory_order_relaxed);
    return total;
  }

 private:
  std::vector<std::unique_ptr<net::io_context>> contexts_;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards_;
  std::vector<std::unique_ptr<ThreadStats>> stats_;
  std::vector<std::thread> threads_;
};

// The sending phase's line: the figures since the last one, whose ack
// latencies it takes out of the threads' interval histograms.
std::string SendingFigures(IoThreads& threads, uint64_t* last_accepted, int64_t* last_ns) {
  int64_t now = NowNs();
  Histogram interval;
  for (size_t i = 0; i < threads.size(); ++i) {
    ThreadStats& s = threads.stats(i);
    std::lock_guard<std::mutex> lock(s.mu);
    interval.Merge(s.ack_latency_interval);
    s.ack_latency_interval.Reset();
  }
  uint64_t accepted = threads.Sum(&ThreadStats::accepted);
  double rate = (accepted - *last_accepted) / Seconds(now - *last_ns);
  *last_accepted = accepted;
  *last_ns = now;
  return SendingLine(rate, threads.Sum(&ThreadStats::acks), interval.Quantile(0.99) / 1e6,
                     threads.Sum(&ThreadStats::pushes), threads.Sum(&ThreadStats::errors));
}

// Sleeps until `done()` or `until_ns`, keeping the progress line going.
void WaitTicking(Progress& progress, int64_t until_ns, const std::function<bool()>& done,
                 const std::function<std::string()>& line) {
  while (!done() && NowNs() < until_ns) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    progress.Tick(line);
  }
}

// Waits until every dashboard has its first view or has failed, so that each
// has its baseline before events flow; at most 10 s, plus 2 s a thousand.
void WaitForSubscribers(const RunContext& ctx, uint32_t subscribers, Progress& progress) {
  if (subscribers == 0) return;
  int64_t give_up = NowNs() + static_cast<int64_t>((10 + subscribers / 500) * 1e9);
  WaitTicking(
      progress, give_up,
      [&] {
        return ctx.subscribers_ready.load() + ctx.subscribers_failed.load() >= subscribers || g_interrupted.load();
      },
      [&] { return DashboardsLine(ctx.subscribers_ready.load(), ctx.subscribers_failed.load(), subscribers); });
  if (ctx.subscribers_ready.load() < subscribers) {
    std::fprintf(stderr, "only %u of %u subscribers have a view (%u failed); starting anyway\n",
                 ctx.subscribers_ready.load(), subscribers, ctx.subscribers_failed.load());
  }
}

// The ingest side's figures, summed over the threads (stopped), and what
// the later steps need: every acked frame, every rejected slot, every push.
void GatherIngest(IoThreads& threads, const RunContext& ctx, Report* report, std::vector<FrameRecord>* frames,
                  std::vector<RejectedSlot>* rejected, std::vector<PushObservation>* observations) {
  report->frames_sent = threads.Sum(&ThreadStats::frames_sent);
  report->events_sent = threads.Sum(&ThreadStats::events_sent);
  report->acks = threads.Sum(&ThreadStats::acks);
  report->accepted = threads.Sum(&ThreadStats::accepted);
  report->duplicates = threads.Sum(&ThreadStats::duplicates);
  report->rejected = threads.Sum(&ThreadStats::rejected);
  report->errors = threads.Sum(&ThreadStats::errors);
  report->ack_mismatches = threads.Sum(&ThreadStats::ack_mismatches);
  const uint64_t answers = threads.Sum(&ThreadStats::answers);
  report->unanswered = report->frames_sent > answers ? report->frames_sent - answers : 0;
  if (report->unanswered > 0) {
    report->problems.push_back(std::to_string(report->unanswered) +
                               " frames sent were never answered (no ack, no error)");
  }
  if (report->frames_sent == 0) report->problems.push_back("no frame was sent");
  for (size_t i = 0; i < threads.size(); ++i) {
    report->last_send_s = std::max(report->last_send_s,
                                   Seconds(threads.stats(i).last_send_ns.load() - ctx.start_ns));
  }
  report->frame_interval_s = Seconds(static_cast<int64_t>(ctx.frame_interval_ns / ctx.options->connections));
  report->frames_late_held = threads.Sum(&ThreadStats::frames_late_held);
  report->frames_late_generator = threads.Sum(&ThreadStats::frames_late_generator);
  for (size_t i = 0; i < threads.size(); ++i) {
    ThreadStats& s = threads.stats(i);
    report->ack_latency.Merge(s.ack_latency);
    report->ack_latency_from_send.Merge(s.ack_latency_from_send);
    frames->insert(frames->end(), s.frames.begin(), s.frames.end());
    rejected->insert(rejected->end(), s.rejected_slots.begin(), s.rejected_slots.end());
    observations->insert(observations->end(), s.push_observations.begin(), s.push_observations.end());
    for (auto& p : s.problems) {
      if (report->problems.size() < 20) report->problems.push_back(p);
    }
  }
}

// The dashboards' figures. A push that first shows seq s reveals the frame
// whose acked range holds s: its latency counts from that frame.
void ReportDashboards(const std::vector<FrameRecord>& frames, const std::vector<PushObservation>& observations,
                      const std::vector<SubscriberTally>& tallies, const std::vector<ViewSpec>& views,
                      Report* report) {
  std::vector<FrameRecord> by_seq;
  for (const FrameRecord& f : frames) {
    if (f.accepted > 0) by_seq.push_back(f);
  }
  std::sort(by_seq.begin(), by_seq.end(), [](const FrameRecord& a, const FrameRecord& b) { return a.seq < b.seq; });
  for (const PushObservation& p : observations) {
    auto it = std::lower_bound(by_seq.begin(), by_seq.end(), p.first_new_seq,
                               [](const FrameRecord& f, uint64_t s) { return f.seq < s; });
    if (it == by_seq.end() || p.recv_ns < it->send_ns) {
      ++report->push_samples_unmatched;
      continue;
    }
    report->push_latency.Record(static_cast<uint64_t>(p.recv_ns - it->origin_ns));
    report->push_latency_from_send.Record(static_cast<uint64_t>(p.recv_ns - it->send_ns));
  }
  uint64_t sum = 0;
  report->updates_min = UINT64_MAX;
  for (const SubscriberTally& t : tallies) {
    report->subscribers_ready += t.ready ? 1 : 0;
    report->subscriber_errors += t.errors ? 1 : 0;
    report->updates_min = std::min(report->updates_min, t.updates);
    report->updates_max = std::max(report->updates_max, t.updates);
    sum += t.updates;
    if (t.updates == 0 && report->accepted > 0) ++report->starved;
    if (!t.first_error.empty() && report->problems.size() < 20) {
      report->problems.push_back("subscriber on " + views[t.view].name + ": " + t.first_error);
    }
  }
  report->updates_avg = static_cast<double>(sum) / tallies.size();
}

}  // namespace

Status Run(const Options& o, Report* report) {
  RaiseFileLimit();
  CatchInterrupts();
  report->target = o.target == Target::kRedis ? "redis" : "bangdan";
  report->connections = o.connections;
  report->batch = o.batch;
  report->threads = o.threads;
  report->rate_target = o.rate;
  report->subscribers = o.subscribers;

  if (o.verify) {
    Status s = CheckServerEmpty(o);
    if (!s.ok()) return s;
  }

  // Everything the timed phase sends is built first.
  int64_t build_start = NowNs();
  Campaign campaign(o);
  uint64_t pool_events = o.pool ? o.pool : std::min<uint64_t>(o.events ? o.events : 1'000'000, 1'000'000);
  std::string prefix = o.id_prefix.empty() ? DefaultIdPrefix() : o.id_prefix;
  // Seconds for a large pool: said, so that the wait does not look like a hang.
  const bool say_pool = o.progress && pool_events >= kPoolWorthALine;
  if (say_pool) std::fprintf(stderr, "[%6.1fs] %s\n", 0.0, PoolBuildingLine(pool_events).c_str());
  FramePool pool(campaign, o, pool_events, o.window + 2, prefix);
  std::unique_ptr<RedisFrames> redis_frames;
  if (o.target == Target::kRedis) redis_frames = std::make_unique<RedisFrames>(campaign, pool, o.redis_lean, DayAt(UnixMs(), o.tz));
  report->pool_events = pool.frames() * pool.batch();
  report->pool_build_s = Seconds(NowNs() - build_start);
  if (say_pool) {
    std::fprintf(stderr, "[%6.1fs] %s\n", report->pool_build_s,
                 PoolBuiltLine(report->pool_events, report->pool_build_s).c_str());
  }

  RunContext ctx;
  ctx.options = &o;
  ctx.pool = &pool;
  ctx.redis = redis_frames.get();
  ctx.host = o.host;
  ctx.port = o.port;
  ctx.keep_frames = o.verify || o.subscribers > 0;
  ctx.frame_interval_ns = o.rate ? 1e9 * o.batch * o.connections / static_cast<double>(o.rate) : 0;

  IoThreads threads(o.threads);
  Progress progress(o.progress ? stderr : nullptr, o.progress_interval_s);

  // Dashboards first, so that each has its baseline view before events flow.
  progress.Restart(NowNs());
  std::vector<ViewSpec> views = MakeViews(campaign, o.views);
  std::vector<SubscriberTally> tallies(o.subscribers);
  report->views = o.subscribers ? static_cast<uint32_t>(views.size()) : 0;
  for (uint32_t i = 0; i < o.subscribers; ++i) {
    Subscriber::Launch(threads.io(i), ctx, threads.stats(i), views[i % views.size()], i % views.size(), &tallies[i]);
  }
  WaitForSubscribers(ctx, o.subscribers, progress);

  std::string start_day = DayAt(UnixMs(), o.tz);
  uint64_t total_frames = o.events ? (o.events + o.batch - 1) / o.batch : UINT64_MAX;
  CpuTimes cpu0 = Cpu();
  ctx.start_ns = NowNs();
  const int64_t deadline =
      o.duration_s > 0 ? ctx.start_ns + static_cast<int64_t>(o.duration_s * 1e9) : INT64_MAX;
  ctx.deadline_ns = deadline;
  ctx.sending = true;
  for (uint32_t c = 0; c < o.connections; ++c) {
    uint64_t quota = total_frames == UINT64_MAX ? UINT64_MAX
                                                : total_frames / o.connections + (c < total_frames % o.connections);
    if (o.target == Target::kRedis) {
      RedisClient::Launch(threads.io(c), ctx, threads.stats(c), c, quota);
    } else {
      IngestClient::Launch(threads.io(c), ctx, threads.stats(c), c, quota);
    }
  }

  // Progress lines; stop sending at the deadline; wait for the acks.
  uint64_t last_accepted = 0;
  int64_t last_ns = ctx.start_ns, stop_at = 0;
  progress.Restart(ctx.start_ns);
  const auto run_line = [&] {
    // Still sending, or stopped since the last line: that line's second
    // had sending in it, and gets its figures.
    if (stop_at == 0 || stop_at > last_ns) return SendingFigures(threads, &last_accepted, &last_ns);
    const uint64_t sent = threads.Sum(&ThreadStats::frames_sent), answers = threads.Sum(&ThreadStats::answers);
    return AwaitingAcksLine(sent > answers ? sent - answers : 0, threads.Sum(&ThreadStats::acks),
                            threads.Sum(&ThreadStats::errors));
  };
  bool interrupted = false;
  while (ctx.ingest_done.load() < o.connections) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    int64_t now = NowNs();
    if (g_interrupted.load() && !interrupted) {
      interrupted = true;
      char when[32];
      std::snprintf(when, sizeof when, "%.1f", Seconds(now - ctx.start_ns));
      report->problems.push_back(std::string("interrupted after ") + when +
                                 " s: stopped sending, waited for the acks in flight");
      ctx.deadline_ns = now;
    }
    if ((now >= deadline || interrupted) && !ctx.stop_sending.load()) {
      ctx.stop_sending = true;
      stop_at = now;
    }
    if (stop_at && now - stop_at > 30'000'000'000) {
      report->problems.push_back("gave up waiting for acks 30 s after the end");
      break;
    }
    progress.Tick(run_line);
  }
  int64_t end_ns = NowNs();
  const std::string end_day = DayAt(UnixMs(), o.tz);  // the day of the last ack
  ctx.stop_sending = true;
  ctx.sending = false;
  CpuTimes cpu1 = Cpu();
  if (o.subscribers > 0) {
    // Let the pushes of the last events arrive (a few push intervals).
    WaitTicking(progress, NowNs() + 1'000'000'000, [] { return false; },
                [&] { return LastPushesLine(threads.Sum(&ThreadStats::pushes)); });
    ctx.stop_subscribers = true;
  }
  threads.Stop();

  // Gather.
  report->elapsed_s = Seconds(end_ns - ctx.start_ns);
  report->cpu_user_s = cpu1.user - cpu0.user;
  report->cpu_sys_s = cpu1.sys - cpu0.sys;
  std::vector<FrameRecord> frames;
  std::vector<RejectedSlot> rejected;
  std::vector<PushObservation> observations;
  GatherIngest(threads, ctx, report, &frames, &rejected, &observations);

  if (o.subscribers > 0) ReportDashboards(frames, observations, tallies, views, report);

  if (o.verify) {
    // The day boards are checked when the run stayed within one day at
    // --tz, and by that day's name: verification may end after midnight.
    VerifyInput in{&campaign, &pool, &o, std::move(frames), std::move(rejected),
                   end_day == start_day ? start_day : ""};
    report->verified = true;
    report->verify = Verify(in, [&progress](const VerifyProgress& p) {
      progress.Tick([&p] { return VerifyLine(p); });
    });
  }
  return Status::OK();
}

}  // namespace bangdan::loadgen
