#include "queries.h"

#include <charconv>
#include <chrono>
#include <initializer_list>
#include <vector>

#include "bangdan/event.h"
#include "json_writer.h"
#include "log.h"

namespace bangdan {
namespace {

constexpr uint64_t kMaxLimit = 1000;
constexpr uint64_t kDefaultLimit = 10;
constexpr uint64_t kMaxRadius = 500;

// The parameters common to boards and entries, validated.
struct BoardParams {
  BoardRef ref;
  Metric metric = Metric::kWeight;
  uint64_t offset = 0;
  uint64_t limit = kDefaultLimit;
  uint64_t radius = 0;
  bool csv = false;
};

bool ParseNumber(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Refuses parameters not in `allowed`, even empty ones (a typo such as
// `metirc=` must not quietly answer the default board), and parameters given
// twice with a value.
Status CheckNames(const std::vector<QueryParam>& params, std::initializer_list<std::string_view> allowed) {
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string& name = params[i].name;
    bool known = name == "token";
    for (std::string_view a : allowed) known = known || name == a;
    if (!known) return Status::InvalidArgument(name + ": unknown parameter");
    if (params[i].value.empty()) continue;
    for (size_t j = 0; j < i; ++j)
      if (params[j].name == name && !params[j].value.empty())
        return Status::InvalidArgument(name + ": given more than once");
  }
  return Status::OK();
}

// The parameters that have a value. One given empty (`metric=`, as a form
// with an unfilled field sends it, and as SPEC §4 writes the query's
// template: `?metric=&window=&city=…`) counts as not given: its default.
std::vector<QueryParam> GivenParams(const std::vector<QueryParam>& params) {
  std::vector<QueryParam> given = params;
  std::erase_if(given, [](const QueryParam& p) { return p.value.empty(); });
  return given;
}

Status ParseWindowParam(const std::vector<QueryParam>& params, WindowSpec* w) {
  auto v = FindParam(params, "window");
  if (!v) return Status::OK();
  return ParseWindow(*v, w);
}

Status ParseBoardParams(const RoutedRequest& req, bool entry, BoardParams* p) {
  std::vector<QueryParam> q = req.params;
  // A CSV download is the whole board: offset and limit are ignored (SPEC §4)
  // without being checked, so that any page's link plus format=csv downloads.
  if (!entry && FindParam(q, "format") == "csv") {
    std::erase_if(q, [](const QueryParam& x) { return x.name == "offset" || x.name == "limit"; });
  }
  Status s = entry ? CheckNames(q, {"metric", "window", "city", "firm", "team", "radius"})
                   : CheckNames(q, {"metric", "window", "city", "firm", "team", "offset", "limit", "format"});
  if (!s.ok()) return s;
  q = GivenParams(q);
  auto dim = ParseDimension(req.segments[2]);
  if (!dim) return Status::NotFound("unknown board '" + req.segments[2] + "'");
  p->ref.dim = *dim;
  if (auto v = FindParam(q, "metric")) {
    auto m = ParseMetric(*v);
    if (!m) return Status::InvalidArgument("metric: must be weight_g, amount_fen or orders");
    p->metric = *m;
  }
  s = ParseWindowParam(q, &p->ref.window);
  if (!s.ok()) return s;
  for (std::string_view name : {"city", "firm", "team"}) {
    auto v = FindParam(q, name);
    if (!v) continue;
    ScopeKind kind = *ParseScopeKind(name);
    if (p->ref.scope != ScopeKind::kNone)
      return Status::InvalidArgument(std::string(name) + ": only one scope (city, firm or team) may be given");
    if (!ScopeAllowed(p->ref.dim, kind))
      return Status::InvalidArgument(std::string(name) + ": board '" + req.segments[2] +
                                     "' cannot be scoped by " + std::string(name));
    // A key no event can carry is an error, as in a /v1/stream scope, not
    // an empty board: it is most likely a mistake in the link.
    const size_t max = kind == ScopeKind::kCity ? kMaxCityBytes : kMaxNameBytes;
    if (v->size() > max)
      return Status::InvalidArgument(std::string(name) + ": must be 1 to " + std::to_string(max) + " bytes");
    p->ref.scope = kind;
    p->ref.scope_key = std::string(*v);
  }
  if (auto v = FindParam(q, "offset")) {
    if (!ParseNumber(*v, &p->offset)) return Status::InvalidArgument("offset: must be an unsigned integer");
  }
  if (auto v = FindParam(q, "limit")) {
    if (!ParseNumber(*v, &p->limit) || p->limit > kMaxLimit)
      return Status::InvalidArgument("limit: must be an integer from 0 to 1000");
  }
  if (auto v = FindParam(q, "radius")) {
    if (!ParseNumber(*v, &p->radius) || p->radius > kMaxRadius)
      return Status::InvalidArgument("radius: must be an integer from 0 to 500");
  }
  if (auto v = FindParam(q, "format")) {
    if (*v == "csv") p->csv = true;
    else if (*v != "json") return Status::InvalidArgument("format: must be json or csv");
  }
  return Status::OK();
}

HttpAnswer FromStatus(const Status& s) {
  return ErrorAnswer(s.IsNotFound() ? 404 : s.IsInvalidArgument() ? 400 : 500, s.message());
}

void WriteRow(JsonWriter& w, const BoardRow& r) {
  w.BeginObject().Key("rank").Uint(r.rank).Key("key").String(r.key);
  w.Key("weight_g").Int(r.weight_g).Key("amount_fen").Int(r.amount_fen).Key("orders").Int(r.orders);
  w.EndObject();
}

void WriteScope(JsonWriter& w, const BoardRef& ref) {
  w.Key("scope").BeginObject();
  if (ref.scope != ScopeKind::kNone) w.Key(ScopeName(ref.scope)).String(ref.scope_key);
  w.EndObject();
}

HttpAnswer BoardCsv(const BoardParams& p, const BoardPage& page) {
  HttpAnswer a;
  a.content_type = "text/csv; charset=utf-8";
  a.content_disposition = "attachment; filename=\"" + std::string(DimensionName(p.ref.dim)) + "-" +
                          std::string(MetricName(p.metric)) + ".csv\"";
  std::string& out = a.body;
  out.reserve(64 + page.rows.size() * 48);
  out += "\xEF\xBB\xBF" "rank,key,weight_g,amount_fen,orders\r\n";
  char buf[24];
  auto num = [&out, &buf](auto v) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
  };
  for (const BoardRow& r : page.rows) {
    num(r.rank);
    out.push_back(',');
    AppendCsvField(&out, r.key);
    out.push_back(',');
    num(r.weight_g);
    out.push_back(',');
    num(r.amount_fen);
    out.push_back(',');
    num(r.orders);
    out += "\r\n";
  }
  return a;
}

// The whole board, what an organiser downloads at the end: one walk of its
// ordering under the engine lock, so that the rows are one consistent state.
// What can be done outside the lock is: the rows' memory is taken and
// touched before (a million rows are 48 MB, ~12,000 page faults), and the
// text is written after.
HttpAnswer AnswerCsv(Engine& engine, std::mutex& engine_mu, const BoardParams& p, int64_t now_ms) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  uint64_t count = 0;
  {
    std::lock_guard lk(engine_mu);
    count = engine.Count(p.ref, now_ms);
  }
  BoardPage page;
  page.rows.resize(count + count / 8 + 64);  // room for the entities new meanwhile
  page.rows.clear();
  Status s;
  const auto locked = Clock::now();
  {
    std::lock_guard lk(engine_mu);
    s = engine.Top(p.ref, p.metric, 0, engine.Count(p.ref, now_ms), now_ms, &page);
  }
  const auto unlocked = Clock::now();
  if (!s.ok()) return FromStatus(s);
  HttpAnswer a = BoardCsv(p, page);
  if (LogEnabled(LogLevel::kDebug)) {
    auto ms = [](auto d) { return std::to_string(std::chrono::duration<double, std::milli>(d).count()); };
    LogDebug("csv download of board " + std::string(DimensionName(p.ref.dim)) + ": " +
             std::to_string(page.rows.size()) + " rows, engine lock held " + ms(unlocked - locked) +
             " ms, answer ready in " + ms(Clock::now() - start) + " ms");
  }
  return a;
}

}  // namespace

