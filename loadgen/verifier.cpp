#include "verifier.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "http_client.h"
#include "model.h"

namespace bangdan::loadgen {
namespace {

constexpr const char* kMetricNames[] = {"weight_g", "amount_fen", "orders"};
constexpr size_t kMaxReported = 30;

bool ParseInt(std::string_view s, int64_t* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

// Splits one CSV record at *pos; RFC 4180: quoted fields may hold commas,
// doubled quotes and line breaks.
bool NextRecord(std::string_view csv, size_t* pos, std::vector<std::string>* fields) {
  fields->clear();
  if (*pos >= csv.size()) return false;
  std::string field;
  bool quoted = false, was_quoted = false;
  size_t i = *pos;
  for (; i < csv.size(); ++i) {
    char c = csv[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < csv.size() && csv[i + 1] == '"') { field.push_back('"'); ++i; }
        else quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < csv.size() && csv[i + 1] == '\n') ++i;
      ++i;
      break;
    } else {
      field.push_back(c);
    }
  }
  fields->push_back(std::move(field));
  *pos = i;
  return true;
}

std::string Describe(const std::string& key, int64_t w, int64_t a, int64_t o) {
  return key + " (" + std::to_string(w) + " g, " + std::to_string(a) + " fen, " + std::to_string(o) + " orders)";
}

class Checker {
 public:
  Checker(const VerifyInput& in, const Model& model, HttpClient& http, VerifyResult* result)
      : in_(in), model_(model), http_(http), r_(result) {}

  void Difference(std::string text) {
    ++r_->differences;
    if (r_->first_differences.size() < kMaxReported) r_->first_differences.push_back(std::move(text));
  }

  // The server stopped answering at all (not an HTTP error): checking the
  // remaining boards would only repeat that thousands of times.
  bool server_gone() const { return gone_; }

  void CheckTotals(const std::string& window) {
    std::string target = "/v1/totals?window=" + window;
    int status = 0;
    std::string body;
    Status s = http_.Get(target, &status, &body);
    if (!s.ok()) gone_ = true;
    if (!s.ok() || status != 200) {
      return Difference(target + ": " + (s.ok() ? "HTTP " + std::to_string(status) + " " + body.substr(0, 200) : s.message()));
    }
    struct Want { const char* field; int64_t value; };
    const Want wants[] = {
        {"weight_g", model_.total(Metric::kWeight)}, {"amount_fen", model_.total(Metric::kAmount)},
        {"orders", model_.total(Metric::kOrders)}, {"events", static_cast<int64_t>(model_.events())},
        {"city", static_cast<int64_t>(model_.entities(BoardKind::kCity))},
        {"firm", static_cast<int64_t>(model_.entities(BoardKind::kFirm))},
        {"team", static_cast<int64_t>(model_.entities(BoardKind::kTeam))},
        {"user", static_cast<int64_t>(model_.entities(BoardKind::kUser))},
        {"product", static_cast<int64_t>(model_.entities(BoardKind::kProduct))}};
    for (const Want& w : wants) {
      // Field names are unique within the totals object (the entity counts
      // sit in a nested object under names no top-level field uses).
      std::string pattern;
      pattern.append("\"").append(w.field).append("\":");
      size_t at = body.find(pattern);
      int64_t got = 0;
      bool found = false;
      if (at != std::string::npos) {
        size_t p = at + pattern.size();
        while (p < body.size() && body[p] == ' ') ++p;
        size_t e = p;
        while (e < body.size() && (body[e] == '-' || (body[e] >= '0' && body[e] <= '9'))) ++e;
        found = ParseInt(std::string_view(body).substr(p, e - p), &got);
      }
      if (!found) Difference(target + ": no integer field '" + w.field + "' in " + body.substr(0, 200));
      else if (got != w.value) {
        Difference(target + ": " + w.field + " is " + std::to_string(got) + ", expected " + std::to_string(w.value));
      }
    }
  }

