// Numbers that count up (or down) to their new value instead of jumping:
// one requestAnimationFrame loop for every animated number on the page, which
// runs only while something moves and writes text only when it changes.

const tweens = new Map();  // element → {from, to, start, duration, format, shown}
let frame = 0;

function easeOutCubic(t) {
  return 1 - (1 - t) ** 3;
}

function valueAt(tween, now) {
  const t = Math.min(1, (now - tween.start) / tween.duration);
  return tween.from + (tween.to - tween.from) * easeOutCubic(t);
}

function tick(now) {
  frame = 0;
  for (const [element, tween] of tweens) {
    const text = tween.format(valueAt(tween, now));
    if (text !== tween.shown) {
      element.textContent = text;
      tween.shown = text;
    }
    if (now - tween.start >= tween.duration) tweens.delete(element);
  }
  if (tweens.size) frame = requestAnimationFrame(tick);
}

// Shows `target` in `element` through `format`, moving from what the element
// shows now. A new target in mid-flight starts from the current position, so
// ten updates a second blend into one smooth motion. The same target again
// (a fresh snapshot of an unchanged view) leaves a running count alone.
export function countTo(element, target, format, duration = 800) {
  const now = performance.now();
  const running = tweens.get(element);
  if (running && running.to === target) return;
  const from = running ? valueAt(running, now) : element.countedValue ?? target;
  element.countedValue = target;
  if (from === target && !running) {
    const text = format(target);
    if (element.textContent !== text) element.textContent = text;
    return;
  }
  tweens.set(element, { from, to: target, start: now, duration, format,
                        shown: running ? running.shown : null });
  if (!frame) frame = requestAnimationFrame(tick);
}