void AppendCsvField(std::string* out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(field);
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

bool IsCsvDownload(const RoutedRequest& req) {
  return req.route == Route::kBoard && FindParam(req.params, "format") == "csv";
}

HttpAnswer AnswerBoard(Engine& engine, std::mutex& engine_mu, const RoutedRequest& req, int64_t now_ms) {
  BoardParams p;
  Status s = ParseBoardParams(req, false, &p);
  if (!s.ok()) return FromStatus(s);
  if (p.csv) return AnswerCsv(engine, engine_mu, p, now_ms);
  BoardPage page;
  {
    std::lock_guard lk(engine_mu);
    s = engine.Top(p.ref, p.metric, p.offset, p.limit, now_ms, &page);
  }
  // Row keys are interned by the engine and stay valid after the lock.
  if (!s.ok()) return FromStatus(s);
  HttpAnswer a;
  a.body.reserve(128 + page.rows.size() * 96);
  JsonWriter w(&a.body);
  w.BeginObject().Key("board").String(DimensionName(p.ref.dim)).Key("metric").String(MetricName(p.metric));
  w.Key("window").String(WindowName(p.ref.window));
  WriteScope(w, p.ref);
  w.Key("count").Uint(page.count).Key("rows").BeginArray();
  for (const BoardRow& r : page.rows) WriteRow(w, r);
  w.EndArray().EndObject();
  return a;
}

HttpAnswer AnswerEntry(Engine& engine, std::mutex& engine_mu, const RoutedRequest& req, int64_t now_ms) {
  BoardParams p;
  Status s = ParseBoardParams(req, true, &p);
  if (!s.ok()) return FromStatus(s);
  const std::string& key = req.segments[4];
  if (key.empty()) return ErrorAnswer(400, "key: must not be empty");
  EntryResult entry;
  {
    std::lock_guard lk(engine_mu);
    s = engine.Entry(p.ref, p.metric, key, static_cast<uint32_t>(p.radius), now_ms, &entry);
  }
  if (!s.ok()) return FromStatus(s);
  HttpAnswer a;
  JsonWriter w(&a.body);
  w.BeginObject().Key("rank").Uint(entry.row.rank).Key("row");
  WriteRow(w, entry.row);
  w.Key("around").BeginArray();
  for (const BoardRow& r : entry.around) WriteRow(w, r);
  w.EndArray().EndObject();
  return a;
}

HttpAnswer AnswerTotals(Engine& engine, std::mutex& engine_mu, const RoutedRequest& req, int64_t now_ms) {
  Status s = CheckNames(req.params, {"window"});
  const std::vector<QueryParam> q = GivenParams(req.params);
  WindowSpec window;
  if (s.ok()) s = ParseWindowParam(q, &window);
  if (!s.ok()) return FromStatus(s);
  Totals t;
  {
    std::lock_guard lk(engine_mu);
    t = engine.GetTotals(window, now_ms);
  }
  HttpAnswer a;
  JsonWriter w(&a.body);
  w.BeginObject().Key("window").String(WindowName(window));
  w.Key("weight_g").Int(t.weight_g).Key("amount_fen").Int(t.amount_fen).Key("orders").Int(t.orders);
  w.Key("events").Uint(t.events).Key("entities").BeginObject();
  for (int d = 0; d < kDimensionCount; ++d)
    w.Key(DimensionName(static_cast<Dimension>(d))).Uint(t.entities[d]);
  w.EndObject().EndObject();
  return a;
}

}  // namespace bangdan
