#include "ingest_writer.h"

#include <algorithm>
#include <iterator>

#include "json_writer.h"
#include "thread_name.h"

namespace bangdan {
namespace {

// Bounds one group so that a burst from many connections does not make the
// first frames wait for the admission of all the others.
constexpr size_t kMaxGroupEvents = 65'536;

}  // namespace

struct IngestWriter::Group {
  std::vector<std::unique_ptr<IngestFrame>> frames;
  std::vector<std::vector<Admission>> admissions;  // per frame, per valid event
  std::vector<JournalRecord> records;              // the accepted ones, in seq order
  bool empty() const { return frames.empty(); }
};

std::string FormatAck(std::string_view batch_json, uint32_t accepted, uint32_t duplicates,
                      const std::vector<Rejection>& rejected, uint64_t seq) {
  std::string out;
  out.reserve(96 + rejected.size() * 64);
  JsonWriter w(&out);
  w.BeginObject().Key("type").String("ack").Key("batch").Raw(batch_json);
  w.Key("accepted").Uint(accepted).Key("duplicates").Uint(duplicates);
  w.Key("rejected").BeginArray();
  for (const Rejection& r : rejected)
    w.BeginObject().Key("index").Uint(r.index).Key("error").String(r.error).EndObject();
  w.EndArray().Key("seq").Uint(seq).EndObject();
  return out;
}

std::string FormatIngestError(std::string_view batch_json, std::string_view error) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("type").String("error").Key("batch").Raw(batch_json);
  w.Key("error").String(error).EndObject();
  return out;
}

namespace {

// The frame's rejections in frame order: the parser's and the engine's
// (events whose sums could overflow), each list in frame order already.
std::vector<Rejection> MergeRejections(const std::vector<Rejection>& parser,
                                       std::vector<Rejection> engine) {
  std::vector<Rejection> all;
  all.reserve(parser.size() + engine.size());
  std::merge(std::make_move_iterator(engine.begin()), std::make_move_iterator(engine.end()),
             parser.begin(), parser.end(), std::back_inserter(all),
             [](const Rejection& a, const Rejection& b) { return a.index < b.index; });
  return all;
}

}  // namespace

IngestWriter::IngestWriter(Engine& engine, std::mutex& engine_mu, Journal& journal,
                           ServerMetrics& metrics)
    : engine_(engine), engine_mu_(engine_mu), journal_(journal), metrics_(metrics) {}

IngestWriter::~IngestWriter() { Stop(); }

void IngestWriter::Start() {
  thread_ = std::thread([this] {
    SetThreadName("engine");
    Run();
  });
}

void IngestWriter::Stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool IngestWriter::Submit(std::unique_ptr<IngestFrame> frame) {
  bool wake = false;
  {
    std::lock_guard lk(mu_);
    if (exited_) return false;
    queue_.push_back(std::move(frame));
    // Only a writer asleep with nothing admitted acts on a new frame; one
    // that waits for a commit would wake, find its predicate false and sleep
    // again — once per frame (with single-event frames, ~9,000 times a
    // second; switching and waking threads took a fifth of the server's
    // time). The first frame wakes it, the rest it finds.
    std::swap(wake, writer_wants_frames_);
  }
  if (wake) cv_.notify_one();
  return true;
}

size_t IngestWriter::queued() const {
  std::lock_guard lk(mu_);
  return queue_.size();
}

void IngestWriter::Admit(Group* g) {
  g->admissions.clear();
  g->records.clear();
  std::lock_guard lk(engine_mu_);
  for (auto& f : g->frames) {
    std::vector<Admission>& adm = g->admissions.emplace_back();
    if (!f->error.empty()) continue;
    const std::vector<Event>& events = f->parsed.events;
    adm.resize(events.size());
    engine_.AdmitBatch(events, f->recv_ms, adm.data());
    for (size_t i = 0; i < events.size(); ++i) {
      if (adm[i].accepted()) g->records.push_back(JournalRecord{&events[i], adm[i]});
    }
  }
}

