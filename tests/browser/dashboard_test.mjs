// The dashboard as a person sees it: a real bangdan-server, the page in
// headless Chromium, events posted over HTTP, and the screen checked for the
// right order, totals, scope, window, language, number formats, long names,
// a mistyped address, reconnection, and a server that hangs.
//
//   node dashboard_test.mjs <bangdan-server> [artifacts-dir] [chromium]
//
// Exits non-zero on the first failed check; leaves a screenshot of the
// final state in artifacts-dir (dashboard.png).

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [serverBinary, artifacts = "artifacts", chromiumPath = "/usr/bin/chromium"] =
  process.argv.slice(2);
if (!serverBinary) {
  console.error("usage: node dashboard_test.mjs <bangdan-server> [artifacts-dir] [chromium]");
  process.exit(2);
}

// Chromium must not reach for the network: there is none, and a test that
// waits on it is slow and flaky.
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
  "--no-first-run", "--disable-background-networking", "--disable-component-update",
  "--disable-sync"];
const TITLE = `消费帮扶 <榜单> & "测试"`;
const WAIT_MS = 15000;
const DAY_MS = 24 * 3600 * 1000;

let passed = 0;
function check(name) {
  passed++;
  console.log(`ok ${passed} - ${name}`);
}

// ---- the server --------------------------------------------------------------

const dataDir = mkdtempSync(join(tmpdir(), "bangdan-browser-"));
let server = null;

// Starts the server on `port` (0: any) and resolves with the port it bound,
// read from its "listening on HOST:PORT" line.
function startServer(port) {
  const child = spawn(serverBinary, [
    "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, "--fsync", "none",
    "--title", TITLE,
  ], { stdio: ["ignore", "ignore", "pipe"] });
  server = child;
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`server did not listen:\n${log}`)), WAIT_MS);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      log += chunk;
      const match = /listening on \S+:(\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${log}`));
    });
  });
}

// SIGSTOP: the process hangs with its connections open, as a server does
// that is stuck or on a frozen machine; SIGCONT lets it go on.
function pauseServer(paused) {
  server.kill(paused ? "SIGSTOP" : "SIGCONT");
}

function killServer() {
  return new Promise((resolve) => {
    if (!server || server.exitCode !== null || server.signalCode !== null) return resolve();
    server.once("exit", () => resolve());
    server.kill("SIGKILL");
  });
}

// The port was just freed; a bind can still lose a race with the kernel.
async function restartServer(port) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServer(port);
    } catch (error) {
      if (attempt === 5) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function post(port, events) {
  const response = await fetch(`http://127.0.0.1:${port}/v1/events`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(events),
  });
  const ack = await response.json();
  if (response.status !== 200 || ack.accepted + ack.duplicates !== events.length) {
    throw new Error(`POST /v1/events: ${response.status} ${JSON.stringify(ack)}`);
  }
}

// ---- the page ------------------------------------------------------------------

// The keys of a board in rank order, as the screen shows them.
function ranking(page, board) {
  return page.$$eval(`.board-${board} .row[data-rank]`, (rows) =>
    rows.sort((a, b) => a.dataset.rank - b.dataset.rank).map((r) => r.dataset.key));
}

async function expectRanking(page, board, expected, what) {
  try {
    // In rank order on screen, and in the document too (a screen reader, or
    // whoever takes the first row for the leader, reads that).
    await page.waitForFunction(([board, expected]) => {
      const rows = [...document.querySelectorAll(`.board-${board} .row[data-rank]`)];
      const inDocument = rows.map((r) => r.dataset.key);
      const keys = rows.sort((a, b) => a.dataset.rank - b.dataset.rank).map((r) => r.dataset.key);
      return JSON.stringify(keys) === JSON.stringify(expected) &&
             JSON.stringify(inDocument) === JSON.stringify(expected);
    }, [board, expected], { timeout: WAIT_MS });
  } catch {
    throw new Error(`${what}: ${board} board shows ${JSON.stringify(await ranking(page, board))}, ` +
                    `expected ${JSON.stringify(expected)}`);
  }
  check(what);
}

