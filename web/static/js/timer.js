/* Tavolo: server-authoritative countdowns (rotation rounds and the room timer) on every screen.
 *
 * A clock is what the server records (domain/clock.py): {state: running|paused|stopped, ends_at, remaining_ms,
 * duration_ms}. A running clock reaches zero at ends_at on the server's clock (Tavolo.clock, corrected for this
 * device's offset), so the projector and every laptop show the same remaining time. Countdown nodes are painted on
 * every animation frame; each carries data-remaining-ms and data-at (performance.timeOrigin + performance.now() when
 * painted) so tests can compare screens. The room timer widget (mountRoomTimer) adds the label and, for a timer in
 * segments (a PechaKucha: 20 slides of 20 s), "Slide 7 of 20" and the current slide's progress bar. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el;
  var nodes = new Set(), frameFns = new Set();

  /* Milliseconds left on the server's clock (0 when stopped or over). */
  function remaining(clock, at) {
    if (!clock) return 0;
    if (clock.state === "paused") return Math.max(0, clock.remaining_ms || 0);
    if (clock.state !== "running") return 0;
    var end = Date.parse(clock.ends_at);
    return isNaN(end) ? 0 : Math.max(0, end - (at === undefined ? T.clock.now() : at));
  }
  /* Time since the run started (its duration includes extensions, so this survives +1 min and −30 s). */
  function elapsed(clock, at) {
    return clock ? Math.max(0, (clock.duration_ms || 0) - remaining(clock, at)) : 0;
  }
  /* "4:00", "0:09", "1:02:03": whole seconds, rounded up (0:00 only when time is up). */
  function format(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000)), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    var ss = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + ss : String(m).padStart(2, "0") + ":" + ss;
  }
  /* The warning before the end: the last 30 s, or the last 20 % of a short run. */
  function warnAt(clock) { return Math.min(30000, 0.2 * ((clock && clock.duration_ms) || 0)); }

  /* <span class="tv-countdown" role="timer">: give it a clock with set(). */
  function countdownEl(attrs) {
    var node = el("span", Object.assign({class: "tv-countdown", role: "timer", "aria-live": "off"}, attrs || {}));
    node.textContent = "--:--";
    return node;
  }
  function set(node, clock) {
    node.tvClock = clock || null;
    if (clock) nodes.add(node); else nodes.delete(node);
    paint(node, T.clock.now(), T.clock.perf());
    return node;
  }
  function paint(node, now, perf) {
    var c = node.tvClock;
    if (!c) { node.textContent = "--:--"; delete node.dataset.remainingMs; node.dataset.state = "stopped"; return; }
    var ms = remaining(c, now), text = format(ms);
    node.dataset.remainingMs = String(Math.round(ms));
    node.dataset.at = (performance.timeOrigin + perf).toFixed(1);
    node.dataset.state = c.state;
    if (node.textContent !== text) {
      node.textContent = text;
      node.setAttribute("aria-label", t("%(time)s left", {time: text}));
    }
    node.classList.toggle("warn", c.state === "running" && ms > 0 && ms <= warnAt(c));
    node.classList.toggle("over", c.state === "running" && ms <= 0);
    node.classList.toggle("paused", c.state === "paused");
  }
  /* fn(now) on every frame (for states that change with time alone: "Move now", the warning, slides). */
  function onFrame(fn) { frameFns.add(fn); return function () { frameFns.delete(fn); }; }

  function frame() {
    var perf = T.clock.perf(), now = T.clock.now();
    nodes.forEach(function (node) {
      if (!node.isConnected) { nodes.delete(node); return; }
      paint(node, now, perf);
    });
    frameFns.forEach(function (fn) { fn(now); });
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
  // A hidden tab gets no frames: catch up at once when it is shown again.
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { var now = T.clock.now(), perf = T.clock.perf(); nodes.forEach(function (n) { paint(n, now, perf); }); }
  });

  /* Which slide (1-based) of a timer in segments, and how far into it (0–1). */
  function segment(timer, now) {
    var c = timer.clock, n = Math.max(1, timer.segments || 1), length = (c.duration_ms || 1) / n;
    var gone = elapsed(c, now), i = Math.min(n - 1, Math.floor(gone / length));
    return {n: i + 1, of: n, progress: remaining(c, now) <= 0 ? 1 : Math.min(1, (gone - i * length) / length)};
  }

  /* The room timer in container: label, countdown, and for segments "Slide 7 of 20" with a progress bar.
   * render(timer view or null) returns whether it shows something. */
  function mountRoomTimer(container, opts) {
    opts = opts || {};
    var label = el("p", {class: "rt-label"}), count = countdownEl({class: "tv-countdown rt-countdown"});
    var state = el("p", {class: "rt-state"});
    var slide = el("p", {class: "rt-slide"}), fill = el("span", {class: "rt-bar-fill"});
    var bar = el("span", {class: "rt-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100"}, fill);
    var seg = el("div", {class: "rt-segments"}, slide, bar);
    container.appendChild(el("div", {class: "room-timer" + (opts.cls ? " " + opts.cls : "")}, label, count, state, seg));
    var current = null, lastSlide = null;
    onFrame(function (now) {
      if (!current || (current.segments || 1) <= 1) return;
      var s = segment(current, now);
      if (s.n + "/" + s.of !== lastSlide) {
        lastSlide = s.n + "/" + s.of;
        slide.textContent = t("Slide %(n)s of %(total)s", {n: s.n, total: s.of});
      }
      fill.style.width = (s.progress * 100).toFixed(2) + "%";
      bar.setAttribute("aria-valuenow", String(Math.round(s.progress * 100)));
      container.dataset.slide = String(s.n);
    });
    return {
      render: function (timer) {
        current = timer && timer.clock && timer.clock.state !== "stopped" ? timer : null;
        container.hidden = !current;
        if (!current) { set(count, null); return false; }
        label.textContent = current.label || t("Timer");
        set(count, current.clock);
        state.textContent = current.clock.state === "paused" ? t("Paused") : "";
        state.hidden = current.clock.state !== "paused";
        seg.hidden = (current.segments || 1) <= 1;
        if (seg.hidden) { lastSlide = null; delete container.dataset.slide; }
        return true;
      }
    };
  }

  window.TavoloTimer = {
    remaining: remaining, elapsed: elapsed, format: format, warnAt: warnAt, countdownEl: countdownEl, set: set,
    onFrame: onFrame, segment: segment, mountRoomTimer: mountRoomTimer
  };
})();
