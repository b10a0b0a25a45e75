// The /v1/stream protocol: parsing requests with simdjson's On-Demand API and
// writing views as JSON without any intermediate document.
//
// Requests are read in one pass over the object's fields, in whatever order
// the client wrote them, into plain locals; the rules that relate fields
// (scope against board, top against around) are checked afterwards, so an
// error names the field regardless of order.
#include "stream_protocol.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <simdjson.h>

#include "bangdan/event.h"
#include "bangdan/event_parser.h"

namespace bangdan {

namespace od = simdjson::ondemand;

struct StreamRequestParser::Impl {
  od::parser parser;
  std::string padded;  // the message copied with SIMDJSON_PADDING bytes after it
};

StreamRequestParser::StreamRequestParser(uint32_t max_depth) : impl_(new Impl) {
  // Fixes the depth limit; iterate() grows the capacity later as needed
  // (and retries the allocation should this one fail).
  if (impl_->parser.allocate(1024, max_depth) != simdjson::SUCCESS) return;
}

StreamRequestParser::~StreamRequestParser() = default;

namespace {

Status Invalid(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

// A string field: present, a string, 1 … max bytes of valid UTF-8.
Status ReadString(od::value v, std::string_view field, size_t max, std::string* out) {
  const bool is_string = v.raw_json_token().starts_with('"');
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) {
    // A string that does not decode holds an escape of no code point: a
    // lone surrogate such as \udcff (control characters fail the parse).
    return Invalid(std::string(field) + (is_string ? ": invalid UTF-8 (a lone surrogate escape)"
                                                   : ": must be a string"));
  }
  if (s.empty() || s.size() > max) {
    return Invalid(std::string(field) + ": must be 1 to " + std::to_string(max) + " bytes");
  }
  if (!IsValidUtf8(s)) return Invalid(std::string(field) + ": invalid UTF-8");
  out->assign(s);
  return Status::OK();
}

// A JSON integer in [lo, hi]; 5.0, 5e3 and "5" are not integers.
Status ReadInt(od::value v, std::string_view field, int64_t lo, int64_t hi, int64_t* out) {
  std::string_view raw = v.raw_json_token();
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' ||
                          raw.back() == '\r')) {
    raw.remove_suffix(1);
  }
  int64_t x = 0;
  auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), x);
  if (ec != std::errc() || end != raw.data() + raw.size() || x < lo || x > hi) {
    return Invalid(std::string(field) + ": must be an integer from " + std::to_string(lo) +
                   " to " + std::to_string(hi));
  }
  *out = x;
  return Status::OK();
}

bool IsNull(od::value& v) {
  od::json_type t;
  return v.type().get(t) == simdjson::SUCCESS && t == od::json_type::null;
}

struct ScopeFields {
  ScopeKind kind = ScopeKind::kNone;
  std::string key;
};

