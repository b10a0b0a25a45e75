// One ranking on the screen: rows keyed by entity, each placed by a transform
// (translateY by its rank, scaleX for its bar), so a new view moves rows and
// grows bars on the compositor — CSS transitions animate the swaps, and the
// page never reads layout back while it updates (no layout thrash at 10/s).

import { displayValue, formatNumber } from "./i18n.js";

// How long a rank-movement arrow stays up: every update carries prev_rank
// against the version just before it, and a move seen for 100 ms only would
// be invisible from across the room.
const MOVE_SHOWN_MS = 4000;
const LEAVE_MS = 600;

export class BoardView {
  // element: the <section> to fill; board: "city" | "firm" | "team".
  constructor(element, board, { lang, labels, onSelect }) {
    this.board = board;
    this.lang = lang;
    this.labels = labels;
    this.onSelect = onSelect;
    this.metric = "weight_g";
    this.top = 10;
    this.columns = 1;
    this.perColumn = 10;
    this.rows = new Map();    // key → <li>
    this.moves = new Map();   // key → {text, className, until}
    this.selected = null;
    this.expiry = 0;

    element.classList.add("board", `board-${board}`);
    element.dataset.board = board;
    element.innerHTML = `
      <header class="board-head">
        <h2 class="board-title"></h2>
        <span class="board-scope"></span>
        <span class="board-count"></span>
      </header>
      <ol class="rows"></ol>
      <p class="board-empty"></p>`;
    this.element = element;
    this.title = element.querySelector(".board-title");
    this.scopeLabel = element.querySelector(".board-scope");
    this.countLabel = element.querySelector(".board-count");
    this.list = element.querySelector(".rows");
    this.emptyLabel = element.querySelector(".board-empty");
    this.title.textContent = labels.boards[board];
    this.emptyLabel.textContent = labels.empty;
    this.element.classList.add("is-empty");  // until its first view
    if (onSelect) {
      this.list.addEventListener("click", (event) => {
        const row = event.target.closest(".row");
        if (row) onSelect(row.dataset.key);
      });
    }
  }

  // What is shown: a metric, a top-N, the scope's caption (or ""), and
  // whether the board has the screen to itself: then more than a dozen rows
  // go into two columns, so that twenty names stay readable from afar.
  configure({ metric, top, scopeCaption, alone = false }) {
    if (metric !== this.metric) this.clear();
    this.metric = metric;
    this.top = top;
    this.columns = alone && top > 12 ? 2 : 1;
    this.perColumn = Math.ceil(top / this.columns);
    this.list.style.setProperty("--top", this.perColumn);
    this.list.style.setProperty("--columns", this.columns);
    this.scopeLabel.textContent = scopeCaption;
  }

  // Rows go away (a new scope or window is coming), the board says it waits.
  clear() {
    for (const key of [...this.rows.keys()]) this.removeRow(key);
    this.moves.clear();
    this.countLabel.textContent = "";
    this.element.classList.add("is-empty");
  }

  // Marks one key (the city picked as scope) on this board.
  select(key) {
    this.selected = key;
    for (const [rowKey, row] of this.rows) {
      row.classList.toggle("selected", rowKey === key);
    }
  }

  // A snapshot or update message of §5 for this board.
  show(message) {
    const now = performance.now();
    const rows = (message.rows || []).slice(0, this.top);
    const seen = new Set();
    const leader = rows.length ? Math.max(1, rows[0][this.metric]) : 1;
    rows.forEach((data, index) => {
      seen.add(data.key);
      if (message.type === "update") this.noteMove(data, now);
      this.placeRow(data, index, leader);
    });
    for (const key of [...this.rows.keys()]) {
      if (!seen.has(key)) this.removeRow(key);
    }
    this.countLabel.textContent = this.labels.count(message.count ?? rows.length);
    this.element.classList.toggle("is-empty", rows.length === 0);
    this.refreshMoves();
  }

  noteMove(data, now) {
    if (data.prev_rank == null) {
      this.moves.set(data.key, { text: "new", className: "new", until: now + MOVE_SHOWN_MS });
    } else if (data.prev_rank !== data.rank) {
      const up = data.prev_rank > data.rank;
      const by = Math.abs(data.prev_rank - data.rank);
      this.moves.set(data.key, { text: `${up ? "▲" : "▼"}${by}`,
                                 className: up ? "up" : "down", until: now + MOVE_SHOWN_MS });
    }
  }

  placeRow(data, index, leader) {
    let row = this.rows.get(data.key);
    if (!row) row = this.createRow(data.key);
    row.dataset.rank = data.rank;
    row.dataset.value = data[this.metric];
    row.classList.toggle("podium", data.rank <= 3);
    row.style.setProperty("--pos", index % this.perColumn);
    row.style.setProperty("--col", Math.floor(index / this.perColumn));
    row.style.setProperty("--share", Math.max(0, data[this.metric]) / leader);
    row.rankLabel.textContent = data.rank;
    // Rows change their figure outright, ten times a second at most; the
    // grand totals count up, the bars grow. Thirty counters redrawn every frame
    // would cost a slow screen its frame rate for little to see.
    const text = formatNumber(this.lang, displayValue(this.metric, data[this.metric]));
    if (row.valueLabel.textContent !== text) row.valueLabel.textContent = text;
    // The other metrics, for whoever points at a row on a laptop.
    row.title = [data.key, ...["weight_g", "amount_fen", "orders"].map((m) =>
      formatNumber(this.lang, displayValue(m, data[m])) + this.labels.units[m])].join(" · ");
  }

  createRow(key) {
    const row = document.createElement("li");
    row.className = "row";
    row.dataset.key = key;
    row.innerHTML = `
      <span class="bar"></span>
      <span class="rank"></span>
      <span class="name"></span>
      <span class="move"></span>
      <span class="value"><b></b><small></small></span>`;
    row.rankLabel = row.querySelector(".rank");
    row.moveLabel = row.querySelector(".move");
    row.valueLabel = row.querySelector(".value b");
    row.querySelector(".name").textContent = key;
    row.querySelector(".value small").textContent = this.labels.units[this.metric];
    row.classList.toggle("selected", key === this.selected);
    // It slides in from below the last place (see .row in style.css).
    row.style.setProperty("--pos", this.perColumn);
    this.list.append(row);
    this.rows.set(key, row);
    return row;
  }

  removeRow(key) {
    const row = this.rows.get(key);
    this.rows.delete(key);
    this.moves.delete(key);
    row.classList.add("leaving");
    row.removeAttribute("data-rank");
    setTimeout(() => row.remove(), LEAVE_MS);
  }

  // Puts up the arrows still due and takes down the expired ones; wakes
  // itself for the next expiry.
  refreshMoves() {
    const now = performance.now();
    let next = Infinity;
    for (const [key, row] of this.rows) {
      const move = this.moves.get(key);
      const live = move && move.until > now;
      if (move && !live) this.moves.delete(key);
      const text = live ? (move.className === "new" ? this.labels.newEntry : move.text) : "";
      if (row.moveLabel.textContent !== text) row.moveLabel.textContent = text;
      row.moveLabel.className = live ? `move ${move.className}` : "move";
      if (live) next = Math.min(next, move.until);
    }
    clearTimeout(this.expiry);
    if (next !== Infinity) this.expiry = setTimeout(() => this.refreshMoves(), next - now + 20);
  }
}