// Totals as exact integers (data-value) and as the text they count up to.
async function expectTotals(page, { weight_g, amount_fen, orders }, texts, what) {
  const expected = { weight_g, amount_fen, orders };
  try {
    await page.waitForFunction(([expected, texts]) =>
      Object.entries(expected).every(([metric, value], i) => {
        const tile = document.querySelector(`.total[data-metric="${metric}"]`);
        return tile.dataset.value === String(value) && tile.querySelector("b").textContent === texts[i];
      }), [expected, texts], { timeout: WAIT_MS });
  } catch {
    const shown = await page.$$eval(".total", (tiles) =>
      tiles.map((t) => `${t.dataset.metric}=${t.dataset.value} "${t.querySelector("b").textContent}"`));
    throw new Error(`${what}: totals show ${shown.join(", ")}; expected ` +
                    `${JSON.stringify(expected)} shown as ${JSON.stringify(texts)}`);
  }
  check(what);
}

// Reconnecting waits out a backoff that doubles while the server is away:
// more time than the other checks need.
async function expectConnection(page, state, what) {
  await page.waitForSelector(`#connection[data-state="${state}"]`, { timeout: 2 * WAIT_MS });
  check(what);
}

// The ranking figures (i18n.js's formatNumber) as the page has them: the
// boundaries where rounding carries a figure into the next scale, small
// values that must keep their decimals, and refunds below zero.
const FORMATS = [
  ["zh", 8532, "8,532"], ["zh", 12345, "1.23万"], ["zh", 4498000, "449.8万"],
  ["zh", 15390000, "1539万"], ["zh", 567000000, "5.67亿"],
  ["zh", 999950, "100.0万"], ["zh", 9999500, "1000万"], ["zh", 99995000, "1.00亿"],
  ["zh", 999950000000, "1.00万亿"], ["zh", 9999.6, "1.00万"], ["zh", 99.996, "100"],
  ["zh", 1234 / 500, "2.47"], ["zh", 200 / 500, "0.4"], ["zh", 5678 / 100, "56.78"],
  ["zh", 1 / 500, "0.002"], ["zh", 47, "47"], ["zh", 0, "0"],
  ["zh", -999950, "-100.0万"], ["zh", -1234 / 500, "-2.47"], ["zh", -0.0001, "0"],
  ["en", 8532, "8,532"], ["en", 12345, "12.3k"], ["en", 4560000, "4.56M"],
  ["en", 1230000000, "1.23B"], ["en", 999950, "1.00M"], ["en", 99995000, "100.0M"],
  ["en", 999950000000, "1.00T"], ["en", 9999.6, "10.0k"], ["en", 5678 / 100, "56.78"],
  ["en", -99995000, "-100.0M"],
];

async function checkFormats(page) {
  const wrong = await page.evaluate(async (cases) => {
    const { formatNumber } = await import("/i18n.js");
    return cases.filter(([lang, value, text]) => formatNumber(lang, value) !== text)
      .map(([lang, value, text]) => `${lang} ${value}: "${formatNumber(lang, value)}", not "${text}"`);
  }, FORMATS);
  if (wrong.length) throw new Error(`ranking figures:\n  ${wrong.join("\n  ")}`);
  check("ranking figures round before they pick 万/亿 or k/M, keep small decimals, " +
        `sign refunds (${FORMATS.length} cases)`);
}

// The WebSocket frames the page sends and receives, with their times: to see
// the watchdog ask a quiet server and hear the answer.
function recordFrames(page) {
  const frames = [];
  page.on("websocket", (socket) => {
    socket.on("framesent", ({ payload }) => frames.push({ at: Date.now(), sent: true, payload }));
    socket.on("framereceived", ({ payload }) => frames.push({ at: Date.now(), sent: false, payload }));
  });
  return frames;
}

const seconds = (ms) => (ms / 1000).toFixed(1);