void IngestWriter::Finish(Group* g, const Status& durable, Group* next) {
  // The seq of a frame that accepted nothing: the latest one as of that
  // frame's place in the group, so acks' seq never goes down on a connection.
  uint64_t latest = 0;
  {
    std::lock_guard lk(engine_mu_);
    latest = engine_.applied_seq();
    if (durable.ok()) {
      engine_.ApplyBatch(g->records);
    } else {
      // Takes back this group's admissions and those of the next group,
      // which was admitted after them; the next group is admitted again.
      engine_.Unadmit(engine_.applied_seq());
    }
  }
  // The journal logs its failures itself, throttled (a full disk fails
  // every group); each frame's answer says it too.
  if (!durable.ok() && next != nullptr && !next->empty()) Admit(next);
  auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < g->frames.size(); ++i) {
    IngestFrame& f = *g->frames[i];
    std::string answer;
    bool ok = false;
    if (!f.error.empty()) {
      answer = FormatIngestError(f.batch_json, f.error);
    } else if (!durable.ok()) {
      answer = FormatIngestError(f.batch_json, "not durable: " + durable.message());
    } else {
      uint32_t accepted = 0, duplicates = 0;
      uint64_t seq = 0;
      std::vector<Rejection> refused;  // by the engine: sums that could overflow
      const std::vector<Admission>& adm = g->admissions[i];
      for (size_t k = 0; k < adm.size(); ++k) {
        if (adm[k].accepted()) {
          ++accepted;
          seq = adm[k].seq;
        } else if (adm[k].rejected()) {
          refused.push_back(Rejection{f.parsed.indices[k], std::string(adm[k].error())});
        } else {
          ++duplicates;
        }
      }
      if (accepted > 0) latest = seq;
      if (!refused.empty()) refused = MergeRejections(f.parsed.rejected, std::move(refused));
      const std::vector<Rejection>& rejected = refused.empty() ? f.parsed.rejected : refused;
      answer = FormatAck(f.batch_json, accepted, duplicates, rejected, latest);
      ok = true;
      metrics_.events_accepted.fetch_add(accepted, std::memory_order_relaxed);
      metrics_.events_duplicate.fetch_add(duplicates, std::memory_order_relaxed);
      metrics_.events_rejected.fetch_add(rejected.size(), std::memory_order_relaxed);
    }
    (ok ? metrics_.frames_acked : metrics_.frames_refused).fetch_add(1, std::memory_order_relaxed);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - f.received).count();
    metrics_.ack_latency.Record(us < 0 ? 0 : static_cast<uint64_t>(us));
    f.respond(std::move(answer), ok);
  }
}

void IngestWriter::Run() {
  // State machine: `in_flight` is being committed; `next` is admitted and
  // waits for it. At most one of each. A group that became durable is
  // applied while the disk already takes the next.
  Group in_flight, next;
  bool committing = false;
  // Hands `in_flight` to the journal; called without `mu_` held (the journal
  // may call back at once).
  auto commit = [this, &in_flight] {
    journal_.Commit(in_flight.records, [this](Status s) {
      {
        std::lock_guard g(mu_);
        commit_status_ = std::move(s);
        commit_done_ = true;
      }
      cv_.notify_all();
    });
  };
  std::unique_lock lk(mu_);
  while (true) {
    writer_wants_frames_ = next.empty();
    cv_.wait(lk, [&] {
      return commit_done_ || (next.empty() && !queue_.empty()) ||
             (!committing && !next.empty()) || (stopping_ && !committing && queue_.empty());
    });
    writer_wants_frames_ = false;
    if (commit_done_) {
      commit_done_ = false;
      committing = false;
      Status st = commit_status_;
      Group done = std::move(in_flight);
      in_flight = Group();
      // The next group goes to the disk before this one is applied, so that
      // the fsync and the apply overlap — but only after a success: a failed
      // group's admissions are taken back with the next group's, which is
      // then admitted again (Finish).
      const bool commit_next = st.ok() && !next.empty();
      if (commit_next) {
        committing = true;
        in_flight = std::move(next);
        next = Group();
      }
      lk.unlock();
      if (commit_next) commit();
      Finish(&done, st, &next);
      lk.lock();
    }
    if (next.empty() && !queue_.empty()) {
      size_t events = 0;
      while (!queue_.empty() && (next.frames.empty() || events < kMaxGroupEvents)) {
        events += queue_.front()->parsed.events.size();
        next.frames.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      lk.unlock();
      Admit(&next);
      lk.lock();
    }
    if (!committing && !next.empty()) {
      committing = true;
      in_flight = std::move(next);
      next = Group();
      lk.unlock();
      commit();
      lk.lock();
      continue;
    }
    if (stopping_ && !committing && next.empty() && queue_.empty() && !commit_done_) break;
  }
  exited_ = true;
}

}  // namespace bangdan
