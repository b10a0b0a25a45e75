// Labels and number formats in the two languages the dashboard speaks:
// Chinese by default (a screen at an event in China), English with ?lang=en.
// Ranking figures are written the way people read them aloud: 1.23万 / 4.56亿
// in Chinese, 12.3k / 4.56M in English — rows have little room, and a wall of
// digits is unreadable at 10 m (formatNumber). The grand totals are exact
// (formatExact).

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
      stalled: "连接停滞 · 重连中…",
      closed: (s) => `已断开 · ${s} 秒后重连`,
    },
    empty: "等待数据…",
    needsToken: "此服务器需要读取令牌：请在地址后加上 ?token=…",
    badParams: (list) => `地址参数无效，已改用默认值：${list.join("；")}`,
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
      stalled: "Stalled · reconnecting…",
      closed: (s) => `Offline · retrying in ${s}s`,
    },
    empty: "Waiting for data…",
    needsToken: "This server needs a read token: add ?token=… to the address",
    badParams: (list) => `Bad address parameters, defaults used: ${list.join("; ")}`,
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

// The scales a ranking figure is written in, smallest first. `from`: the
// least value written in it; `size`: what one of its units is worth;
// `decimals`: the most it keeps. Chinese counts in 万 and its powers, so 9999万
// is still said in 万 and 10000万 is 1.00亿; English counts in thousands, from
// 10k on (8,532 is short enough as it is).
const SCALES = {
  zh: [
    { from: 0, size: 1, suffix: "", decimals: 3 },
    { from: 1e4, size: 1e4, suffix: "万", decimals: 2 },
    { from: 1e8, size: 1e8, suffix: "亿", decimals: 2 },
    { from: 1e12, size: 1e12, suffix: "万亿", decimals: 2 },
  ],
  en: [
    { from: 0, size: 1, suffix: "", decimals: 3 },
    { from: 1e4, size: 1e3, suffix: "k", decimals: 1 },
    { from: 1e6, size: 1e6, suffix: "M", decimals: 2 },
    { from: 1e9, size: 1e9, suffix: "B", decimals: 2 },
    { from: 1e12, size: 1e12, suffix: "T", decimals: 2 },
  ],
};

// Fewer decimals as a figure grows: 449.8万 reads better from afar than
// 449.85万, and leaves room for names. Three below one, so that the smallest
// weight (1 g, 0.002 斤) does not read as nothing.
function decimalsFor(figure) {
  return figure < 1 ? 3 : figure < 100 ? 2 : figure < 1000 ? 1 : 0;
}

// `x` (≥ 0) with the decimals its size allows, at most `most`. The size is
// judged again after rounding: 99.996 rounds to 100.00, which must read 100.0.
function rounded(x, most) {
  let decimals = Math.min(most, decimalsFor(x));
  for (;;) {
    const text = x.toFixed(decimals);
    const fewer = Math.min(decimals, decimalsFor(Number(text)));
    if (fewer === decimals) return text;
    decimals = fewer;
  }
}

// A ranking figure. Scaled figures keep their decimals even when they are
// zeros (1.20万), so that a figure's width says its scale; figures below the
// first scale are exact quantities and drop them (47斤, 2.5斤, 56.78元), with
// digits grouped by thousands as the grand totals have them. The scale is
// chosen after rounding: 999,950 is 1.00M, never 1000.0k.
export function formatNumber(lang, value) {
  const scales = SCALES[lang] || SCALES.zh;
  const v = Math.abs(value);
  let i = Math.max(0, scales.findLastIndex((scale) => v >= scale.from));
  let text;
  for (;;) {
    const { size, decimals } = scales[i];
    text = rounded(v / size, decimals);
    const next = scales[i + 1];
    if (!next || Number(text) * size < next.from) break;
    i++;
  }
  // A refund can take a value below zero: the same figure, with a minus
  // (unless it rounds to nothing).
  const sign = value < 0 && Number(text) !== 0 ? "-" : "";
  const { size, suffix } = scales[i];
  if (size === 1) text = Number(text).toLocaleString("en-US", { maximumFractionDigits: 3 });
  return sign + text + suffix;
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
