// One ranking on the screen. The list holds one <li> per place, in rank
// order: slot i always shows rank i + 1, so the document reads as the screen
// does — for a screen reader, or a script that takes the first row for the
// leader. A slot sits where its place is (a translateY that never changes);
// when an entity climbs from place 5 to place 2, slot 2 takes its content and
// slides from place 5 to its own, and its bar grows from the entity's old
// length — Web Animations of transforms in percent of a row's own height, on
// the compositor, with no layout read back at 10 updates a second. Moving
// elements in the document instead would cancel their CSS transitions.

import { displayValue, formatNumber } from "./i18n.js";

// How long a rank-movement arrow stays up: every update carries prev_rank
// against the version just before it, and a move seen for 100 ms only would
// be invisible from across the room.
const MOVE_SHOWN_MS = 4000;
const LEAVE_MS = 600;
// As --move in style.css.
const MOVE = { duration: 700, easing: "cubic-bezier(0.22, 1, 0.36, 1)" };
// As .row's --gap in style.css: the space between two columns.
const COLUMN_GAP = "3rem";
// The end of a long name that stays when its middle is cut: at most this many
// em, and this share of the name's width.
const TAIL_MAX_EM = 5;
const TAIL_SHARE = 0.4;

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
    this.slots = [];          // <li> per place, in rank order
    this.shown = new Map();   // key → {index, share} as the last view showed it
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
        if (row?.dataset.key) onSelect(row.dataset.key);
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
    this.slots.forEach((slot, index) => this.place(slot, index));
    for (const slot of this.slots.splice(top)) this.retire(slot);
  }

  // Rows go away (a new scope or window is coming), the board says it waits.
  clear() {
    for (const slot of this.slots) this.retire(slot);
    this.slots = [];
    this.shown.clear();
    this.moves.clear();
    this.countLabel.textContent = "";
    this.element.classList.add("is-empty");
  }

  // Marks one key (the city picked as scope) on this board.
  select(key) {
    this.selected = key;
    for (const slot of this.slots) slot.classList.toggle("selected", slot.dataset.key === key);
  }

  // A snapshot or update message of §5 for this board.
  show(message) {
    const now = performance.now();
    // A snapshot starts a view afresh (a new scope or window): arrows of the
    // old one would point at moves nobody saw.
    if (message.type === "snapshot") this.moves.clear();
    const rows = (message.rows || []).slice(0, this.top);
    const leader = rows.length ? Math.max(1, rows[0][this.metric]) : 1;
    // Where each entity is on screen now — mid-slide, some of them — read
    // before any slot takes new content.
    const onScreen = this.onScreen();
    const shown = new Map();
    rows.forEach((data, index) => {
      if (message.type === "update") this.noteMove(data, now);
      const slot = this.slots[index] || this.addSlot(index);
      const share = Math.max(0, data[this.metric]) / leader;
      this.fill(slot, index, data, share, onScreen.get(data.key));
      shown.set(data.key, { index, share });
    });
    for (const slot of this.slots.splice(rows.length)) this.retire(slot);
    for (const key of [...this.moves.keys()]) {
      if (!shown.has(key)) this.moves.delete(key);
    }
    this.shown = shown;
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

  // key → {col, pos, share}: where its row and how long its bar are on
  // screen now, slides in progress included (eased progress of the running
  // animation; nothing is measured).
  onScreen() {
    const at = new Map();
    for (const [key, { index, share }] of this.shown) {
      const slot = this.slots[index];
      const here = { ...this.placeOf(index), share };
      const slide = slot?.slide;
      if (slide && slide.animation.playState === "running") {
        const t = slide.animation.effect.getComputedTiming().progress ?? 1;
        here.col = slide.from.col + (here.col - slide.from.col) * t;
        here.pos = slide.from.pos + (here.pos - slide.from.pos) * t;
      }
      const grow = slot?.grow;
      if (grow && grow.animation.playState === "running") {
        const t = grow.animation.effect.getComputedTiming().progress ?? 1;
        here.share = grow.from + (share - grow.from) * t;
      }
      at.set(key, here);
    }
    return at;
  }

  placeOf(index) {
    return { col: Math.floor(index / this.perColumn), pos: index % this.perColumn };
  }

  place(slot, index) {
    const { col, pos } = this.placeOf(index);
    slot.style.setProperty("--pos", pos);
    slot.style.setProperty("--col", col);
  }

  // Slot `index` shows `data`. An entity new to the slot slides in from where
  // it was on screen (`from`), or fades in when it was not on the board.
  fill(slot, index, data, share, from) {
    if (slot.dataset.key !== data.key) {
      slot.slide?.animation.cancel();
      slot.grow?.animation.cancel();
      slot.slide = slot.grow = null;
      slot.dataset.key = data.key;
      const { head, tail, em } = nameParts(data.key);
      slot.nameHead.textContent = head;
      slot.nameTail.textContent = tail;
      slot.nameLabel.style.setProperty("--em", em);
      slot.classList.toggle("selected", data.key === this.selected);
      if (!from) {
        slot.animate([{ opacity: 0 }, { opacity: 1 }], { duration: LEAVE_MS, easing: "ease-out" });
      } else {
        const to = this.placeOf(index);
        if (from.col !== to.col || from.pos !== to.pos) {
          slot.slide = { from, animation: slot.animate(
            [{ transform: translateTo(from) }, { transform: translateTo(to) }], MOVE) };
        }
      }
      const grownFrom = from ? from.share : 0;
      slot.grow = { from: grownFrom, animation: slot.bar.animate(
        [{ transform: `scaleX(${grownFrom})` }, { transform: `scaleX(${share})` }], MOVE) };
    }
    slot.dataset.rank = data.rank;
    slot.dataset.value = data[this.metric];
    slot.classList.toggle("podium", data.rank <= 3);
    slot.style.setProperty("--share", share);  // the same entity: a CSS transition grows it
    slot.rankLabel.textContent = data.rank;
    // Rows change their figure outright, ten times a second at most; the
    // grand totals count up, the bars grow. Thirty counters redrawn every frame
    // would cost a slow screen its frame rate for little to see.
    const text = formatNumber(this.lang, displayValue(this.metric, data[this.metric]));
    if (slot.valueLabel.textContent !== text) slot.valueLabel.textContent = text;
    // The other metrics, for whoever points at a row on a laptop.
    slot.title = [data.key, ...["weight_g", "amount_fen", "orders"].map((m) =>
      formatNumber(this.lang, displayValue(m, data[m])) + this.labels.units[m])].join(" · ");
  }

  addSlot(index) {
    const slot = document.createElement("li");
    slot.className = "row";
    slot.innerHTML = `
      <span class="bar"></span>
      <span class="rank"></span>
      <span class="name">
        <span class="name-text"><span class="name-head"></span><span class="name-tail"></span></span>
      </span>
      <span class="move"></span>
      <span class="value"><b></b><small></small></span>`;
    slot.bar = slot.querySelector(".bar");
    slot.rankLabel = slot.querySelector(".rank");
    slot.nameLabel = slot.querySelector(".name");
    slot.nameHead = slot.querySelector(".name-head");
    slot.nameTail = slot.querySelector(".name-tail");
    slot.moveLabel = slot.querySelector(".move");
    slot.valueLabel = slot.querySelector(".value b");
    slot.querySelector(".value small").textContent = this.labels.units[this.metric];
    slot.slide = slot.grow = null;
    this.place(slot, index);
    this.list.append(slot);
    this.slots.push(slot);
    return slot;
  }

  // A place no longer filled: its row fades away.
  retire(slot) {
    slot.classList.add("leaving");
    slot.removeAttribute("data-rank");
    slot.removeAttribute("data-key");
    setTimeout(() => slot.remove(), LEAVE_MS);
  }

  // Puts up the arrows still due and takes down the expired ones; wakes
  // itself for the next expiry.
  refreshMoves() {
    const now = performance.now();
    let next = Infinity;
    for (const slot of this.slots) {
      const key = slot.dataset.key;
      const move = this.moves.get(key);
      const live = move && move.until > now;
      if (move && !live) this.moves.delete(key);
      const text = live ? (move.className === "new" ? this.labels.newEntry : move.text) : "";
      if (slot.moveLabel.textContent !== text) slot.moveLabel.textContent = text;
      slot.moveLabel.className = live ? `move ${move.className}` : "move";
      if (live) next = Math.min(next, move.until);
    }
    clearTimeout(this.expiry);
    if (next !== Infinity) this.expiry = setTimeout(() => this.refreshMoves(), next - now + 20);
  }
}