Status ReadScope(od::value v, ScopeFields* out) {
  od::object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS) {
    return Invalid("scope: must be an object such as {\"city\":\"…\"}");
  }
  uint32_t seen = 0;  // a scope given twice is an error, as a request's field is
  for (auto field_result : obj) {
    od::field field;
    std::string_view name;
    if (std::move(field_result).get(field) != simdjson::SUCCESS ||
        field.unescaped_key().get(name) != simdjson::SUCCESS) {
      return Invalid("scope: invalid JSON");
    }
    od::value value = field.value();
    std::optional<ScopeKind> kind = ParseScopeKind(name);
    if (kind) {
      const uint32_t bit = 1u << static_cast<int>(*kind);
      if (seen & bit) return Invalid("scope." + std::string(name) + ": duplicate field");
      seen |= bit;
    }
    if (IsNull(value)) continue;  // null means absent, as everywhere
    if (!kind) {
      return Invalid("scope: unknown scope '" + std::string(name) +
                     "' (city, firm or team)");
    }
    if (out->kind != ScopeKind::kNone) return Invalid("scope: at most one of city, firm, team");
    out->kind = *kind;
    const size_t max = *kind == ScopeKind::kCity ? kMaxCityBytes : kMaxNameBytes;
    Status s = ReadString(value, "scope." + std::string(name), max, &out->key);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

// Everything a request may carry, as read, before the cross-field checks.
struct Fields {
  std::optional<std::string> op, sub, board, metric, window, around;
  std::optional<int64_t> top, radius;
  ScopeFields scope;
  bool has_scope = false;
  // metric, top and radius mean nothing to the totals board, where they are
  // ignored unchecked: their errors wait until the board is known.
  Status metric_error, top_error, radius_error;
};

// Reads every field; a field that breaks its rule does not stop the reading
// (so that a later "sub" still names the error's subscription): the first
// such error is returned at the end, but for metric, top and radius (kept in
// *f). Broken JSON stops at once.
Status ReadFields(od::object obj, Fields* f) {
  // A request's field given twice is an error, as an event's is: which of
  // the two a client meant cannot be told.
  static constexpr std::string_view kKnown[] = {"op",  "sub", "board",  "metric", "window",
                                                "around", "top", "radius", "scope"};
  uint32_t seen = 0;
  Status first;
  for (auto field_result : obj) {
    od::field field;
    std::string_view name;
    if (std::move(field_result).get(field) != simdjson::SUCCESS ||
        field.unescaped_key().get(name) != simdjson::SUCCESS) {
      return Invalid("invalid JSON");
    }
    Status* error = name == "metric"   ? &f->metric_error
                    : name == "top"    ? &f->top_error
                    : name == "radius" ? &f->radius_error
                                       : &first;
    const auto known = std::find(std::begin(kKnown), std::end(kKnown), name) - std::begin(kKnown);
    if (known < std::ssize(kKnown)) {
      if (seen >> known & 1) {
        if (error->ok()) *error = Invalid(std::string(name) + ": duplicate field");
        continue;
      }
      seen |= 1u << known;
    }
    od::value v = field.value();
    // null means absent (SPEC §1's rule, kept for requests too).
    if (IsNull(v)) continue;
    Status s;
    std::string text;
    auto read_text = [&](std::optional<std::string>* slot, size_t max) {
      s = ReadString(v, name, max, &text);
      if (s.ok()) *slot = std::move(text);
    };
    if (name == "op") {
      read_text(&f->op, 32);
    } else if (name == "sub") {
      read_text(&f->sub, kMaxSubBytes);
    } else if (name == "board") {
      read_text(&f->board, 32);
    } else if (name == "metric") {
      read_text(&f->metric, 32);
    } else if (name == "window") {
      read_text(&f->window, 32);
    } else if (name == "around") {
      read_text(&f->around, kMaxNameBytes);
    } else if (name == "top") {
      int64_t x = 0;
      s = ReadInt(v, "top", 1, kMaxTop, &x);
      if (s.ok()) f->top = x;
    } else if (name == "radius") {
      int64_t x = 0;
      s = ReadInt(v, "radius", 0, kMaxRadius, &x);
      if (s.ok()) f->radius = x;
    } else if (name == "scope") {
      f->has_scope = true;
      s = ReadScope(v, &f->scope);
    }
    // Unknown fields are ignored, as in events (SPEC §1).
    if (!s.ok() && error->ok()) *error = std::move(s);
  }
  return first;
}

Status BuildSubscribe(const Fields& f, ViewSpec* spec) {
  *spec = ViewSpec();
  if (!f.board) return Invalid("board: required");
  WindowSpec window = WindowSpec::Total();
  if (f.window) {
    Status s = ParseWindow(*f.window, &window);
    if (!s.ok()) return s;  // "window: 'week' is not total, day or …"
  }
  spec->board.window = window;
  if (*f.board == "totals") {
    // The grand totals have no scope, ranking or key; metric, top and radius
    // are meaningless there and ignored, valid or not, but a scope or a key
    // would silently change what the client thinks it watches: refused.
    if (f.scope.kind != ScopeKind::kNone) return Invalid("scope: the totals board has no scope");
    if (f.around) return Invalid("around: the totals board has no keys");
    spec->kind = ViewSpec::Kind::kTotals;
    return Status::OK();
  }
  std::optional<Dimension> dim = ParseDimension(*f.board);
  if (!dim) return Invalid("unknown board '" + *f.board + "'");
  spec->board.dim = *dim;
  if (!ScopeAllowed(*dim, f.scope.kind)) {
    return Invalid("scope: " + std::string(ScopeName(f.scope.kind)) +
                   " is not a scope of board '" + *f.board + "'");
  }
  spec->board.scope = f.scope.kind;
  spec->board.scope_key = f.scope.key;
  for (const Status* error : {&f.metric_error, &f.top_error, &f.radius_error}) {
    if (!error->ok()) return *error;
  }
  if (f.metric) {
    std::optional<Metric> m = ParseMetric(*f.metric);
    if (!m) return Invalid("metric: unknown metric '" + *f.metric + "'");
    spec->metric = *m;
  }
  if (f.around) {
    if (f.top) return Invalid("top: cannot be combined with around");
    spec->kind = ViewSpec::Kind::kAround;
    spec->around_key = *f.around;
    spec->radius = static_cast<uint32_t>(f.radius.value_or(0));
  } else {
    if (f.radius) return Invalid("radius: only with around");
    spec->kind = ViewSpec::Kind::kTop;
    spec->top = static_cast<uint32_t>(f.top.value_or(kDefaultTop));
  }
  return Status::OK();
}

}  // namespace

