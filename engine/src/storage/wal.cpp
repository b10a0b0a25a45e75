// Wal: segments of framed event records; group commit is the caller's
// (Append a group, Sync once).
//
// Invariants:
//   - bytes [0, durable_offset) of the current segment hold exactly the
//     records up to durable_seq, each durable under the mode;
//   - bytes [durable_offset, written) were handed to the kernel but not yet
//     made durable; `pending` holds framed records not yet written;
//   - after a failure, nothing is written until Rollback succeeds;
//   - a segment whose fsync failed is never synced again.
#include "bangdan/wal.h"

#include "storage/file_names.h"
#include "storage/log_writer.h"
#include "storage/record_codec.h"

namespace bangdan {

struct Wal::Impl {
  Env* env = nullptr;
  std::string dir;
  WalOptions options;

  std::unique_ptr<WritableFile> file;  // null only after a failed segment start
  std::string segment_name;
  uint64_t segment_first_seq = 0;
  log::Writer writer;
  std::string pending;
  std::string record;  // scratch for one encoded event
  uint64_t written = 0;
  uint64_t durable_offset = 0;
  uint64_t appended_seq = 0;
  uint64_t durable_seq = 0;
  uint64_t durable_bytes = 0;  // over the Wal's life, every segment
  bool failed = false;
  bool sync_failed = false;
  Status failure;

  bool fsync_always() const { return options.fsync == FsyncMode::kAlways; }

  Status Fail(Status s) {
    failed = true;
    failure = s;
    return s;
  }

  // Closes the current segment (if any) and starts `wal-<first_seq>.log`.
  Status StartSegment(uint64_t first_seq) {
    if (file != nullptr) {
      file->Close();  // its durable part is already durable; nothing to lose
      file.reset();
    }
    const std::string name = SegmentFileName(first_seq);
    const std::string path = JoinPath(dir, name);
    // A segment of this name holds no durable record (else its first seq
    // would be <= durable_seq): replace it, with a new inode so that pages
    // of an earlier failed fsync cannot come back.
    if (env->FileExists(path)) env->RemoveFile(path);
    std::unique_ptr<WritableFile> f;
    Status s = env->NewWritableFile(path, &f);
    // The name must be durable before any record in the file is acked.
    if (s.ok() && fsync_always()) s = env->SyncDir(dir);
    if (!s.ok()) return s;
    file = std::move(f);
    segment_name = name;
    segment_first_seq = first_seq;
    written = durable_offset = 0;
    writer.Reset(0);
    sync_failed = false;
    return Status::OK();
  }

  // Between groups (everything written is durable): closes the segment —
  // synced once even without fsync per group, so that a snapshot may rely on
  // every segment but the current one — and starts `wal-<first_seq>.log`.
  Status Rotate(uint64_t first_seq) {
    if (!fsync_always()) {
      Status s = file->Sync();
      if (!s.ok()) return Fail(s);
    }
    file->Close();
    KillPoint("mid_segment_rotation");
    Status s = StartSegment(first_seq);
    return s.ok() ? s : Fail(s);
  }

