// The live-push connection (SPEC §5): one WebSocket to /v1/stream on the
// page's own host, reopened by itself with exponential backoff and jitter,
// and every subscription sent again after each reconnect — a server restart
// or a flaky venue network must never leave a big screen frozen. A connection
// that goes silent is asked for a sign of life, and given up when none comes.

const BACKOFF_FIRST_MS = 500;
// A screen is back at most 5 s after its server (2.5–5 s, jittered): long
// enough apart for ten thousand screens to come back at a few thousand a
// second, short enough that a restart is a blink on the wall.
const BACKOFF_MAX_MS = 5000;
// A connection that lived this long was healthy: the next failure starts the
// backoff from the beginning again.
const HEALTHY_AFTER_MS = 5000;
// A handshake that hangs (a half-open venue network) counts as a failure.
const CONNECT_TIMEOUT_MS = 10000;

// An open connection can go silent with nothing to say so: a server process
// stopped in its tracks, a frozen machine, a NAT that forgot the connection.
// TCP tells nobody for minutes, and the screen would go on saying "live" over
// figures that no longer move. §5 has no ping a page can send, and a browser
// shows WebSocket pings to no script, so the page asks within the protocol:
// after QUIET_MS without a message it subscribes again to its probe view
// under the same `sub`, which the server answers with a fresh snapshot (§5).
// Any message is an answer; none within ANSWER_MS, and the connection is
// given up as stalled. A busy server, pushing every 100 ms, is never asked;
// an idle one sends each screen one small snapshot per QUIET_MS.
const QUIET_MS = 10000;
const ANSWER_MS = 5000;
const WATCH_EVERY_MS = 1000;

export class Stream {
  // onMessage(msg): every parsed server message.
  // onState(state, retryInMs): "connecting" | "open" | "stalled" | "closed";
  //   "stalled" from a connection given up for silence until the next one
  //   opens (or the server refuses one: then it is "closed").
  // probe: the `sub` whose subscription asks a quiet server for a sign of life
  //   (the smallest view: its fresh snapshot must disturb nothing on screen).
  constructor(url, { onMessage, onState, probe }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onState = onState;
    this.probe = probe;
    this.subscriptions = new Map();  // sub id → the subscribe message
    this.socket = null;
    this.failures = 0;
    this.openedAt = 0;
    this.retryTimer = 0;
    this.stalled = false;
    this.heardAt = 0;                // performance.now() of the last message
    this.askedAt = 0;                // of the unanswered probe, or 0
    this.watchdog = 0;
  }

  start() {
    this.connect();
  }

  // Replaces the subscription `sub` (the server does the same: §5).
  subscribe(message) {
    this.subscriptions.set(message.sub, message);
    this.send(message);
  }

  unsubscribe(sub) {
    if (!this.subscriptions.delete(sub)) return;
    this.send({ op: "unsubscribe", sub });
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
    // Otherwise it goes out with the others when the connection opens.
  }

  connect() {
    this.retryTimer = 0;
    this.onState(this.stalled ? "stalled" : "connecting", 0);
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      console.error("bangdan: cannot open", this.url, error);
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    let timedOut = false;
    const handshake = setTimeout(() => {
      timedOut = true;
      socket.close();
    }, CONNECT_TIMEOUT_MS);
    socket.onopen = () => {
      clearTimeout(handshake);
      this.openedAt = Date.now();
      this.stalled = false;
      this.onState("open", 0);
      for (const message of this.subscriptions.values()) {
        socket.send(JSON.stringify(message));
      }
      this.heardAt = performance.now();
      this.askedAt = 0;
      this.watchdog = setInterval(() => this.checkAlive(socket), WATCH_EVERY_MS);
    };
    socket.onmessage = (event) => {
      this.heardAt = performance.now();
      this.askedAt = 0;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        console.warn("bangdan: a message that is not JSON", event.data);
        return;
      }
      this.onMessage(message);
    };
    // "error" is always followed by "close"; the retry is decided there.
    socket.onclose = () => {
      clearTimeout(handshake);
      if (this.socket !== socket) return;
      // A stalled server that still hangs is still stalled; one that refuses
      // the connection is gone.
      if (!timedOut) this.stalled = false;
      this.ended();
    };
  }

  // Asks a quiet server for a sign of life, and gives the connection up
  // when none comes.
  checkAlive(socket) {
    const now = performance.now();
    if (this.askedAt) {
      if (now - this.askedAt >= ANSWER_MS) this.stall(socket);
      return;
    }
    if (now - this.heardAt < QUIET_MS) return;
    const probe = this.subscriptions.get(this.probe) ?? this.subscriptions.values().next().value;
    if (!probe) return;
    this.askedAt = now;
    socket.send(JSON.stringify(probe));
  }

  // The socket is dropped without waiting for its closing handshake, which a
  // stopped server would never finish (a browser can wait a minute for it):
  // its "close", whenever it comes, is for a socket no longer ours, and ignored.
  stall(socket) {
    console.warn("bangdan: the server stopped answering; reconnecting");
    this.stalled = true;
    this.ended();
    socket.close();
  }

  // The connection is over, closed or given up: the next one after a backoff.
  ended() {
    clearInterval(this.watchdog);
    this.socket = null;
    const lived = this.openedAt ? Date.now() - this.openedAt : 0;
    this.openedAt = 0;
    if (lived >= HEALTHY_AFTER_MS) this.failures = 0;
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (this.retryTimer) return;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 16);
    // "Equal jitter": screens restarted together (a venue's
    // power cut) must not hammer the server in lockstep.
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.onState(this.stalled ? "stalled" : "closed", delay);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}

// ws: or wss: following the page, same host, the page's ?token= passed on.
export function streamUrl(location, token) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  return `${scheme}//${location.host}/v1/stream${query}`;
}