  void CheckBoard(BoardKind kind, uint32_t scope, Metric metric, const std::string& window) {
    BoardKindInfo info = InfoOf(kind);
    std::string target = std::string("/v1/boards/") + info.board + "?metric=" + kMetricNames[static_cast<int>(metric)] +
                         "&window=" + window + "&format=csv";
    std::string label = std::string(info.board);
    if (*info.scope) {
      const std::string& scope_name = model_.ScopeName(kind, scope);
      target += std::string("&") + info.scope + "=" + PercentEncode(scope_name);
      label += std::string("?") + info.scope + "=" + scope_name;
    }
    label += std::string(" by ") + kMetricNames[static_cast<int>(metric)] + " (" + window + ")";
    ++r_->boards;
    int status = 0;
    std::string body;
    Status s = http_.Get(target, &status, &body);
    if (!s.ok()) gone_ = true;
    if (!s.ok() || status != 200) {
      return Difference(label + ": " + (s.ok() ? "HTTP " + std::to_string(status) + " " + body.substr(0, 200) : s.message()));
    }
    std::vector<CsvRow> got;
    if (Status p = ParseBoardCsv(body, &got); !p.ok()) return Difference(label + ": " + p.message());
    std::vector<ExpectedRow> want = model_.Board(kind, scope, metric);
    if (got.size() != want.size()) {
      Difference(label + ": " + std::to_string(got.size()) + " rows, expected " + std::to_string(want.size()));
    }
    std::unordered_map<std::string_view, const Row*> by_key;
    for (const ExpectedRow& w : want) by_key.emplace(model_.KeyName(kind, w.key), &w.row);
    std::unordered_set<std::string_view> seen;  // a key twice would hide a missing one
    int m = static_cast<int>(metric);
    for (size_t i = 0; i < got.size(); ++i) {
      ++r_->rows;
      const CsvRow& g = got[i];
      std::string where = label + " row " + std::to_string(i + 1) + ": ";
      if (g.rank != i + 1) Difference(where + "rank " + std::to_string(g.rank));
      if (!seen.insert(g.key).second) {
        Difference(where + g.key + " is on the board twice");
        continue;
      }
      auto it = by_key.find(g.key);
      if (it == by_key.end()) {
        Difference(where + Describe(g.key, g.weight_g, g.amount_fen, g.orders) + " should not be on the board");
        continue;
      }
      const Row& w = *it->second;
      if (g.weight_g != w.value[0] || g.amount_fen != w.value[1] || g.orders != w.value[2]) {
        Difference(where + "server has " + Describe(g.key, g.weight_g, g.amount_fen, g.orders) + ", expected " +
                   Describe(g.key, w.value[0], w.value[1], w.value[2]));
        continue;
      }
      if (r_->exact_order) {
        if (i < want.size() && model_.KeyName(kind, want[i].key) != g.key) {
          const ExpectedRow& e = want[i];
          Difference(where + "server has " + g.key + ", expected " +
                     Describe(model_.KeyName(kind, e.key), e.row.value[0], e.row.value[1], e.row.value[2]) +
                     " (last changed at seq " + std::to_string(e.row.last_change[m]) + ", " + g.key + " at seq " +
                     std::to_string(w.last_change[m]) + ")");
        }
      } else if (i > 0) {
        int64_t prev = metric == Metric::kWeight ? got[i - 1].weight_g
                       : metric == Metric::kAmount ? got[i - 1].amount_fen : got[i - 1].orders;
        if (prev < w.value[m]) Difference(where + "out of order: " + std::to_string(w.value[m]) + " after " + std::to_string(prev));
      }
    }
  }

 private:
  const VerifyInput& in_;
  const Model& model_;
  HttpClient& http_;
  VerifyResult* r_;
  bool gone_ = false;
};

}  // namespace

Status ParseBoardCsv(std::string_view csv, std::vector<CsvRow>* rows) {
  rows->clear();
  if (csv.starts_with("\xEF\xBB\xBF")) csv.remove_prefix(3);
  size_t pos = 0;
  std::vector<std::string> fields;
  if (!NextRecord(csv, &pos, &fields) || fields.size() != 5 || fields[0] != "rank" || fields[1] != "key") {
    return Status::Corruption("CSV header is not rank,key,weight_g,amount_fen,orders");
  }
  while (NextRecord(csv, &pos, &fields)) {
    if (fields.size() == 1 && fields[0].empty()) continue;  // trailing line break
    CsvRow row;
    int64_t rank = 0;
    if (fields.size() != 5 || !ParseInt(fields[0], &rank) || !ParseInt(fields[2], &row.weight_g) ||
        !ParseInt(fields[3], &row.amount_fen) || !ParseInt(fields[4], &row.orders)) {
      return Status::Corruption("CSV row " + std::to_string(rows->size() + 1) + " is malformed");
    }
    row.rank = static_cast<uint64_t>(rank);
    row.key = std::move(fields[1]);
    rows->push_back(std::move(row));
  }
  return Status::OK();
}

