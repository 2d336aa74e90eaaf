/* Projector matchmaking: once the schedule is published, the current meeting slot — or the next one today — by the
 * server's clock: "Slot 4 · 10:20–10:40" and every table of it, "Table 12 — Ana (Proplast) meets Jan (Silesia
 * Automotive)". When the tables do not fit on one screen they are shown a page at a time. Nothing shows when no slot
 * is under way or still to come today, nor while a poll, a report-back, a rotation or the room timer has the screen. */
(function () {
  "use strict";
  var T = window.Tavolo, M = window.TavoloMatch, t = T.t, el = T.el, $ = T.$;
  var PAGE_MS = 10000, CHECK_MS = 2000;

  /* The slot under way, else the next one starting later today (on this screen's calendar), by the server's clock. */
  function pick(slots, now) {
    var today = new Date(now).toDateString();
    for (var i = 0; i < slots.length; i++) {
      var start = Date.parse(slots[i].start), end = Date.parse(slots[i].end);
      if (start <= now && now < end) return {index: i, current: true};
      if (start > now) return new Date(start).toDateString() === today ? {index: i, current: false} : null;
    }
    return null;
  }

  function mount() {
    var section = $("proj-match"), list = $("pm-tables"), last = null, busy = false, sig = null, page = 0, pages = 1;

    function paginate() {
      var items = Array.prototype.slice.call(list.children), main = $("pm-main");
      items.forEach(function (li) { li.hidden = false; });
      var height = main.clientHeight, per = items.length;
      // How many fit: the first item whose bottom passes the frame's height ends the first page.
      for (var i = 0; i < items.length; i++) {
        if (items[i].offsetTop - list.offsetTop + items[i].offsetHeight > height) { per = Math.max(1, i); break; }
      }
      pages = Math.max(1, Math.ceil(items.length / per));
      page = page % pages;
      items.forEach(function (li, j) { li.hidden = Math.floor(j / per) !== page; });
      $("pm-page").hidden = pages < 2;
      $("pm-page").textContent = t("Page %(n)s of %(total)s", {n: page + 1, total: pages});
    }
    function draw(m, at) {
      var slots = m.slots, rows = (m.by_slot || [])[at.index] || [];
      $("pm-label").textContent = at.current ? t("Meetings now") : t("Next meetings");
      $("pm-slot").textContent = M.slotLabel(at.index, slots);
      $("pm-slot").dataset.slot = at.index;
      list.dataset.size = rows.length <= 8 ? "l" : rows.length <= 20 ? "m" : "s";
      T.clear(list);
      rows.forEach(function (row) {
        list.appendChild(el("li", {class: "pm-table", dataset: {table: row.table}},
          el("span", {class: "pm-n"}, t("Table %(n)s", {n: row.table})),
          el("span", {class: "pm-who"}, t("%(a)s meets %(b)s", {a: M.who(row.a), b: M.who(row.b)}))));
      });
      if (!rows.length) list.appendChild(el("li", {class: "pm-none"}, t("No meetings in this slot.")));
      page = 0;
      paginate();
    }
    function show() {
      var m = last && last.matchmaking, at = m && !busy && m.slots && m.slots.length ? pick(m.slots, T.clock.now()) : null;
      var on = !!at;
      section.hidden = !on;
      document.body.classList.toggle("match-mode", on);
      if (!on) { sig = null; return false; }
      var s = JSON.stringify([at, m.slots, m.by_slot[at.index]]);
      if (s !== sig) { sig = s; draw(m, at); }
      return true;
    }
    setInterval(function () { if (last) show(); }, CHECK_MS);
    setInterval(function () {
      if (section.hidden || pages < 2) return;
      page += 1;
      paginate();
    }, PAGE_MS);
    window.addEventListener("resize", function () { if (!section.hidden) paginate(); });

    return {
      /* Show the slot (true) or step aside (false); `others` is true while another display has the screen. */
      render: function (view, others) {
        last = view;
        busy = !!others;
        return show();
      }
    };
  }

  window.TavoloMatchProjector = {mount: mount, pick: pick};
})();
