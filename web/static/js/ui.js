/* Tavolo: shared page helpers built on tavolo.js (toasts, dialogs, copying, dates, bars, agenda summaries). */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, clear = T.clear, $ = T.$;
  var label = T.label, flag = T.flag, countryName = T.countryName;
  function toast(message, kind) {
    var box = $("toasts");
    if (!box) return;
    var note = el("div", {class: "toast" + (kind ? " " + kind : ""), role: kind === "error" ? "alert" : "status"}, message);
    box.appendChild(note);
    setTimeout(function () { note.classList.add("out"); }, 4000);
    setTimeout(function () { note.remove(); }, 4600);
  }

  function copyText(text) {
    function legacy() {
      var area = el("textarea", {class: "offscreen", readonly: true});
      area.value = text;
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      area.remove();
      return ok ? Promise.resolve() : Promise.reject(new Error("copy"));
    }
    var copied = navigator.clipboard && window.isSecureContext ? navigator.clipboard.writeText(text).catch(legacy) : legacy();
    return copied.then(function () { toast(t("Copied")); },
      function () { window.prompt(t("Copy this link:"), text); });
  }

  /* A modal confirmation using the page's <dialog id="confirm-dialog">, else window.confirm. */
  function confirmAction(message, okLabel) {
    var dialog = $("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") return Promise.resolve(window.confirm(message));
    dialog.querySelector("[data-message]").textContent = message;
    dialog.querySelector("[value=ok]").textContent = okLabel || t("OK");
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function () { resolve(dialog.returnValue === "ok"); }, {once: true});
    });
  }

  /* Schedule fn at most once per animation frame, however often it is asked for. */
  function throttleFrame(fn) {
    var queued = false;
    return function () {
      if (queued) return;
      queued = true;
      requestAnimationFrame(function () { queued = false; fn(); });
    };
  }

  function parseLocal(isoDate) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate || "");
    return m ? new Date(+m[1], +m[2] - 1, +m[3]) : null;
  }
  function formatDate(isoDate) {
    var d = parseLocal(isoDate);
    if (!d) return isoDate || "";
    return d.toLocaleDateString(document.documentElement.lang, {weekday: "long", day: "numeric", month: "long", year: "numeric"});
  }
  /* The one place times are formatted: in the workshop's zone (T.zone(), from the view), in the page's language,
   * with that language's hour cycle where the workshop is (24-hour in Italy, also in English). */
  function zoned(options) {
    var z = T.zone(), lang = document.documentElement.lang || "en";
    var o = Object.assign({timeZone: z.timezone, hourCycle: z.hour_cycles[lang.split("-")[0]] || "h23"}, options);
    try { return new Intl.DateTimeFormat(lang, o); } catch (e) { delete o.timeZone; return new Intl.DateTimeFormat(lang, o); }
  }
  function formatTime(isoInstant, seconds) {
    var d = isoInstant ? new Date(isoInstant) : null;
    var o = seconds ? {hour: "2-digit", minute: "2-digit", second: "2-digit"} : {hour: "2-digit", minute: "2-digit"};
    return d && !isNaN(d) ? zoned(o).format(d) : "";
  }
  /* "Wed 13 May" for an instant, as the day it is in the workshop's zone. */
  function formatDay(isoInstant) {
    var d = isoInstant ? new Date(isoInstant) : null;
    return d && !isNaN(d) ? zoned({weekday: "short", day: "numeric", month: "short"}).format(d) : "";
  }
  /* An instant's wall date and time in the workshop's zone: {date: "YYYY-MM-DD", time: "HH:MM"}. */
  function wallParts(isoInstant) {
    var d = new Date(isoInstant), parts = {};
    if (isNaN(d)) return {date: "", time: ""};
    zoned({year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23"})
      .formatToParts(d).forEach(function (p) { parts[p.type] = p.value; });
    return {date: parts.year + "-" + parts.month + "-" + parts.day, time: parts.hour + ":" + parts.minute};
  }
  /* A wall date and time in the workshop's zone (what a facilitator types) as ISO 8601 with that zone's offset then,
   * whatever this device's own zone: "2026-05-12", "11:00" in Europe/Rome -> "2026-05-12T11:00:00+02:00".
   * Where the clocks change, the rule is Python's zoneinfo with fold=0 (projections/clock.py reads it back): a time
   * that does not exist (the hour skipped in spring) moves forward by the gap ("02:30" -> "03:30+02:00" in Rome on
   * the last Sunday of March), a time that occurs twice (autumn) is its earlier occurrence. */
  function wallISO(date, hhmm) {
    var d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || ""), m = /^(\d{2}):(\d{2})$/.exec(hhmm || "");
    if (!d || !m) return null;
    var wall = Date.UTC(+d[1], +d[2] - 1, +d[3], +m[1], +m[2]), DAY = 86400000;
    function offsetAt(ms) {  // minutes the zone is ahead of UTC at the instant ms
      var p = wallParts(new Date(ms).toISOString()), a = /^(\d+)-(\d+)-(\d+)$/.exec(p.date), b = p.time.split(":");
      return Math.round((Date.UTC(+a[1], +a[2] - 1, +a[3], +b[0], +b[1]) - ms) / 60000);
    }
    // The offset before and after any change near that day; each read as "in force then" gives an instant.
    var before = offsetAt(wall - DAY), after = offsetAt(wall + DAY);
    var early = wall - before * 60000, late = wall - after * 60000, instant;
    if (offsetAt(early) === before) instant = early;  // exists with the earlier offset: in an overlap, the earlier
    else if (offsetAt(late) === after) instant = late;
    else instant = early;  // in a gap: the earlier offset's instant, which the clocks show one gap later
    var off = offsetAt(instant), shown = wallParts(new Date(instant).toISOString());
    var pad = function (n) { return String(n).padStart(2, "0"); }, abs = Math.abs(off);
    return shown.date + "T" + shown.time + ":00" + (off >= 0 ? "+" : "-") + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  /* A planned start as written in the agenda (wall time in the workshop's zone): "09:30", or "Wed 13 May 09:30" for
   * an item planned on a date (a programme over several days). */
  function plannedLabel(item) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2})$/.exec(item.planned_start || "");
    if (!m) return item.planned_start || "";
    var day = new Intl.DateTimeFormat(document.documentElement.lang || "en", {timeZone: "UTC", weekday: "short", day: "numeric", month: "short"});
    return day.format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]))) + " " + m[4];
  }
  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  /* The running agenda item (if any) and the next planned one after it. */
  function currentAndNext(data) {
    var agenda = data.agenda || [], index = -1;
    agenda.forEach(function (item, i) { if (item.id === data.current_item) index = i; });
    var next = null;
    for (var i = index + 1; i < agenda.length && !next; i++) if (agenda[i].status === "planned") next = agenda[i];
    return {current: index === -1 ? null : agenda[index], next: next};
  }
  /* "Plenary · 10:30 · 30 min", or for a running item "Plenary · started at 10:32 · until 11:02". */
  function itemMeta(item) {
    var parts = [label("kinds", item.kind)];
    var started = item.status === "running" && item.started_at ? Date.parse(item.started_at) : NaN;
    if (!isNaN(started)) {
      parts.push(t("started at %(time)s", {time: formatTime(item.started_at)}));
      if (item.duration_min) parts.push(t("until %(time)s", {time: formatTime(new Date(started + item.duration_min * 60000).toISOString())}));
    } else {
      if (item.planned_start) parts.push(plannedLabel(item));
      if (item.duration_min) parts.push(t("%(minutes)s min", {minutes: item.duration_min}));
    }
    return parts.join(" · ");
  }

  /* Horizontal bars for [[key, count], …]; widths go through CSSOM, which the CSP allows (style attributes it does not). */
  function renderBars(list, pairs, labelOf, limit, moreText) {
    clear(list);
    var max = Math.max.apply(null, [1].concat(pairs.map(function (p) { return p[1]; })));
    pairs.slice(0, limit).forEach(function (pair) {
      var fill = el("span", {class: "bar-fill"});
      fill.style.width = Math.max(2, Math.round(pair[1] / max * 100)) + "%";
      list.appendChild(el("li", null, el("span", {class: "bar-label"}, labelOf(pair[0])),
        el("span", {class: "bar-track", "aria-hidden": "true"}, fill), el("span", {class: "bar-count"}, pair[1])));
    });
    if (pairs.length > limit) list.appendChild(el("li", {class: "more"}, moreText(pairs.length - limit)));
  }
  function countryLabel(code) {
    return [el("span", {class: "flag", "aria-hidden": "true"}, flag(code)), " ", countryName(code)];
  }

  /* A group's name as shown: its own name or value, else "Group 3". */
  function groupTitle(g) { return g && g.title ? g.title : t("Group %(n)s", {n: g ? g.number : ""}); }

  /* A contribution's tag (one of the question set's categories) as a chip, coloured by the category's place. */
  function tagChip(tag, categories) {
    var i = (categories || []).indexOf(tag);
    return el("span", {class: "tag-chip tag-c" + (i < 0 ? 0 : i % 6)}, tag);
  }
  function tagList(tags, categories) {
    if (!tags || !tags.length) return null;
    return el("span", {class: "tag-list", "aria-label": t("Tags")}, tags.map(function (tag) { return tagChip(tag, categories); }));
  }

  /* Join boxes go straight to /j/CODE; the form's GET /join stays the path without scripts. */
  document.querySelectorAll("form[data-join-box]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var code = form.elements.code.value.replace(/[\s-]+/g, "").toUpperCase();
      event.preventDefault();
      if (code) location.assign("/j/" + encodeURIComponent(code));
    });
  });
  document.querySelectorAll("[data-date]").forEach(function (node) { node.textContent = formatDate(node.dataset.date); });

  Object.assign(T, {
    toast: toast, copyText: copyText, confirm: confirmAction, throttleFrame: throttleFrame, formatDate: formatDate,
    formatTime: formatTime, formatDay: formatDay, plannedLabel: plannedLabel, wallParts: wallParts, wallISO: wallISO, today: today, currentAndNext: currentAndNext, itemMeta: itemMeta, renderBars: renderBars,
    countryLabel: countryLabel, groupTitle: groupTitle, tagChip: tagChip, tagList: tagList
  });
})();
