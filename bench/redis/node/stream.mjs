// The push side of the Node.js + Redis stack (server.mjs --push on): GET
// /v1/stream with the messages of SPEC §5 that bangdan-loadgen's dashboards
// send — top-N views of the total window and the grand totals — answered the
// way such a server is written:
//
//   every --push-interval, for all views that have subscribers at once,
//   1. one pipeline: each top view's ZREVRANGE … WITHSCORES on its metric's
//      sorted set and its ZCARD; the totals' HGETALL and the unscoped
//      boards' ZCARDs (entities);
//   2. one pipeline: each top view's ZMSCORE on the other two metrics' sets
//      (every row carries all three);
//   3. each view that changed is serialized once per `sub` name and sent to
//      its subscribers (snapshot to a newcomer, update to the others), with
//      prev_rank from the view's previous version.
//
// A tick that finds the one before still running is skipped, as is a client
// with more than 1 MiB unsent (it gets a later version). One Redis
// connection, shared with ingest: the reads see every frame acked before
// they were sent. Day windows, around views and unsubscribe are not served
// (an error says so): the comparison's dashboards use none of them.
import { WebSocketServer } from 'ws';

const METRICS = { weight_g: 'w', amount_fen: 'a', orders: 'o' };
const SCOPES = { city: [], firm: ['city'], team: ['city', 'firm'], user: ['team'], product: ['city'] };
const MAX_UNSENT = 1 << 20;

// The sorted sets' key prefix of a board, as server.mjs's full variant names
// them; or an error.
function boardPrefix(m) {
  const allowed = SCOPES[m.board];
  if (!allowed) return { error: `unknown board '${m.board}'` };
  const scope = m.scope ?? {};
  const dims = Object.keys(scope);
  if (dims.length > 1 || (dims.length === 1 && !allowed.includes(dims[0]))) {
    return { error: `scope: ${m.board} cannot be scoped by ${dims.join(', ')}` };
  }
  return { prefix: dims.length ? `${m.board}@${scope[dims[0]]}:` : `${m.board}:` };
}

// A view from a subscribe message: { key, totals } or { key, prefix, metric, top }, or an error.
function viewOf(m) {
  const window = m.window ?? 'total';
  if (window !== 'total') return { error: 'window: only total is served here' };
  if (m.board === 'totals') return { key: 'totals', totals: true };
  if (m.around !== undefined) return { error: 'around: not served here' };
  const metric = m.metric ?? 'weight_g';
  if (!METRICS[metric]) return { error: `metric: unknown '${metric}'` };
  const top = m.top ?? 10;
  if (!Number.isInteger(top) || top < 1 || top > 1000) return { error: 'top: must be an integer from 1 to 1000' };
  const { prefix, error } = boardPrefix(m);
  if (error) return { error };
  return { key: `${prefix}${metric}:${top}`, prefix, metric, top };
}

function send(ws, text) {
  if (ws.readyState === ws.OPEN && ws.bufferedAmount <= MAX_UNSENT) ws.send(text);
}

