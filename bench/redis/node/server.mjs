// What people build today for live leaderboards: a Node.js WebSocket server
// in front of Redis sorted sets. It speaks bangdan's ingest protocol
// (GET /v1/ingest, the acks of SPEC §3) so that the same bangdan-loadgen, with
// the same frames and the same checks of every ack, drives both servers
// (bench/redis/run_redis.sh, variants node-lean and node-full).
//
// Per frame, as a careful Node developer would write it:
//   1. parse and validate the events (the rules of SPEC §1 that matter here);
//   2. dedup: one pipeline of SET dedup:<id> 1 EX 3600 NX, one per event —
//      an id already there is a duplicate (Redis judges them in the order
//      the frames arrived: one connection to Redis, commands in call order);
//   3. one pipeline of the accepted events' ZINCRBYs — lean: city, firm and
//      team by weight (3 an event); full: every board, scope, metric and
//      window bangdan keeps (10 × 3 × 2 = 60) and a PUBLISH for the screens —
//      the same commands as the loadgen's --target redis;
//   4. the ack, once Redis has answered both (in frame order per connection).
// Frames of one connection are processed concurrently; only their acks wait
// for the frames before them. Sequence numbers are counted here, in the one
// process. No HTTP queries and no log of its own: the durability is Redis's
// (run_redis.sh: none by default, REDIS_AOF=always).
//
// With --push on it also serves dashboards (GET /v1/stream, stream.mjs), and
// step 3 adds the frame's sums to the grand totals (4 HINCRBYs a frame).
//
//   node server.mjs --listen 127.0.0.1:0 --redis-port 6379 --variant lean
//   node server.mjs … --variant full --push on [--push-interval 100]
import http from 'node:http';
import { WebSocketServer } from 'ws';
import Redis from 'ioredis';
import { attachStream } from './stream.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const [host, port] = (args.listen ?? '127.0.0.1:0').split(':');
const variant = args.variant ?? 'lean';
if (variant !== 'lean' && variant !== 'full') throw new Error(`--variant: '${variant}' (expected lean or full)`);
const push = (args.push ?? 'off') === 'on';
const pushIntervalMs = Number(args['push-interval'] ?? 100);
const TZ_MS = 8 * 3600 * 1000;  // days at +08:00, as bangdan's default --tz
const DEDUP_SECONDS = 3600;     // bangdan's default --dedup-window

const redis = new Redis({ host: '127.0.0.1', port: Number(args['redis-port'] ?? 6379), enableAutoPipelining: false });
let seq = 0;

const STRINGS = [['id', 128, true], ['city', 64, true], ['firm', 128, true], ['team', 128, false],
  ['user', 128, false], ['product', 128, false]];
const INTEGERS = [['weight_g', 1e9], ['amount_fen', 1e12]];

// The error of event `e`, or null.
function invalid(e) {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return 'event: must be an object';
  for (const [field, max, required] of STRINGS) {
    const v = e[field];
    if (v === undefined || v === null) {
      if (required) return `${field}: required`;
      continue;
    }
    if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v) > max) return `${field}: must be a string of 1 to ${max} bytes`;
  }
  for (const [field, max] of INTEGERS) {
    const v = e[field];
    if (!Number.isInteger(v) || v < 0 || v > max) return `${field}: must be an integer from 0 to ${max}`;
  }
  if (e.ts !== undefined && e.ts !== null && !Number.isInteger(e.ts)) return 'ts: must be an integer';
  if (e.refund !== undefined && e.refund !== null && typeof e.refund !== 'boolean') return 'refund: must be a boolean';
  return null;
}