Status StreamRequestParser::Parse(std::string_view text, StreamRequest* out,
                                  std::optional<std::string>* sub_seen) {
  sub_seen->reset();
  Impl& im = *impl_;
  im.padded.assign(text);
  im.padded.resize(text.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  if (im.parser.iterate(im.padded.data(), text.size(), im.padded.size()).get(doc) !=
      simdjson::SUCCESS) {
    return Invalid("invalid JSON");
  }
  od::json_type type;
  if (doc.type().get(type) != simdjson::SUCCESS) return Invalid("invalid JSON");
  if (type != od::json_type::object) {
    // On-Demand looks no further than it must: check that the scalar is one,
    // so that "not json" is called invalid JSON rather than a wrong shape.
    bool scalar_ok = true;
    if (type == od::json_type::null) {
      bool is_null = false;
      scalar_ok = doc.is_null().get(is_null) == simdjson::SUCCESS && is_null;
    } else if (type == od::json_type::boolean) {
      bool b;
      scalar_ok = doc.get_bool().get(b) == simdjson::SUCCESS;
    } else if (type == od::json_type::number) {
      double d;
      scalar_ok = doc.get_double().get(d) == simdjson::SUCCESS;
    }
    if (!scalar_ok) return Invalid("invalid JSON");
    return Invalid("message: must be a JSON object with an \"op\"");
  }
  od::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return Invalid("invalid JSON");
  Fields f;
  Status s = ReadFields(obj, &f);
  if (f.sub) *sub_seen = f.sub;
  if (!s.ok()) return s;
  if (!f.op) return Invalid("op: required");
  if (*f.op == "subscribe") {
    out->op = StreamRequest::Op::kSubscribe;
  } else if (*f.op == "unsubscribe") {
    out->op = StreamRequest::Op::kUnsubscribe;
  } else {
    return Invalid("op: unknown op '" + *f.op + "' (subscribe or unsubscribe)");
  }
  if (!f.sub) return Invalid("sub: required");
  out->sub = *f.sub;
  if (out->op == StreamRequest::Op::kSubscribe) return BuildSubscribe(f, &out->spec);
  return Status::OK();
}

// ---- Output ----

std::string StreamErrorMessage(const std::optional<std::string>& sub, std::string_view error) {
  std::string out = "{\"type\":\"error\",\"sub\":";
  if (sub) {
    AppendJsonString(&out, *sub);
  } else {
    out += "null";
  }
  out += ",\"error\":";
  AppendJsonString(&out, error);
  out += '}';
  return out;
}

std::string FramePrefix(bool snapshot, std::string_view sub) {
  std::string out = snapshot ? "{\"type\":\"snapshot\",\"sub\":" : "{\"type\":\"update\",\"sub\":";
  AppendJsonString(&out, sub);
  out += ',';
  return out;
}

namespace {

void AppendInt(std::string* out, int64_t x) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  (void)ec;
  out->append(buf, end);
}

void AppendUint(std::string* out, uint64_t x) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  (void)ec;
  out->append(buf, end);
}

void AppendRows(const LiveView& view, bool snapshot, std::string* out) {
  out->append("\"rows\":[");
  bool first = true;
  for (const ViewRow& r : view.rows()) {
    if (!first) out->push_back(',');
    first = false;
    out->append("{\"rank\":");
    AppendUint(out, r.rank);
    out->append(",\"key\":");
    AppendJsonString(out, r.key);
    out->append(",\"weight_g\":");
    AppendInt(out, r.weight_g);
    out->append(",\"amount_fen\":");
    AppendInt(out, r.amount_fen);
    out->append(",\"orders\":");
    AppendInt(out, r.orders);
    out->append(",\"prev_rank\":");
    if (!snapshot && r.prev_rank) {
      AppendUint(out, *r.prev_rank);
    } else {
      out->append("null");
    }
    out->push_back('}');
  }
  out->push_back(']');
}

}  // namespace

void AppendViewBody(const LiveView& view, bool snapshot, std::string* out) {
  const ViewSpec& spec = view.spec();
  out->append("\"version\":");
  AppendUint(out, view.version());
  if (spec.kind == ViewSpec::Kind::kTotals) {
    const Totals& t = view.totals();
    out->append(",\"window\":");
    AppendJsonString(out, WindowName(spec.board.window));
    out->append(",\"weight_g\":");
    AppendInt(out, t.weight_g);
    out->append(",\"amount_fen\":");
    AppendInt(out, t.amount_fen);
    out->append(",\"orders\":");
    AppendInt(out, t.orders);
    out->append(",\"events\":");
    AppendUint(out, t.events);
    out->append(",\"entities\":{");
    for (int d = 0; d < kDimensionCount; ++d) {
      if (d > 0) out->push_back(',');
      AppendJsonString(out, DimensionName(static_cast<Dimension>(d)));
      out->push_back(':');
      AppendUint(out, t.entities[d]);
    }
    out->append("}}");
    return;
  }
  out->append(",\"count\":");
  AppendUint(out, view.count());
  if (spec.kind == ViewSpec::Kind::kAround) {
    out->append(",\"rank\":");
    if (view.rank()) {
      AppendUint(out, *view.rank());
    } else {
      out->append("null");
    }
  }
  out->push_back(',');
  AppendRows(view, snapshot, out);
  out->push_back('}');
}

}  // namespace bangdan