std::string DayAt(int64_t unix_ms, const std::string& tz) {
  int sign = tz[0] == '-' ? -1 : 1;
  int64_t offset_s = sign * (std::stoi(tz.substr(1, 2)) * 3600 + std::stoi(tz.substr(4, 2)) * 60);
  time_t t = static_cast<time_t>(unix_ms / 1000 + offset_s);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[16];
  strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

VerifyResult Verify(const VerifyInput& in, const std::function<void(const VerifyProgress&)>& progress) {
  VerifyResult result;
  Model model(*in.campaign);
  std::vector<FrameRecord> frames;
  for (const FrameRecord& f : in.frames) {
    if (f.accepted > 0) frames.push_back(f);
  }
  std::sort(frames.begin(), frames.end(), [](const FrameRecord& a, const FrameRecord& b) { return a.seq < b.seq; });
  // Exact seqs if the frames' ranges [seq - accepted + 1, seq] tile 1..N: each
  // frame's events are then the only ones that can hold those seqs.
  result.exact_order = true;
  uint64_t end = 0;
  for (const FrameRecord& f : frames) {
    if (f.seq < f.accepted || f.seq - f.accepted != end) result.exact_order = false;
    end = f.seq;
  }
  std::set<std::tuple<uint32_t, uint64_t, uint32_t>> rejected;
  for (const RejectedSlot& r : in.rejected) rejected.emplace(r.conn, r.k, r.index);
  const FramePool& pool = *in.pool;
  VerifyProgress done{.frames = frames.size()};
  auto tell = [&progress, &done] {
    if (progress) progress(done);
  };
  for (const FrameRecord& f : frames) {
    // Not every frame: at --batch 1 telling would cost as much as applying.
    if (done.frames_applied++ % 1024 == 0) tell();
    const FrameTemplate& t = pool.TemplateFor(f.conn, in.options->connections, f.k);
    uint64_t seq = result.exact_order ? f.seq - f.accepted + 1 : f.seq;
    for (uint32_t j = 0; j < t.slots.size(); ++j) {
      const Slot& slot = t.slots[j];
      if (pool.IsRetry(f.k, slot) || (!rejected.empty() && rejected.count({f.conn, f.k, j}))) continue;
      model.Apply(pool.events()[slot.event], seq);
      if (result.exact_order) ++seq;
    }
  }

  HttpClient http(in.options->host, in.options->port, in.options->read_token);
  Checker checker(in, model, http, &result);
  std::vector<std::string> windows = {"total"};
  if (!in.day.empty()) windows.push_back("day:" + in.day);
  // Every board and scope that has events, each compared by every metric
  // in every window: known before the first fetch, so that the progress
  // line can say how many remain.
  std::vector<std::pair<BoardKind, uint32_t>> boards;
  for (int k = 0; k < kBoardKinds; ++k) {
    BoardKind kind = static_cast<BoardKind>(k);
    std::vector<uint32_t> scopes = model.Scopes(kind);
    uint32_t cap = in.options->verify_scopes;
    if (*InfoOf(kind).scope && cap > 0 && scopes.size() > cap) scopes.resize(cap);
    for (uint32_t scope : scopes) boards.emplace_back(kind, scope);
  }
  done.boards = windows.size() * boards.size() * 3;
  for (const std::string& window : windows) {
    checker.CheckTotals(window);
    for (const auto& [kind, scope] : boards) {
      if (checker.server_gone()) break;
      for (int m = 0; m < 3 && !checker.server_gone(); ++m) {
        checker.CheckBoard(kind, scope, static_cast<Metric>(m), window);
        done.boards_compared = result.boards;
        done.differences = result.differences;
        tell();
      }
    }
    if (checker.server_gone()) {
      checker.Difference("the server stopped answering: the boards after this were not compared");
      break;
    }
  }
  result.ok = result.differences == 0;
  return result;
}

}  // namespace bangdan::loadgen