// The ZINCRBYs (and PUBLISH) of one accepted event, added to pipeline `p`.
function addUpdates(p, e) {
  const sign = e.refund ? -1 : 1;
  if (variant === 'lean') {
    p.zincrby('city:w', sign * e.weight_g, e.city);
    p.zincrby('firm:w', sign * e.weight_g, e.firm);
    if (e.team) p.zincrby('team:w', sign * e.weight_g, e.team);
    return;
  }
  const day = new Date((e.ts ?? Date.now()) + TZ_MS).toISOString().slice(0, 10);
  const deltas = { w: sign * e.weight_g, a: sign * e.amount_fen, o: sign };
  const boards = [['city:', e.city], ['firm:', e.firm], [`firm@${e.city}:`, e.firm]];
  if (e.team) boards.push(['team:', e.team], [`team@${e.city}:`, e.team], [`team@${e.firm}:`, e.team]);
  if (e.user) boards.push(['user:', e.user]);
  if (e.user && e.team) boards.push([`user@${e.team}:`, e.user]);
  if (e.product) boards.push(['product:', e.product], [`product@${e.city}:`, e.product]);
  for (const [prefix, member] of boards) {
    for (const m of ['w', 'a', 'o']) {
      p.zincrby(`${prefix}${m}:total`, deltas[m], member);
      p.zincrby(`${prefix}${m}:${day}`, deltas[m], member);
    }
  }
  p.publish('bangdan:events', e.team ?? e.firm);
}

// The grand totals the screens show (--push on), summed per frame.
function addTotals(p, accepted) {
  const sum = { weight_g: 0, amount_fen: 0, orders: 0, events: accepted.length };
  for (const e of accepted) {
    const sign = e.refund ? -1 : 1;
    sum.weight_g += sign * e.weight_g;
    sum.amount_fen += sign * e.amount_fen;
    sum.orders += sign;
  }
  for (const [field, delta] of Object.entries(sum)) p.hincrby('totals:total', field, delta);
}

// The answer to one frame (text), as bangdan's.
async function handle(text, frameNumber) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return JSON.stringify({ type: 'error', batch: frameNumber, error: 'not JSON' });
  }
  let batch = frameNumber;
  let events;
  if (Array.isArray(body)) {
    events = body;
  } else if (body !== null && typeof body === 'object' && Array.isArray(body.events)) {
    if (body.batch !== undefined && body.batch !== null) batch = body.batch;
    events = body.events;
  } else {
    events = [body];
  }
  const rejected = [];
  const valid = [];
  events.forEach((e, index) => {
    const error = invalid(e);
    if (error) rejected.push({ index, error });
    else valid.push(e);
  });
  const dedup = redis.pipeline();
  for (const e of valid) dedup.set(`dedup:${e.id}`, 1, 'EX', DEDUP_SECONDS, 'NX');
  const verdicts = valid.length ? await dedup.exec() : [];
  const accepted = valid.filter((_, i) => verdicts[i][1] === 'OK');
  seq += accepted.length;
  const lastSeq = seq;
  if (accepted.length) {
    const updates = redis.pipeline();
    for (const e of accepted) addUpdates(updates, e);
    if (push) addTotals(updates, accepted);
    for (const [err] of await updates.exec()) if (err) throw err;
  }
  return JSON.stringify({ type: 'ack', batch, accepted: accepted.length, duplicates: valid.length - accepted.length,
    rejected, seq: lastSeq });
}

const server = http.createServer((req, res) => {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end('{"error":"not found"}');
});
const wss = new WebSocketServer({ noServer: true, maxPayload: 4 << 20 });
server.on('upgrade', (req, socket, head) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === '/v1/ingest') wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  else if (path !== '/v1/stream' || !push) socket.destroy();
});
if (push) attachStream(server, redis, { intervalMs: pushIntervalMs });
wss.on('connection', (ws) => {
  let frames = 0;
  let acks = Promise.resolve();  // acks leave in frame order
  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.close(1003);
    const answer = handle(data.toString(), ++frames);
    acks = acks.then(async () => ws.send(await answer)).catch((err) => {
      console.error(`ERROR ${err.message}`);
      ws.close(1011);
    });
  });
});
server.listen(Number(port), host, () => {
  console.error(`listening on ${host}:${server.address().port} (variant ${variant}, push ${push ? 'on' : 'off'})`);
});