  Status WritePending() {
    if (pending.empty()) return Status::OK();
    Status s = file->Append(pending);
    if (!s.ok()) return s;
    written += pending.size();
    pending.clear();
    return Status::OK();
  }
};

Wal::Wal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Wal::~Wal() {
  if (impl_->file != nullptr) impl_->file->Close();
}

Status Wal::Open(Env* env, std::string dir, WalOptions options, uint64_t last_seq,
                 std::unique_ptr<Wal>* result) {
  Status s = env->CreateDir(dir);
  if (!s.ok()) return s;
  const std::string name = SegmentFileName(last_seq + 1);
  uint64_t size = 0;
  if (env->FileExists(JoinPath(dir, name)) && env->FileSize(JoinPath(dir, name), &size).ok() &&
      size > 0) {
    return Status::InvalidArgument(name + ": holds records after sequence number " +
                                   std::to_string(last_seq) + "; recover the log first");
  }
  auto impl = std::make_unique<Impl>();
  impl->env = env;
  impl->dir = std::move(dir);
  impl->options = options;
  impl->appended_seq = impl->durable_seq = last_seq;
  s = impl->StartSegment(last_seq + 1);
  if (!s.ok()) return s;
  result->reset(new Wal(std::move(impl)));
  return Status::OK();
}

Status Wal::Append(const Event& e, uint64_t seq, int64_t recv_ms) {
  Impl& w = *impl_;
  if (w.failed) return Status::IOError("log needs Rollback after: " + w.failure.message());
  if (seq != w.appended_seq + 1) {
    return Status::InvalidArgument("log append of sequence number " + std::to_string(seq) +
                                   " after " + std::to_string(w.appended_seq));
  }
  for (std::string_view s : {e.id, e.city, e.firm, e.team, e.user, e.product}) {
    if (s.size() > log::kMaxEventStringBytes) {
      return Status::InvalidArgument("log append: a string of " + std::to_string(s.size()) +
                                     " bytes is longer than a record allows");
    }
  }
  // Rotate between groups only, when everything before is durable: a group
  // never straddles two segments, and the old segment is complete.
  if (w.pending.empty() && w.written == w.durable_offset &&
      w.written >= w.options.segment_bytes) {
    Status s = w.Rotate(seq);
    if (!s.ok()) return s;
  }
  w.record.clear();
  log::EncodeEvent(e, seq, recv_ms, &w.record);
  w.writer.AddRecord(w.record, &w.pending);
  w.appended_seq = seq;
  if (w.pending.size() >= w.options.write_buffer_bytes) {
    Status s = w.WritePending();
    if (!s.ok()) return w.Fail(s);
  }
  return Status::OK();
}

Status Wal::Sync() {
  Impl& w = *impl_;
  if (w.failed) return Status::IOError("log needs Rollback after: " + w.failure.message());
  Status s = w.WritePending();
  if (!s.ok()) return w.Fail(s);
  KillPoint("after_write_before_fsync");
  if (w.fsync_always() && w.written > w.durable_offset) {
    s = w.file->Sync();
    if (!s.ok()) {
      w.sync_failed = true;
      return w.Fail(s);
    }
  }
  w.durable_bytes += w.written - w.durable_offset;
  w.durable_offset = w.written;
  w.durable_seq = w.appended_seq;
  return Status::OK();
}

Status Wal::SyncNow() {
  Impl& w = *impl_;
  if (w.failed) return Status::IOError("log needs Rollback after: " + w.failure.message());
  if (w.fsync_always() || w.file == nullptr || w.written == 0) return Status::OK();
  Status s = w.file->Sync();
  if (!s.ok()) {
    w.sync_failed = true;
    return w.Fail(s);
  }
  return Status::OK();
}

Status Wal::Rollback() {
  Impl& w = *impl_;
  w.pending.clear();
  w.appended_seq = w.durable_seq;
  if (w.file != nullptr && !w.sync_failed) {
    // A failed write: cut the segment back to its durable part, and under
    // kAlways make the cut durable too (this is the first sync of what the
    // failed write left, not a retry of a failed one).
    Status s = w.file->Truncate(w.durable_offset);
    if (s.ok() && w.fsync_always() && w.written != w.durable_offset) {
      s = w.file->Sync();
      if (!s.ok()) w.sync_failed = true;
    }
    if (s.ok()) {
      w.written = w.durable_offset;
      w.writer.Reset(w.durable_offset);
      w.failed = false;
      return Status::OK();
    }
  }
  // The segment cannot be trusted (its fsync failed) or cut: leave it,
  // cut best-effort, and go on in a new segment. Recovery ignores what the
  // old one holds from the new one's first sequence number on.
  if (w.file != nullptr) w.file->Truncate(w.durable_offset);
  Status s = w.StartSegment(w.durable_seq + 1);
  if (!s.ok()) return w.Fail(s);
  w.failed = false;
  return Status::OK();
}

Status Wal::CloseSegmentIfCovered(uint64_t seq) {
  Impl& w = *impl_;
  if (w.failed) return Status::IOError("log needs Rollback after: " + w.failure.message());
  const bool between_groups = w.pending.empty() && w.written == w.durable_offset;
  if (!between_groups || w.written == 0 || w.appended_seq > seq) return Status::OK();
  return w.Rotate(w.appended_seq + 1);
}

Status Wal::CoveredSegments(uint64_t seq, std::vector<std::string>* paths) const {
  const Impl& w = *impl_;
  paths->clear();
  std::vector<SegmentFile> segments;
  Status s = ListSegments(w.env, w.dir, &segments);
  if (!s.ok()) return s;
  // Segment i holds sequence numbers [first_i, first_{i+1}): covered when
  // first_{i+1} - 1 <= seq.
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i + 1].first_seq > seq + 1) break;
    if (segments[i].name == w.segment_name) break;
    paths->push_back(JoinPath(w.dir, segments[i].name));
  }
  return Status::OK();
}

Status Wal::RemoveSegment(Env* env, const std::string& path) {
  Status s = RemoveFileInSteps(env, path);
  const std::string torn = path + ".torn";
  if (s.ok() && env->FileExists(torn)) s = env->RemoveFile(torn);
  return s;
}

Status Wal::DeleteSegmentsBefore(uint64_t seq) {
  std::vector<std::string> paths;
  Status s = CoveredSegments(seq, &paths);
  for (const std::string& path : paths) {
    Status r = RemoveSegment(impl_->env, path);
    if (!r.ok() && s.ok()) s = r;
  }
  return s;
}

uint64_t Wal::durable_seq() const { return impl_->durable_seq; }
uint64_t Wal::appended_seq() const { return impl_->appended_seq; }
uint64_t Wal::durable_bytes() const { return impl_->durable_bytes; }
const std::string& Wal::segment_name() const { return impl_->segment_name; }

}  // namespace bangdan
