// How smoothly the big screen draws while it is updated 10 times a second
// (SPEC §7; bench/RESULTS.md, "Dashboard"). Not a test: a measurement.
//
//   node tests/browser/fps_bench.mjs <bangdan-server> [seconds] [chromium]
//
// Starts the server (--push-interval 100ms), opens the page at 1920×1080 in
// headless Chromium, and posts a frame of 20 made-up purchases every 100 ms
// (hot and cold cities, firms and teams, so that bars grow and swap places).
// After a 3 s warm-up it counts, for `seconds` seconds: animation frames
// (requestAnimationFrame callbacks) per second, the longest gap between two
// frames, long tasks (> 50 ms, PerformanceObserver), and the updates the page
// received (the stream's messages). Prints one line per second and a summary.
// The browser renders in software (--disable-gpu), as a kiosk without a GPU.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [serverBinary, secondsArg = "20", chromiumPath = "/usr/bin/chromium"] = process.argv.slice(2);
if (!serverBinary) {
  console.error("usage: node fps_bench.mjs <bangdan-server> [seconds] [chromium]");
  process.exit(2);
}
const SECONDS = Number(secondsArg);
const dataDir = mkdtempSync(join(tmpdir(), "bangdan-fps-"));

const server = spawn(serverBinary, ["--listen", "127.0.0.1:0", "--data-dir", dataDir,
  "--fsync", "none", "--push-interval", "100ms"], { stdio: ["ignore", "ignore", "pipe"] });
const port = await new Promise((resolve, reject) => {
  let log = "";
  server.stderr.setEncoding("utf8");
  server.stderr.on("data", (chunk) => {
    log += chunk;
    const match = /listening on \S+:(\d+)/.exec(log);
    if (match) resolve(Number(match[1]));
  });
  server.on("exit", () => reject(new Error(`server exited:\n${log}`)));
});

const cities = ["合肥", "芜湖", "蚌埠", "淮南", "马鞍山", "淮北", "铜陵", "安庆", "黄山", "滁州", "阜阳", "宿州"];
const firms = Array.from({ length: 40 }, (_, i) => `物业公司${i + 1}号`);
const teams = Array.from({ length: 200 }, (_, i) => `志愿者战队${i + 1}`);
// Zipf-like: low indexes far more often, so that the leaders change now and then.
const pick = (list) => list[Math.floor(list.length * Math.random() ** 2.5)];
let nextId = 0;
function frame() {
  return Array.from({ length: 20 }, () => ({
    id: `fps-${nextId++}`, city: pick(cities), firm: pick(firms), team: pick(teams),
    weight_g: 500 * (1 + Math.floor(Math.random() * 10)), amount_fen: 100 * (1 + Math.floor(Math.random() * 300)),
  }));
}
const feeder = setInterval(() => {
  fetch(`http://127.0.0.1:${port}/v1/events`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(frame()),
  }).catch(() => {});
}, 100);

const browser = await chromium.launch({ executablePath: chromiumPath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
let exitCode = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  // Counts messages on every WebSocket the page opens.
  await page.addInitScript(() => {
    window.__updates = 0;
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener("message", () => { window.__updates++; });
      }
    };
  });
  await page.goto(`http://127.0.0.1:${port}/`);
  await new Promise((r) => setTimeout(r, 3000));
  const result = await page.evaluate((seconds) => new Promise((resolve) => {
    const perSecond = [];
    let frames = 0, longest = 0, last = performance.now(), longTasks = 0;
    const updates0 = window.__updates;
    new PerformanceObserver((list) => { longTasks += list.getEntries().length; })
      .observe({ type: "longtask", buffered: false });
    const start = last;
    let second = start + 1000;
    function tick(now) {
      frames++;
      longest = Math.max(longest, now - last);
      last = now;
      if (now >= second) {
        perSecond.push(frames);
        frames = 0;
        second += 1000;
      }
      if (now - start < seconds * 1000) requestAnimationFrame(tick);
      else resolve({ perSecond, longest, longTasks, updates: window.__updates - updates0 });
    }
    requestAnimationFrame(tick);
  }), SECONDS);
  result.perSecond.forEach((f, i) => console.log(`second ${i + 1}: ${f} frames`));
  const sorted = [...result.perSecond].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`fps over ${SECONDS} s: median ${median}, min ${sorted[0]}, max ${sorted[sorted.length - 1]}; ` +
              `longest frame gap ${result.longest.toFixed(1)} ms; long tasks ${result.longTasks}; ` +
              `updates received ${result.updates} (${(result.updates / SECONDS).toFixed(1)}/s)`);
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  clearInterval(feeder);
  await browser.close();
  server.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
