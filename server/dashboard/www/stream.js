// The live-push connection (SPEC §5): one WebSocket to /v1/stream on the
// page's own host, reopened by itself with exponential backoff and jitter,
// and every subscription sent again after each reconnect — a server restart
// or a flaky venue network must never leave a big screen frozen.

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

export class Stream {
  // onMessage(msg): every parsed server message.
  // onState(state, retryInMs): "connecting" | "open" | "closed".
  constructor(url, { onMessage, onState }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onState = onState;
    this.subscriptions = new Map();  // sub id → the subscribe message
    this.socket = null;
    this.failures = 0;
    this.openedAt = 0;
    this.retryTimer = 0;
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
    this.onState("connecting", 0);
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      console.error("bangdan: cannot open", this.url, error);
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    const handshake = setTimeout(() => socket.close(), CONNECT_TIMEOUT_MS);
    socket.onopen = () => {
      clearTimeout(handshake);
      this.openedAt = Date.now();
      this.onState("open", 0);
      for (const message of this.subscriptions.values()) {
        socket.send(JSON.stringify(message));
      }
    };
    socket.onmessage = (event) => {
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
      this.socket = null;
      const lived = this.openedAt ? Date.now() - this.openedAt : 0;
      this.openedAt = 0;
      if (lived >= HEALTHY_AFTER_MS) this.failures = 0;
      this.scheduleRetry();
    };
  }

  scheduleRetry() {
    if (this.retryTimer) return;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 16);
    // "Equal jitter": screens restarted together (a venue's
    // power cut) must not hammer the server in lockstep.
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.onState("closed", delay);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}

// ws: or wss: following the page, same host, the page's ?token= passed on.
export function streamUrl(location, token) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  return `${scheme}//${location.host}/v1/stream${query}`;
}
