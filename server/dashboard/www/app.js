// The big-screen dashboard (SPEC §7): reads its layout from the query string,
// subscribes to the live views over /v1/stream (§5) and keeps the screen in
// step with them. The pieces: stream.js (the reconnecting connection),
// board_view.js (one animated ranking), tween.js (numbers that count), and
// i18n.js (labels, 万/亿 and k/M, exact totals).

import { BoardView } from "./board_view.js";
import { exactDecimals, formatExact, labelsFor } from "./i18n.js";
import { Stream, streamUrl } from "./stream.js";
import { countTo } from "./tween.js";

const BOARDS = ["city", "firm", "team"];
const METRICS = ["weight_g", "amount_fen", "orders"];
const TOTALS_SUB = "t";

// ?board=team&city=合肥&top=20&metric=orders&window=day&lang=en&token=…
// A value the page cannot use gives way to the default and is named in a
// notice: a wall screen with a mistyped address still shows rankings, and
// whoever set it up reads what to fix. `rejected`: "name=value → used".
function readSettings(search) {
  const params = new URLSearchParams(search);
  const rejected = [];
  const read = (name, valid, fallback, instead = () => fallback) => {
    const value = params.get(name);
    if (!value) return fallback;
    if (valid(value)) return value;
    const used = instead(value);
    rejected.push(used === null ? `${name}=${value}` : `${name}=${value} → ${used}`);
    return used;
  };
  // A top beyond 1 … 50 is brought within; one that is no number is the default.
  const top = read("top", (v) => /^\d+$/.test(v) && v >= 1 && v <= 50, "10",
                   (v) => /^\d+$/.test(v) ? String(Math.min(Math.max(v, 1), 50)) : "10");
  return {
    lang: read("lang", (v) => v === "zh" || v === "en", "zh"),
    board: read("board", (v) => BOARDS.includes(v), null),
    metric: read("metric", (v) => METRICS.includes(v), "weight_g"),
    window: read("window", isWindow, "total"),
    top: Number(top),
    city: params.get("city") || "",
    token: params.get("token") || "",
    rejected,
  };
}

// total, day, or day:YYYY-MM-DD naming a date of the calendar, as the server
// checks it (SPEC §2): a window it refuses would leave every board blank.
function isWindow(text) {
  if (text === "total" || text === "day") return true;
  const match = /^day:(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);  // (Date.UTC reads year 50 as 1950)
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 &&
         date.getUTCDate() === day;
}

// Keeps the address bar in step with the controls, so that a reload or a
// copied link shows the same screen.
function writeSettings(settings) {
  const params = new URLSearchParams(location.search);
  const set = (name, value, fallback) =>
    value && value !== fallback ? params.set(name, value) : params.delete(name);
  set("city", settings.city, "");
  set("metric", settings.metric, "weight_g");
  set("window", settings.window, "total");
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

const settings = readSettings(location.search);
const labels = labelsFor(settings.lang);
const $ = (selector) => document.querySelector(selector);
document.documentElement.lang = settings.lang === "en" ? "en" : "zh-CN";
document.body.classList.toggle("single", settings.board !== null);

const shownBoards = settings.board ? [settings.board] : BOARDS;
const views = new Map();
for (const board of BOARDS) {
  const element = $(`#board-${board}`);
  if (!shownBoards.includes(board)) {
    element.remove();
    continue;
  }
  views.set(board, new BoardView(element, board, {
    lang: settings.lang, labels,
    // A tap on a city ranks the firms and teams of that city.
    onSelect: board === "city" ? (city) => change({ city: city === settings.city ? "" : city }) : null,
  }));
}

// Subscriptions replaced since their last snapshot: an update of the old view
// may still be on the wire and must not flash up in the new one.
const awaitingSnapshot = new Set();
// The totals view is the watchdog's probe (stream.js): its snapshot is a few
// hundred bytes, and one that repeats the figures on screen changes nothing.
const stream = new Stream(streamUrl(location, settings.token), {
  onMessage: dispatch,
  onState: showConnection,
  probe: TOTALS_SUB,
});

function subscribeAll() {
  const { metric, window, top, city } = settings;
  for (const [board, view] of views) {
    const scoped = board !== "city" && city;
    view.configure({ metric, top, scopeCaption: scoped ? labels.scopeOf(city) : "",
                     alone: views.size === 1 });
    view.select(board === "city" ? city : null);
    const message = { op: "subscribe", sub: board, board, metric, window, top };
    if (scoped) message.scope = { city };
    stream.subscribe(message);
    awaitingSnapshot.add(board);
  }
  // The grand totals stay the whole campaign's whatever city is picked, as
  // /v1/totals has them: the picked city's figures are its row on the city
  // board, and the scoped boards say the city in their headers.
  stream.subscribe({ op: "subscribe", sub: TOTALS_SUB, board: "totals", window });
  awaitingSnapshot.add(TOTALS_SUB);
  $("#caption").textContent = windowLabel(window);
}

// Views wait for the next frame, and only the newest of each is drawn: every
// message is a whole view (§5), so on a slow screen the ones in between can
// go unseen instead of each costing a style and layout pass.
const pending = new Map();  // sub → its newest message
let drawScheduled = false;

function dispatch(message) {
  if (message.type === "error") {
    showNotice(message.error);
    return;
  }
  if (message.type !== "snapshot" && message.type !== "update") return;
  if (message.type === "snapshot") awaitingSnapshot.delete(message.sub);
  else if (awaitingSnapshot.has(message.sub)) return;
  pending.set(message.sub, message);
  if (!drawScheduled) {
    drawScheduled = true;
    requestAnimationFrame(drawPending);
  }
}

function drawPending() {
  drawScheduled = false;
  for (const message of pending.values()) draw(message);
  pending.clear();
}

function draw(message) {
  const view = views.get(message.sub);
  if (view) {
    view.show(message);
    if (message.sub === "city") learnCities(message.rows || []);
  } else if (message.sub === TOTALS_SUB) {
    showTotals(message);
  }
}

function showTotals(totals) {
  for (const metric of METRICS) {
    const tile = $(`.total[data-metric="${metric}"]`);
    const value = totals[metric] ?? 0;
    tile.dataset.value = value;
    const decimals = exactDecimals(metric, value);
    // The figure's length sizes its digits (style.css), so that a national
    // campaign's 元 still fit their tile.
    tile.style.setProperty("--chars", formatExact(metric, value, decimals).length);
    countTo(tile.querySelector("b"), value, (raw) => formatExact(metric, raw, decimals), 1200);
  }
}

// ---- controls -------------------------------------------------------------

function change(patch) {
  Object.assign(settings, patch);
  writeSettings(settings);
  renderControls();
  subscribeAll();
}

function windowLabel(window) {
  return window.startsWith("day:") ? window.slice(4) : labels.windows[window];
}

function toggle(container, options, current, onPick) {
  container.replaceChildren(...options.map(([value, text]) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = text;
    button.dataset.value = value;
    button.classList.toggle("active", value === current);
    button.addEventListener("click", () => onPick(value));
    return button;
  }));
}

