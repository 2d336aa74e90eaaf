/* Projector rotation and room timer.
 *
 * While a rotation runs it takes the screen: "Round 3 of 10", a large countdown (warning colours in the last 30 s,
 * or the last 20 % of a short round), "Move now" for the first 10 s of each round, and the table map (every table
 * with its names). The map's type shrinks until every table fits on one screen: 50 tables of two stay readable.
 * The room timer takes the screen when nothing else does (a large countdown, its label, "Slide 7 of 20" and the
 * slide's progress for a PechaKucha); otherwise it sits in a corner. */
(function () {
  "use strict";
  var T = window.Tavolo, TT = window.TavoloTimer, t = T.t, el = T.el, $ = T.$;
  var MOVE_MS = 10000;

  function mount() {
    var section = $("proj-rotation"), list = $("prr-tables"), sig = null, current = null;
    var count = TT.countdownEl({id: "prr-countdown", class: "tv-countdown prr-countdown"});
    $("prr-clock").appendChild(count);
    var timerBox = $("proj-timer"), timer = TT.mountRoomTimer(timerBox, {cls: "rt-proj"});

    TT.onFrame(function (now) {
      if (!current) return;
      var c = current.clock || {};
      var moving = c.state === "running" && TT.elapsed(c, now) < Math.min(MOVE_MS, (c.duration_ms || 0) / 3) &&
        TT.remaining(c, now) > 0;
      if ($("prr-move").hidden === moving) {
        $("prr-move").hidden = !moving;
        section.classList.toggle("moving", moving);
        fit();  // the banner may change the header's height
      }
      section.classList.toggle("warn", count.classList.contains("warn"));
    });

    function draw(r) {
      var tables = r.tables || [];
      list.dataset.count = tables.length;
      list.dataset.size = tables.length <= 6 ? "l" : tables.length <= 16 ? "m" : tables.length <= 36 ? "s" : "xs";
      T.clear(list);
      tables.forEach(function (tab) {
        list.appendChild(el("li", {class: "prr-table", dataset: {table: tab.table}},
          el("span", {class: "prr-n"}, tab.table),
          el("span", {class: "prr-names"}, tab.names.map(function (n) { return el("span", {class: "prr-name"}, n); }))));
      });
      fit();
    }
    /* Shrink the map's type until every table fits. */
    function fit() {
      var main = $("prr-main"), size = list.dataset.size === "l" ? 1.6 : 1;
      list.style.fontSize = size + "em";
      for (var i = 0; i < 24 && main.scrollHeight > main.clientHeight + 1; i++) {
        size *= 0.9;
        list.style.fontSize = size.toFixed(3) + "em";
      }
    }
    window.addEventListener("resize", function () { if (current) fit(); });

    return {
      /* Show the rotation (true) or step aside (false); hidden while a group reports back (`reporting`). */
      render: function (view, reporting) {
        var r = view.rotation, on = !!r && r.state === "running" && !reporting;
        current = on ? r : null;
        section.hidden = !on;
        document.body.classList.toggle("rotation-mode", on);
        if (!on) { TT.set(count, null); sig = null; }
        else {
          var paused = (r.clock || {}).state === "paused";
          $("prr-label").textContent = (r.title || t("Rotation")) + (paused ? " · " + t("Paused") : "");
          $("prr-round").textContent = t("Round %(n)s of %(total)s", {n: r.current, total: r.rounds});
          $("prr-round").dataset.round = r.current;
          TT.set(count, r.clock);
          section.classList.toggle("paused", paused);
          var s = JSON.stringify([r.current, r.tables]);
          if (s !== sig) { sig = s; draw(r); }
        }
        // The room timer: the whole screen when nothing else has it, else a corner.
        var busy = on || reporting || document.body.classList.contains("poll-mode");
        var timed = timer.render(view.timer || null);
        timerBox.classList.toggle("corner", timed && busy);
        document.body.classList.toggle("timer-mode", timed && !busy);
        return on;
      }
    };
  }

  window.TavoloRotationProjector = {mount: mount};
})();