async function until(what, condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A page served elsewhere reads the boards with fetch() (CORS): to the
// browser, localhost is another origin than the dashboard's 127.0.0.1. The
// Authorization header makes it send a preflight first.
async function checkCrossOriginRead(browser, port) {
  const other = await browser.newPage();
  await other.goto(`http://127.0.0.1:${port}/`);
  const got = await other.evaluate(async (url) => {
    try {
      const r = await fetch(url, { headers: { Authorization: "Bearer unused" } });
      return `${r.status} ${(await r.json()).events}`;
    } catch (error) {
      return `blocked: ${error}`;
    }
  }, `http://localhost:${port}/v1/totals`);
  await other.close();
  if (got !== "200 0") throw new Error(`cross-origin read: ${got}`);
  check("a page of another origin reads the totals with fetch(), after a preflight");
}

// ---- the story -------------------------------------------------------------------

const now = Date.now();
const old = now - 3 * DAY_MS;  // in the total, not in today's boards
const event = (id, city, firm, team, weight_g, amount_fen, ts) =>
  ({ id, city, firm, team, weight_g, amount_fen, ...(ts ? { ts } : {}) });
const EVENTS = [
  event("e1", "合肥", "万科物业", "创源战队", 5000, 3000),
  event("e2", "合肥", "碧桂园服务", "先锋队", 3000, 2000),
  event("e3", "芜湖", "万科物业", "助农小分队", 4000, 2500),
  event("e4", "蚌埠", "绿城服务", "先锋队", 1000, 800),
  event("e5", "芜湖", "绿城服务", "助农小分队", 10000, 6000, old),
  event("e6", "蚌埠", "保利物业", "创源战队", 500, 400, old),
];

async function run(browser) {
  let port = await startServer(0);
  const base = `http://127.0.0.1:${port}`;
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const frames = recordFrames(page);
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["127.0.0.1", ""].includes(url.hostname) && url.protocol !== "data:") {
      problems.push(`request off the server: ${request.url()}`);
    }
  });
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`);
  });

  await page.goto(`${base}/`);
  if ((await page.textContent("#title")) !== TITLE || (await page.title()) !== TITLE) {
    throw new Error(`title: the page shows "${await page.textContent("#title")}"`);
  }
  check("the page carries the server's --title, escaped and shown as text");
  await expectConnection(page, "open", "the page connects to /v1/stream");
  await page.waitForSelector(".board-city.is-empty", { timeout: WAIT_MS });
  check("an empty server shows waiting boards");
  await checkFormats(page);
  await checkCrossOriginRead(browser, port);

  await post(port, EVENTS);
  await expectRanking(page, "city", ["芜湖", "合肥", "蚌埠"], "cities rank by weight over the whole campaign");
  await expectRanking(page, "firm", ["绿城服务", "万科物业", "碧桂园服务", "保利物业"], "firms rank by weight");
  await expectRanking(page, "team", ["助农小分队", "创源战队", "先锋队"], "teams rank by weight");
  await expectTotals(page, { weight_g: 23500, amount_fen: 14700, orders: 6 }, ["47", "147.00", "6"],
                     "grand totals count up to 47 斤, 147.00 元, 6 orders, exact");

  await page.waitForSelector('#scope option[value="合肥"]', { state: "attached", timeout: WAIT_MS });
  await page.selectOption("#scope", "合肥");
  await expectRanking(page, "firm", ["万科物业", "碧桂园服务"], "picking 合肥 scopes the firm board to it");
  await expectRanking(page, "team", ["创源战队", "先锋队"], "and the team board");
  await expectRanking(page, "city", ["芜湖", "合肥", "蚌埠"], "the city board stays whole");
  await expectTotals(page, { weight_g: 23500, amount_fen: 14700, orders: 6 }, ["47", "147.00", "6"],
                     "the grand totals stay the whole campaign's");
  if (!page.url().includes(`city=${encodeURIComponent("合肥")}`)) throw new Error(`url: ${page.url()}`);
  check("the address bar remembers the scope");

  // The controls fade on an idle screen, and take a click all the same (a
  // mouse brings them back on its way there).
  await page.waitForSelector("body.idle", { timeout: WAIT_MS });
  await page.click('#window-toggle button[data-value="day"]', { timeout: WAIT_MS });
  await expectRanking(page, "city", ["合肥", "芜湖", "蚌埠"], "today's city board leaves out older days");
  await page.selectOption("#scope", "");
  await expectRanking(page, "firm", ["万科物业", "碧桂园服务", "绿城服务"], "all cities again: today's firms");
  await expectTotals(page, { weight_g: 13000, amount_fen: 8300, orders: 4 }, ["26", "83.00", "4"],
                     "today's grand totals");

  await killServer();
  await expectConnection(page, "closed", "the indicator shows the server gone");
  port = await restartServer(port);
  await expectConnection(page, "open", "the page reconnects by itself");
  // The same events again are duplicates (§1) where the server restored them
  // and new where it did not: the boards come out the same either way, so
  // this checks the page's reconnection, not the server's log.
  await post(port, EVENTS);
  await expectRanking(page, "city", ["合肥", "芜湖", "蚌埠"], "and shows the data again after the restart");
  await post(port, [event("e7", "蚌埠", "保利物业", "先锋队", 20000, 9000)]);
  await expectRanking(page, "city", ["蚌埠", "合肥", "芜湖"], "its subscriptions live again after the restart");
  await page.waitForFunction(() =>
    document.querySelector('.board-city .row[data-key="蚌埠"] .move')?.textContent === "▲2",
    null, { timeout: WAIT_MS });
  check("a city that climbed two places shows ▲2");
  await expectTotals(page, { weight_g: 33000, amount_fen: 17300, orders: 5 }, ["66", "173.00", "5"],
                     "the totals count on after the restart");
  await post(port, [event("e8", "蚌埠", "保利物业", "先锋队", 1234, 5678)]);
  await expectTotals(page, { weight_g: 34234, amount_fen: 22978, orders: 6 }, ["68.468", "229.78", "6"],
                     "the totals show every gram and fen (68.468 斤, 229.78 元)");

  // A quiet connection is asked for a sign of life: the totals subscribed
  // again under their own sub, answered by a snapshot that changes nothing.
  const idleFrom = Date.now();
  const totalsFrame = (f, sent, after) =>
    f.sent === sent && f.at >= after && JSON.parse(f.payload).sub === "t";
  await until("an idle page asks the server again", () => frames.some((f) => totalsFrame(f, true, idleFrom)),
              2 * WAIT_MS);
  const askedAt = frames.find((f) => totalsFrame(f, true, idleFrom)).at;
  await until("the server answers", () => frames.some((f) => totalsFrame(f, false, askedAt)), WAIT_MS);
  check(`idle for ${seconds(askedAt - idleFrom)} s, the page subscribes to the totals again and hears back`);
  await page.waitForTimeout(500);
  await expectConnection(page, "open", "an idle server that answers stays live");
  await expectTotals(page, { weight_g: 34234, amount_fen: 22978, orders: 6 }, ["68.468", "229.78", "6"],
                     "the answer leaves the totals as they were");

  // A server that hangs with its connections open must not look live: no
  // message for 10 s, no answer 5 s after asking, a second of slack.
  pauseServer(true);
  const pausedAt = Date.now();
  try {
    await page.waitForSelector('#connection[data-state="stalled"]', { timeout: 22000 });
    check(`a hung server (SIGSTOP) shows as stalled after ${seconds(Date.now() - pausedAt)} s`);
    if ((await ranking(page, "city")).length !== 3) throw new Error("stalled: the rankings left the screen");
    check("and the rankings stay on screen");
  } finally {
    pauseServer(false);
  }
  await expectConnection(page, "open", "once the server goes on (SIGCONT), the page is live again");
  await post(port, [event("e9", "蚌埠", "保利物业", "先锋队", 500, 100)]);
  await expectTotals(page, { weight_g: 34734, amount_fen: 23078, orders: 7 }, ["69.468", "230.78", "7"],
                     "and counts on");

  await page.waitForTimeout(1500);  // let the bars settle for the picture
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, "dashboard.png") });
  check(`a screenshot is in ${join(artifacts, "dashboard.png")}`);

  const english = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await english.goto(`${base}/?lang=en&board=team&top=2&metric=orders`);
  // 先锋队 has 3 orders; 助农小分队 reached 2 (e5) before 创源战队 did (e6).
  await expectRanking(english, "team", ["先锋队", "助农小分队"],
                      "?board=team&top=2&metric=orders pins one board");
  const layout = await english.evaluate(() => ({
    boards: document.querySelectorAll(".board").length,
    title: document.querySelector(".board-title").textContent,
    label: document.querySelector('.total[data-metric="weight_g"] .total-label').textContent,
  }));
  if (layout.boards !== 1 || layout.title !== "Teams" || layout.label !== "Weight") {
    throw new Error(`English single board: ${JSON.stringify(layout)}`);
  }
  check("?lang=en speaks English");

  // A mistyped window: named in a notice, and the screen shows the whole
  // campaign instead of blank boards.
  const mistyped = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await mistyped.goto(`${base}/?window=day:2020-13-45`);
  await mistyped.waitForSelector(".board-city .row[data-rank]", { timeout: WAIT_MS });
  const fallback = await mistyped.evaluate(() => ({
    notice: document.querySelector("#notice.shown")?.textContent ?? "",
    caption: document.querySelector("#caption").textContent,
  }));
  if (!fallback.notice.includes("window=day:2020-13-45") || fallback.caption !== "累计") {
    throw new Error(`?window=day:2020-13-45: ${JSON.stringify(fallback)}`);
  }
  check(`?window=day:2020-13-45 is named in a notice ("${fallback.notice}") and the boards show the total`);

  await checkSmallFiguresAndLongNames(browser, base, port);

  if (problems.length) throw new Error(problems.join("\n"));
  check("no page errors, no failed or outside requests");
}