function renderControls() {
  const dayValue = settings.window.startsWith("day") ? settings.window : "day";
  toggle($("#window-toggle"),
         [["total", labels.windows.total], [dayValue, windowLabel(dayValue)]],
         settings.window, (window) => change({ window }));
  toggle($("#metric-toggle"), METRICS.map((m) => [m, labels.metrics[m]]),
         settings.metric, (metric) => change({ metric }));
  const scope = $("#scope");
  if (settings.city) knownCities.add(settings.city);
  fillCityPicker();
  scope.value = settings.city;
}

// The city list comes from the city board: the HTTP query lists them all,
// the live city board adds any that appear later.
const knownCities = new Set();

function learnCities(rows) {
  const before = knownCities.size;
  for (const row of rows) knownCities.add(row.key);
  if (knownCities.size !== before) fillCityPicker();
}

function fillCityPicker() {
  const scope = $("#scope");
  const options = [["", labels.allCities], ...[...knownCities].map((c) => [c, c])];
  if (scope.options.length === options.length) return;
  scope.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
  scope.value = settings.city;
}

async function loadCities() {
  const query = new URLSearchParams({ limit: "1000", window: "total" });
  if (settings.token) query.set("token", settings.token);
  try {
    const response = await fetch(`/v1/boards/city?${query}`);
    if (!response.ok) return;
    learnCities((await response.json()).rows || []);
  } catch {
    // Offline: the live board fills the list once the server is back.
  }
}

// ---- status line ------------------------------------------------------------

let retryCountdown = 0;

function showConnection(state, retryInMs) {
  const indicator = $("#connection");
  indicator.dataset.state = state;
  clearInterval(retryCountdown);
  const text = indicator.querySelector("span");
  if (state !== "closed") {
    text.textContent = labels.state[state];
    if (state === "open") loadCities();
    return;
  }
  explainClosed();
  const until = Date.now() + retryInMs;
  const render = () => {
    text.textContent = labels.state.closed(Math.max(0, Math.ceil((until - Date.now()) / 1000)));
  };
  render();
  retryCountdown = setInterval(render, 1000);
}

// A browser does not tell a page why a WebSocket handshake failed: a plain
// request does. A 401 means the server wants the read token in the address.
async function explainClosed() {
  const query = new URLSearchParams({ window: "total" });
  if (settings.token) query.set("token", settings.token);
  try {
    const response = await fetch(`/v1/totals?${query}`);
    if (response.status === 401) showNotice(labels.needsToken);
  } catch {
    // The server is away: the countdown says enough.
  }
}

let noticeTimer = 0;

function showNotice(text, shownMs = 8000) {
  const notice = $("#notice");
  notice.textContent = text;
  notice.classList.add("shown");
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => notice.classList.remove("shown"), shownMs);
}

// The controls show while someone moves the mouse or touches the screen, and
// fade after a few quiet seconds: a wall screen shows only the rankings.
let idleTimer = 0;

function wake() {
  document.body.classList.remove("idle");
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => document.body.classList.add("idle"), 4000);
}

function tickClock() {
  const now = new Date();
  const two = (n) => String(n).padStart(2, "0");
  $("#clock").textContent = `${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
}

// ---- start ------------------------------------------------------------------

for (const metric of METRICS) {
  const tile = $(`.total[data-metric="${metric}"]`);
  tile.querySelector(".total-label").textContent = labels.totals[metric];
  tile.querySelector("small").textContent = labels.units[metric];
  // The first totals count up from zero: the screen's opening flourish.
  tile.querySelector("b").countedValue = 0;
  tile.querySelector("b").textContent = "0";
}
$("#scope").addEventListener("change", (event) => change({ city: event.target.value }));
$("#scope").addEventListener("focus", loadCities);
for (const type of ["pointermove", "pointerdown", "keydown"]) {
  addEventListener(type, wake, { passive: true });
}
wake();
renderControls();
// Longer than a server's notice: it is read by whoever stands at the screen
// setting it up.
if (settings.rejected.length) showNotice(labels.badParams(settings.rejected), 30000);
subscribeAll();
stream.start();
tickClock();
setInterval(tickClock, 1000);