// The transform of a row at place {col, pos} (fractional mid-slide), as
// style.css writes it for .row from --col and --pos.
function translateTo({ col, pos }) {
  return `translate(calc((100% + ${COLUMN_GAP}) * ${col}), calc(100% * ${pos}))`;
}

// Characters a CJK font draws square (CJK ideographs, kana, hangul, full-width
// forms); the others are taken at 0.6 em, about their mean width here.
const WIDE = /[\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]/u;

// A name as its row shows it: a head, which an ellipsis ends when the row is
// too narrow, and a tail that always shows, with the name's estimated width in
// em (style.css shrinks a name that does not fit before it cuts). Cut at the
// end, the firms of one group (安徽某某物业管理有限公司第一分公司, …第二分公司)
// would all read the same; their ends tell them apart. Estimated, not
// measured: a row is filled ten times a second, and reading layout back
// would cost a frame.
function nameParts(name) {
  const chars = Array.from(name);
  const widths = chars.map((c) => (WIDE.test(c) ? 1 : 0.6));
  const em = widths.reduce((sum, w) => sum + w, 0);
  const room = Math.min(TAIL_MAX_EM, TAIL_SHARE * em);
  let cut = chars.length;
  let tail = 0;
  while (cut > 1 && tail + widths[cut - 1] <= room) tail += widths[--cut];
  return { head: chars.slice(0, cut).join(""), tail: chars.slice(cut).join(""), em };
}
