// A stand-in for bangdan-server, for working on the dashboard's looks without
// building the server: serves server/dashboard/www, /v1/stream (§5 subset),
// /v1/boards/city, /v1/totals and POST /v1/events, all computed naively from
// the list of events. With --demo it makes up a campaign's traffic.
// The ctest never uses it: dashboard_test.mjs drives the real server.
//
//   node fake_server.mjs --port 8090 --demo [--title 标题]

import { createServer } from "node:http";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer } from "ws";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
// The real server's flags where they mean something here.
const port = Number(arg("port", (arg("listen", ":8090").split(":").pop())));
const log = arg("data-dir") ? join(arg("data-dir"), "events.jsonl") : null;
const www = arg("www", join(here, "../../server/dashboard/www"));
const title = arg("title", "“多买一斤” 消费帮扶 · 实时榜单");
const demo = args.includes("--demo");

const events = [];
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

function view(board, scope, window, metric) {
  const rows = new Map();
  for (const e of events) {
    if (window !== "total" && e.day !== (window === "day" ? today() : window.slice(4))) continue;
    if (scope && Object.entries(scope).some(([k, v]) => e[k] !== v)) continue;
    const key = e[board];
    if (!key) continue;
    const row = rows.get(key) || { key, weight_g: 0, amount_fen: 0, orders: 0, seq: 0 };
    const sign = e.refund ? -1 : 1;
    row.weight_g += sign * e.weight_g;
    row.amount_fen += sign * e.amount_fen;
    row.orders += sign;
    row.seq = e.seq;
    rows.set(key, row);
  }
  const sorted = [...rows.values()].sort((a, b) => b[metric] - a[metric] || a.seq - b.seq);
  return sorted.map((r, i) => ({ rank: i + 1, key: r.key, weight_g: r.weight_g,
                                 amount_fen: r.amount_fen, orders: r.orders }));
}

function totals(window) {
  const t = { window, weight_g: 0, amount_fen: 0, orders: 0, events: 0, entities: {} };
  for (const board of ["city", "firm", "team"]) {
    const rows = view(board, null, window, "weight_g");
    t.entities[board] = rows.length;
    if (board === "city") {
      for (const r of rows) { t.weight_g += r.weight_g; t.amount_fen += r.amount_fen; t.orders += r.orders; }
    }
  }
  t.events = events.filter((e) => window === "total" || e.day === today()).length;
  return t;
}

const dayOf = (ts) => new Date(ts + 8 * 3600e3).toISOString().slice(0, 10);

function accept(list, replay = false) {
  const ids = new Set(events.map((e) => e.id));
  let accepted = 0;
  for (const e of list) {
    if (ids.has(e.id)) continue;
    ids.add(e.id);
    events.push({ ...e, seq: events.length + 1, day: e.ts ? dayOf(e.ts) : today() });
    if (log && !replay) appendFileSync(log, JSON.stringify(e) + "\n");
    accepted++;
  }
  return { type: "ack", batch: 1, accepted, duplicates: list.length - accepted, rejected: [], seq: events.length };
}

const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8" };

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  const json = (code, body) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (req.method === "POST" && url.pathname === "/v1/events") {
    let body = "";
    for await (const chunk of req) body += chunk;
    const parsed = JSON.parse(body);
    return json(200, accept(Array.isArray(parsed) ? parsed : parsed.events || [parsed]));
  }
  if (url.pathname === "/v1/totals") return json(200, totals(url.searchParams.get("window") || "total"));
  if (url.pathname.startsWith("/v1/boards/")) {
    const board = url.pathname.split("/")[3];
    const rows = view(board, null, url.searchParams.get("window") || "total", "weight_g");
    return json(200, { board, count: rows.length, rows: rows.slice(0, Number(url.searchParams.get("limit") || 10)) });
  }
  const file = url.pathname === "/" ? "index.html" : url.pathname.slice(1);
  try {
    let body = await readFile(join(www, file));
    if (file === "index.html") body = body.toString().replaceAll("__BANGDAN_TITLE__", title);
    res.writeHead(200, { "content-type": types[extname(file)] || "application/octet-stream" });
    res.end(body);
  } catch {
    json(404, { error: "not found" });
  }
});

const wss = new WebSocketServer({ server, path: "/v1/stream" });
wss.on("connection", (socket) => {
  const subs = new Map();
  socket.on("message", (data) => {
    const m = JSON.parse(data.toString());
    if (m.op === "unsubscribe") return subs.delete(m.sub);
    subs.set(m.sub, { m, last: null, version: 0, ranks: new Map() });
    push(socket, subs.get(m.sub), "snapshot");
  });
  const timer = setInterval(() => subs.forEach((s) => push(socket, s, "update")), 100);
  socket.on("close", () => clearInterval(timer));
});

function push(socket, sub, type) {
  const { m } = sub;
  let body;
  if (m.board === "totals") {
    body = totals(m.window || "total");
  } else {
    const all = view(m.board, m.scope, m.window || "total", m.metric || "weight_g");
    let rows = all.slice(0, m.top || 10);
    if (m.around !== undefined) {
      const at = all.findIndex((r) => r.key === m.around);
      rows = at < 0 ? [] : all.slice(Math.max(0, at - (m.radius || 0)), at + (m.radius || 0) + 1);
      body = { count: all.length, rank: at < 0 ? null : at + 1 };
    } else {
      body = { count: all.length };
    }
    body.rows = rows.map((r) => ({ ...r, prev_rank: type === "snapshot" ? null : sub.ranks.get(r.key) ?? null }));
  }
  const digest = JSON.stringify(body);
  if (type === "update" && digest === sub.last) return;
  sub.last = digest;
  if (body.rows) sub.ranks = new Map(body.rows.map((r) => [r.key, r.rank]));
  socket.send(JSON.stringify({ type, sub: m.sub, version: ++sub.version, ...body }));
}

// ---- made-up traffic -------------------------------------------------------

const cities = ["合肥", "芜湖", "蚌埠", "淮南", "马鞍山", "淮北", "铜陵", "安庆", "黄山", "滁州",
                "阜阳", "宿州", "六安", "亳州", "池州", "宣城"];
const firms = ["万科物业", "碧桂园服务", "绿城服务", "保利物业", "招商积余", "华润万象生活",
               "金科智慧服务", "新城悦服务", "融创服务", "雅生活集团", "世茂服务", "中海物业",
               "龙湖智创生活", "建业新生活", "合肥高新区长江西路幸福家园物业服务有限公司"];
const teams = ["创源战队", "先锋队", "乡村振兴突击队", "助农小分队", "幸福家园志愿队", "爱心帮扶队",
               "红旗渠战队", "滨湖新区第一志愿服务队", "金寨助农团", "大别山好物团", "徽州好味道",
               "长江之星", "同心圆", "暖阳队"];
const zipf = (n) => Math.min(n - 1, Math.floor(n * Math.random() ** 2.2));
let nextId = 1;

function madeUpEvent() {
  const weight = 500 * (1 + Math.floor(Math.random() * 20));
  return { id: `demo-${nextId++}`, city: cities[zipf(cities.length)], firm: firms[zipf(firms.length)],
           team: teams[zipf(teams.length)], weight_g: weight, amount_fen: weight * (1 + Math.floor(Math.random() * 3)) };
}

if (log && existsSync(log)) {
  accept(readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)), true);
}
if (demo) {
  accept(Array.from({ length: 20000 }, madeUpEvent));
  setInterval(() => accept(Array.from({ length: 5 }, madeUpEvent)), 100);
}

server.listen(port, "127.0.0.1", () => console.error(`listening on 127.0.0.1:${server.address().port}`));
