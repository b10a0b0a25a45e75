#include "workload.h"

#include <algorithm>

namespace bangdan::loadgen {
namespace {

// Real prefecture-level cities first, so small runs look like the campaign
// this was built for; numbered ones after them.
constexpr const char* kCityNames[] = {
    "合肥", "芜湖", "蚌埠", "淮南", "马鞍山", "淮北", "铜陵", "安庆", "黄山", "滁州",
    "阜阳", "宿州", "六安", "亳州", "池州", "宣城", "南京", "杭州", "上海", "苏州",
    "武汉", "长沙", "成都", "重庆", "西安", "郑州", "济南", "青岛", "福州", "厦门",
    "广州", "深圳", "南昌", "贵阳", "昆明", "南宁", "兰州", "银川", "西宁", "拉萨"};

std::vector<std::string> Numbered(uint32_t n, const char* stem) {
  std::vector<std::string> out;
  out.reserve(n);
  for (uint32_t i = 0; i < n; ++i) out.push_back(stem + std::to_string(i + 1));
  return out;
}

void AppendJsonString(std::string_view s, std::string* out) {
  // Generated names and the validated id prefix need no escapes.
  out->push_back('"');
  out->append(s);
  out->push_back('"');
}

constexpr char kHex[] = "0123456789abcdef";

void WriteHex16(uint64_t v, char* at) {
  for (int i = 15; i >= 0; --i, v >>= 4) at[i] = kHex[v & 15];
}

}  // namespace

Campaign::Campaign(const Options& o)
    : firms_(Numbered(o.firms, "物业")),
      teams_(Numbered(o.teams, "战队")),
      users_(Numbered(o.users, "u")),
      products_(Numbered(o.products, "农品")),
      user_sampler_(o.users, o.zipf),
      product_sampler_(o.products, o.zipf) {
  cities_.reserve(o.cities);
  for (uint32_t i = 0; i < o.cities; ++i) {
    cities_.push_back(i < std::size(kCityNames) ? std::string(kCityNames[i]) : "城市" + std::to_string(i + 1));
  }
  // The membership tables come from their own stream so that they do not
  // depend on how many events are drawn.
  Rng rng(o.seed * 0x9e3779b97f4a7c15ULL + 17);
  ZipfSampler city_sampler(o.cities, o.zipf), firm_sampler(o.firms, o.zipf), team_sampler(o.teams, o.zipf);
  firm_of_team_.resize(o.teams);
  city_of_team_.resize(o.teams);
  for (uint32_t t = 0; t < o.teams; ++t) {
    firm_of_team_[t] = firm_sampler.Sample(rng);
    city_of_team_[t] = city_sampler.Sample(rng);
  }
  team_of_user_.resize(o.users);
  for (uint32_t u = 0; u < o.users; ++u) team_of_user_[u] = team_sampler.Sample(rng);
  price_fen_per_jin_.resize(o.products);
  for (uint32_t p = 0; p < o.products; ++p) price_fen_per_jin_[p] = 150 + static_cast<int64_t>(rng.Below(2'850));
}

GenEvent Campaign::Purchase(Rng& rng) const {
  GenEvent e{};
  e.user = user_sampler_.Sample(rng);
  e.team = team_of_user_[e.user];
  e.firm = firm_of_team_[e.team];
  e.city = city_of_team_[e.team];
  e.product = product_sampler_.Sample(rng);
  // Half a jin to ten jin, in 50 g steps; the money follows the product's price.
  e.weight_g = 250 + 50 * static_cast<int64_t>(rng.Below(96));
  e.amount_fen = e.weight_g * price_fen_per_jin_[e.product] / 500;
  e.refund = false;
  return e;
}

void AppendEventJson(const Campaign& c, const GenEvent& e, const std::string& id_prefix,
                     std::string* out, uint32_t* id_offset) {
  out->append("{\"id\":\"");
  out->append(id_prefix);
  out->push_back('-');
  *id_offset = static_cast<uint32_t>(out->size());
  out->append(16, '0');
  out->append("\",\"city\":");
  AppendJsonString(c.city(e.city), out);
  out->append(",\"firm\":");
  AppendJsonString(c.firm(e.firm), out);
  out->append(",\"team\":");
  AppendJsonString(c.team(e.team), out);
  out->append(",\"user\":");
  AppendJsonString(c.user(e.user), out);
  out->append(",\"product\":");
  AppendJsonString(c.product(e.product), out);
  out->append(",\"weight_g\":");
  out->append(std::to_string(e.weight_g));
  out->append(",\"amount_fen\":");
  out->append(std::to_string(e.amount_fen));
  if (e.refund) out->append(",\"refund\":true");
  out->push_back('}');
}

FramePool::FramePool(const Campaign& campaign, const Options& o, uint64_t pool_events,
                     uint32_t retry_distance, std::string id_prefix)
    : batch_(o.batch), retry_distance_(retry_distance), id_prefix_(std::move(id_prefix)) {
  uint64_t n_frames = std::max<uint64_t>(1, (pool_events + batch_ - 1) / batch_);
  Rng rng(o.seed);
  frames_.resize(n_frames);
  events_.reserve(n_frames * batch_);
  // Pass 1: every slot's kind and, for fresh ones, content.
  //
  // A refund takes back, whole, a purchase that whichever connection sends
  // the refund has sent before it, and that nothing else took back: so no
  // board goes below zero, however early a run stops. A connection starts
  // at its StartFrame and goes on through the pool in order, so the frames
  // from the last start at or before frame f up to f precede f on every
  // connection that sends f; the refund picks among that stretch's
  // purchases not yet refunded (none: the slot stays a purchase).
  std::vector<bool> starts(n_frames, false);
  for (uint32_t c = 0; c < o.connections; ++c) starts[StartFrame(c, o.connections, n_frames)] = true;
  std::vector<uint32_t> refundable;  // this stretch's purchases not yet taken back
  std::vector<std::vector<bool>> is_retry(n_frames, std::vector<bool>(batch_));
  for (uint64_t f = 0; f < n_frames; ++f) {
    if (starts[f]) refundable.clear();
    for (uint32_t j = 0; j < batch_; ++j) {
      double u = rng.Uniform();
      Slot slot{0, 0, -1};
      if (u < o.duplicates) {
        is_retry[f][j] = true;
      } else {
        GenEvent e = campaign.Purchase(rng);
        slot.event = static_cast<uint32_t>(events_.size());
        if (u < o.duplicates + o.refunds && !refundable.empty()) {
          const size_t pick = rng.Below(refundable.size());
          e = events_[refundable[pick]];
          e.refund = true;
          refundable[pick] = refundable.back();
          refundable.pop_back();
        } else {
          refundable.push_back(slot.event);
        }
        events_.push_back(e);
      }
      frames_[f].slots.push_back(slot);
    }
  }
  // Pass 2: a retry repeats a fresh slot of the frame retry_distance before,
  // which in every cycle of the pool is the same template. Only purchases
  // are retried: a connection's first retry_distance frames send their
  // retry slots as fresh events (nothing was acked yet to retry), and a
  // refund sent so would take back what the connection never bought.
  for (uint64_t f = 0; f < n_frames; ++f) {
    uint64_t ref = (f + n_frames - retry_distance_ % n_frames) % n_frames;
    std::vector<uint32_t> fresh;
    for (uint32_t j = 0; j < batch_; ++j) {
      if (!is_retry[ref][j] && !events_[frames_[ref].slots[j].event].refund) fresh.push_back(j);
    }
    for (uint32_t j = 0; j < batch_; ++j) {
      if (!is_retry[f][j]) continue;
      Slot& slot = frames_[f].slots[j];
      if (fresh.empty()) {
        // Nothing to retry: this slot becomes a fresh purchase after all.
        slot.event = static_cast<uint32_t>(events_.size());
        events_.push_back(campaign.Purchase(rng));
        continue;
      }
      uint32_t target = fresh[rng.Below(fresh.size())];
      slot.retry_of = static_cast<int32_t>(target);
      slot.event = frames_[ref].slots[target].event;
    }
  }
  // Pass 3: the text.
  for (FrameTemplate& frame : frames_) {
    std::string& text = frame.text;
    if (batch_ > 1) text.push_back('[');
    for (uint32_t j = 0; j < batch_; ++j) {
      if (j > 0) text.push_back(',');
      AppendEventJson(campaign, events_[frame.slots[j].event], id_prefix_, &text, &frame.slots[j].id_offset);
    }
    if (batch_ > 1) text.push_back(']');
  }
}

uint64_t StartFrame(uint32_t conn, uint32_t connections, uint64_t pool_frames) {
  return pool_frames * conn / std::max<uint32_t>(1, connections);
}

const FrameTemplate& FramePool::TemplateFor(uint32_t conn, uint32_t connections, uint64_t k) const {
  return frames_[(k + StartFrame(conn, connections, frames_.size())) % frames_.size()];
}

void FramePool::Render(uint32_t conn, uint32_t connections, uint64_t k, std::string* out) const {
  const FrameTemplate& t = TemplateFor(conn, connections, k);
  out->assign(t.text);
  uint64_t base = static_cast<uint64_t>(conn) << 40;
  for (uint32_t j = 0; j < batch_; ++j) {
    const Slot& s = t.slots[j];
    uint64_t counter = IsRetry(k, s) ? (k - retry_distance_) * batch_ + static_cast<uint32_t>(s.retry_of)
                                     : k * batch_ + j;
    WriteHex16(base | counter, out->data() + s.id_offset);
  }
}

std::string FramePool::IdOf(uint32_t conn, uint64_t counter) const {
  std::string id = id_prefix_ + "-" + std::string(16, '0');
  WriteHex16((static_cast<uint64_t>(conn) << 40) | counter, id.data() + id_prefix_.size() + 1);
  return id;
}

}  // namespace bangdan::loadgen