export function attachStream(httpServer, redis, { intervalMs }) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 16 });
  const views = new Map();  // view key → view with its subscribers

  let connections = 0;
  wss.on('connection', (ws) => {
    ws.id = ++connections;
    const mine = new Map();  // sub → view
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003);
      let m;
      try {
        m = JSON.parse(data.toString());
      } catch {
        return send(ws, JSON.stringify({ type: 'error', error: 'not JSON' }));
      }
      if (m?.op !== 'subscribe') return send(ws, JSON.stringify({ type: 'error', sub: m?.sub, error: `op: not served here` }));
      const spec = viewOf(m);
      if (spec.error) return send(ws, JSON.stringify({ type: 'error', sub: m.sub, error: spec.error }));
      mine.get(m.sub)?.subscribers.delete(`${m.sub}\u0000${ws.id}`);
      let view = views.get(spec.key);
      if (!view) {
        view = { ...spec, subscribers: new Map(), version: 0, body: null, ranks: new Map() };
        views.set(spec.key, view);
      }
      view.subscribers.set(`${m.sub}\u0000${ws.id}`, { ws, sub: m.sub, fresh: true });
      mine.set(m.sub, view);
    });
    ws.on('close', () => {
      for (const [sub, view] of mine) view.subscribers.delete(`${sub}\u0000${ws.id}`);
    });
  });

  httpServer.on('upgrade', (req, socket, head) => {
    if (new URL(req.url, 'http://x').pathname !== '/v1/stream') return;
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  let busy = false;
  setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      await tick([...views.values()].filter((v) => v.subscribers.size > 0));
    } catch (err) {
      console.error(`ERROR push: ${err.message}`);
    } finally {
      busy = false;
    }
  }, intervalMs);

  async function tick(watched) {
    if (watched.length === 0) return;
    const first = redis.pipeline();
    for (const v of watched) {
      if (v.totals) {
        first.hgetall('totals:total');
        for (const dim of Object.keys(SCOPES)) first.zcard(`${dim}:w:total`);
      } else {
        first.zrevrange(`${v.prefix}${METRICS[v.metric]}:total`, 0, v.top - 1, 'WITHSCORES');
        first.zcard(`${v.prefix}${METRICS[v.metric]}:total`);
      }
    }
    const answers = (await first.exec()).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const second = redis.pipeline();
    let at = 0;
    const read = watched.map((v) => {
      if (v.totals) {
        const [totals, ...counts] = answers.slice(at, (at += 6));
        return { totals, counts };
      }
      const [flat, count] = answers.slice(at, (at += 2));
      const keys = flat.filter((_, i) => i % 2 === 0);
      const scores = { [v.metric]: flat.filter((_, i) => i % 2 === 1) };
      const others = Object.keys(METRICS).filter((m) => m !== v.metric);
      if (keys.length) for (const m of others) second.zmscore(`${v.prefix}${METRICS[m]}:total`, ...keys);
      return { keys, scores, others, count };
    });
    const more = second.length ? await second.exec() : [];
    let next = 0;
    watched.forEach((v, i) => {
      const r = read[i];
      if (v.totals) {
        const t = r.totals;
        const entities = Object.fromEntries(Object.keys(SCOPES).map((dim, d) => [dim, r.counts[d]]));
        publish(v, (prevRank) => ({ window: 'total', weight_g: Number(t.weight_g ?? 0),
          amount_fen: Number(t.amount_fen ?? 0), orders: Number(t.orders ?? 0), events: Number(t.events ?? 0), entities }));
        return;
      }
      if (r.keys.length) for (const m of r.others) r.scores[m] = more[next++][1];
      publish(v, (prevRank) => ({ count: r.count, rows: r.keys.map((key, row) => ({ rank: row + 1, key,
        weight_g: Number(r.scores.weight_g[row]), amount_fen: Number(r.scores.amount_fen[row]),
        orders: Number(r.scores.orders[row]), prev_rank: prevRank(key) })) }));
    });
  }

  // Sends view v's new version (body(prevRank) builds it) to its subscribers
  // if it changed, and its current one to subscribers that have none yet.
  function publish(v, body) {
    const snapshot = body(() => null);
    const text = JSON.stringify(snapshot);
    let update = null;
    if (text !== v.body) {
      if (v.body !== null) update = body((key) => v.ranks.get(key) ?? null);
      v.version += 1;
      v.body = text;
      v.ranks = new Map(snapshot.rows?.map((row) => [row.key, row.rank]) ?? []);
    }
    const frames = new Map();  // one serialization per (type, sub)
    for (const s of v.subscribers.values()) {
      if (!s.fresh && !update) continue;
      const type = s.fresh ? 'snapshot' : 'update';
      const k = `${type}\u0000${s.sub}`;
      if (!frames.has(k)) {
        frames.set(k, JSON.stringify({ type, sub: s.sub, version: v.version, ...(s.fresh ? snapshot : update) }));
      }
      s.fresh = false;
      send(s.ws, frames.get(k));
    }
  }

  return wss;
}