// Firms of one group share a long beginning: on screen their names shrink,
// then lose their middle, and each keeps the end that tells it apart. Small
// figures keep their decimals.
async function checkSmallFiguresAndLongNames(browser, base, port) {
  const group = "安徽省合肥市物业管理有限公司";
  const branches = ["第一分公司", "第二分公司", "第三分公司"];
  await post(port, [
    ...branches.map((branch, i) => event(`g${i}`, "合肥", group + branch, "先锋队", 90000 - i * 10000, 100)),
    event("s1", "合肥", "小铺", "先锋队", 1234, 5678),
    event("s2", "合肥", "小摊", "先锋队", 200, 5),
  ]);
  // Three boards side by side: the narrow rows of a wall screen.
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await page.goto(`${base}/`);
  await page.waitForSelector('.board-firm .row[data-key="小摊"]', { timeout: WAIT_MS });

  const small = await page.evaluate(([a, b]) => [a, b].map((key) => {
    const slot = document.querySelector(`.board-firm .row[data-key="${key}"]`);
    return { value: slot.querySelector(".value b").textContent, title: slot.title };
  }), ["小铺", "小摊"]);
  if (small[0].value !== "2.47" || small[1].value !== "0.4" ||
      small[0].title !== "小铺 · 2.47斤 · 56.78元 · 1单" || small[1].title !== "小摊 · 0.4斤 · 0.05元 · 1单") {
    throw new Error(`small figures: ${JSON.stringify(small)}`);
  }
  check("1,234 g shows as 2.47 斤, 200 g as 0.4 斤, 5,678 fen as 56.78 元");

  const names = await page.evaluate((keys) => {
    const fullSize = parseFloat(getComputedStyle(document.querySelector(".board-firm .name")).fontSize);
    return keys.map((key) => {
      const slot = document.querySelector(`.board-firm .row[data-key="${key}"]`);
      const box = slot.querySelector(".name").getBoundingClientRect();
      const head = slot.querySelector(".name-head");
      const tail = slot.querySelector(".name-tail");
      const tailBox = tail?.getBoundingClientRect();
      return {
        key, tail: tail?.textContent ?? "", title: slot.title,
        cut: head ? head.scrollWidth > head.clientWidth : false,
        tailShown: !!tailBox && tailBox.width > 0 && tailBox.left >= box.left - 0.5 &&
                   tailBox.right <= box.right + 0.5,
        size: parseFloat(getComputedStyle(head ?? slot.querySelector(".name")).fontSize) / fullSize,
      };
    });
  }, ["小铺", ...branches.map((branch) => group + branch)]);
  const [short, ...long] = names;
  const tails = new Set(long.map((n) => n.tail));
  const near = (a, b) => Math.abs(a - b) < 0.01;
  if (long.some((n) => !n.cut || !n.tailShown || !n.title.startsWith(n.key) || !near(n.size, 0.8)) ||
      tails.size !== long.length || !near(short.size, 1) || short.cut) {
    throw new Error(`long names: ${JSON.stringify(names)}`);
  }
  check(`long names shrink to 80%, then are cut in the middle, keeping ${[...tails].join(" / ")}; ` +
        "a short name keeps its size; the full name is in the tooltip");
  await page.close();
}

let failed = 0;
const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
try {
  await run(browser);
} catch (error) {
  failed = 1;
  console.error(`not ok - ${error.message}`);
} finally {
  await browser.close();
  await killServer();
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
