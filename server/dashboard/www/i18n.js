// Labels and number formats in the two languages the dashboard speaks:
// Chinese by default (a screen at an event in China), English with ?lang=en.
// Ranking figures are written the way people read them aloud: 1.23万 / 4.56亿
// in Chinese, 12.3k / 4.56M in English — rows have little room, and a wall of
// digits is unreadable at 10 m. The grand totals are exact (formatExact).

const LABELS = {
  zh: {
    boards: { city: "城市榜", firm: "企业榜", team: "战队榜" },
    count: (n) => `共 ${n} 个`,
    totals: { weight_g: "总重量", amount_fen: "总金额", orders: "总订单" },
    units: { weight_g: "斤", amount_fen: "元", orders: "单" },
    metrics: { weight_g: "重量", amount_fen: "金额", orders: "订单" },
    windows: { total: "累计", day: "今日" },
    allCities: "全部城市",
    scopeOf: (city) => city,
    state: {
      connecting: "连接中…",
      open: "实时",
      closed: (s) => `已断开 · ${s} 秒后重连`,
    },
    empty: "等待数据…",
    needsToken: "此服务器需要读取令牌：请在地址后加上 ?token=…",
    newEntry: "新上榜",
    byMetric: (m) => `按${m}`,
  },
  en: {
    boards: { city: "Cities", firm: "Firms", team: "Teams" },
    count: (n) => `${n} in all`,
    totals: { weight_g: "Weight", amount_fen: "Amount", orders: "Orders" },
    units: { weight_g: "jin", amount_fen: "yuan", orders: "orders" },
    metrics: { weight_g: "Weight", amount_fen: "Amount", orders: "Orders" },
    windows: { total: "Total", day: "Today" },
    allCities: "All cities",
    scopeOf: (city) => city,
    state: {
      connecting: "Connecting…",
      open: "Live",
      closed: (s) => `Offline · retrying in ${s}s`,
    },
    empty: "Waiting for data…",
    needsToken: "This server needs a read token: add ?token=… to the address",
    newEntry: "NEW",
    byMetric: (m) => `by ${m.toLowerCase()}`,
  },
};

export function labelsFor(lang) {
  return LABELS[lang] || LABELS.zh;
}

// The displayed quantity of a metric: 斤 from grams (1 斤 = 500 g), 元 from
// fen, orders as they are. The engine's sums are exact integers; only the
// page divides, and only for display.
const UNIT = { weight_g: 500, amount_fen: 100, orders: 1 };  // raw units per shown unit

export function displayValue(metric, raw) {
  return raw / UNIT[metric];
}

// Fixed decimals, even when they are zeros: a number that counts up must
// not change its width with every frame. Fewer of them as the number grows:
// 449.9万 reads better from afar than 449.85万, and leaves room for names.
function fixed(x, digits) {
  if (x >= 1000) return x.toFixed(0);
  if (x >= 100) return x.toFixed(Math.min(digits, 1));
  return x.toFixed(digits);
}

// `digits`: decimals kept once a number is scaled (万, k, …).
export function formatNumber(lang, value, digits = 2) {
  const sign = value < 0 ? "-" : "";
  const v = Math.abs(value);
  if (lang === "en") {
    if (v >= 1e9) return sign + fixed(v / 1e9, digits) + "B";
    if (v >= 1e6) return sign + fixed(v / 1e6, digits) + "M";
    if (v >= 1e4) return sign + fixed(v / 1e3, 1) + "k";
    return sign + Math.round(v).toLocaleString("en-US");
  }
  if (v >= 1e8) return sign + fixed(v / 1e8, digits) + "亿";
  if (v >= 1e4) return sign + fixed(v / 1e4, digits) + "万";
  return sign + String(Math.round(v));
}

// The grand totals, exact: every gram and fen the server summed — 斤 with up
// to three decimals (1 g = 0.002 斤), 元 with two, orders whole — digits
// grouped by thousands, as /v1/totals has them. `decimals`: how many to show
// (exactDecimals of the value a count-up is heading for, so that the width
// holds while it counts).
export function exactDecimals(metric, raw) {
  if (metric === "amount_fen") return 2;
  if (metric !== "weight_g") return 0;
  const thousandths = (Math.abs(raw) % UNIT.weight_g) * (1000 / UNIT.weight_g);
  if (thousandths === 0) return 0;
  return thousandths % 100 === 0 ? 1 : thousandths % 10 === 0 ? 2 : 3;
}

export function formatExact(metric, raw, decimals) {
  const unit = UNIT[metric];
  const n = Math.round(raw);
  const abs = Math.abs(n);
  let text = (n < 0 ? "-" : "") + Math.floor(abs / unit).toLocaleString("en-US");
  if (decimals > 0) {
    const thousandths = (abs % unit) * (1000 / unit);
    text += "." + String(thousandths).padStart(3, "0").slice(0, decimals);
  }
  return text;
}
