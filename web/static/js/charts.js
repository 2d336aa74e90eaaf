/* Tavolo: poll results as charts (DOM only: bars, columns, ranked lists, a word cloud), shared by the dashboard,
 * the projector and the participant page; plus the server-corrected clock, countdowns and turnout.
 *
 * Charts update in place: rows are keyed by option id, so bars glide to their new width on every update instead of
 * being redrawn. Sizes go through CSSOM (element.style), which the CSP allows; text only ever through textContent. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, tn = T.tn, el = T.el, clear = T.clear;

  var KINDS = {
    single: t("Single choice"), multiple: t("Multiple choice"), scale: t("Rating scale"), ranking: t("Ranking"),
    text: t("Open text"), dots: t("Dot voting"), survey: t("Survey")
  };
  function kindLabel(kind) { return KINDS[kind] || kind; }

  function lang() { return document.documentElement.lang || "en"; }
  function num(x, digits) {
    return x === null || x === undefined ? "–" : Number(x).toLocaleString(lang(), {maximumFractionDigits: digits === undefined ? 1 : digits});
  }
  /* percent is 0–100 from the server; the language places the sign ("42 %" in German and French, "42%" in English). */
  function pct(x) { return x === null || x === undefined ? "–" : T.formatPercent(Number(x) / 100, 1); }
  function answers(n) { return tn("%(count)s answer", "%(count)s answers", n); }
  function voters(n) { return tn("%(count)s voter", "%(count)s voters", n); }

  /* The server's clock (tavolo.js measures it on every connection), so every screen counts down to the same second.
   * syncClock is kept for the pages that call it: the connection already took the welcome's sample. */
  function syncClock() {}
  function now() { return T.clock.now(); }
  function remaining(closesAt) {
    var end = closesAt ? Date.parse(closesAt) : NaN;
    return isNaN(end) ? null : end - now();
  }
  function clockText(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000)), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    var ss = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + ss : m + ":" + ss;
  }
  /* <span class="countdown" data-closes-at="…">: kept current by a once-a-second tick (null if no deadline). */
  function countdown(node, closesAt) {
    node.hidden = !closesAt;
    if (closesAt) node.dataset.closesAt = closesAt; else delete node.dataset.closesAt;
    paint(node);
    return node;
  }
  function paint(node) {
    var ms = remaining(node.dataset.closesAt);
    if (ms === null) return;
    node.classList.toggle("soon", ms <= 30000);
    node.querySelector(".countdown-time").textContent = ms > 0 ? clockText(ms) : t("closing…");
  }
  function countdownEl() {
    return el("span", {class: "countdown", hidden: true, role: "timer"},
      el("span", {class: "countdown-label"}, t("Closes in")), " ", el("span", {class: "countdown-time"}));
  }
  setInterval(function () { document.querySelectorAll(".countdown[data-closes-at]").forEach(paint); }, 1000);

  /* Turnout: "7 of 12 voted · 58%" over a thin bar; node made by turnoutEl(). */
  function turnoutEl() {
    return el("div", {class: "turnout"},
      el("p", {class: "turnout-text"}, el("strong", {class: "turnout-voted"}), " ", el("span", {class: "turnout-of"}),
        el("span", {class: "turnout-pct"})),
      el("span", {class: "turnout-track", "aria-hidden": "true"}, el("span", {class: "turnout-fill"})));
  }
  function turnout(node, data) {
    data = data || {voted: 0, present: 0, percent: 0};
    node.querySelector(".turnout-voted").textContent = data.voted;
    node.querySelector(".turnout-of").textContent = t("of %(present)s voted", {present: data.present});
    node.querySelector(".turnout-pct").textContent = data.present ? pct(data.percent) : "";
    node.querySelector(".turnout-fill").style.width = Math.min(100, data.percent || 0) + "%";
  }

  /* Keep list's children in the order of items, reusing the child whose data-id matches, else make one. */
  function reconcile(list, items, idOf, make, update) {
    var old = {};
    Array.prototype.forEach.call(list.children, function (child) { old[child.dataset.id] = child; });
    var cursor = list.firstChild;
    items.forEach(function (item, i) {
      var id = String(idOf(item, i)), node = old[id] || make(item, i);
      node.dataset.id = id;
      delete old[id];
      update(node, item, i);
      if (node === cursor) cursor = cursor.nextSibling;
      else list.insertBefore(node, cursor);
    });
    Object.keys(old).forEach(function (id) { old[id].remove(); });
  }
  function barRow() {
    return el("li", {class: "chart-row"}, el("span", {class: "chart-label"}),
      el("span", {class: "chart-track", "aria-hidden": "true"}, el("span", {class: "chart-fill"})),
      el("span", {class: "chart-value"}, el("strong", {class: "chart-count"}), el("span", {class: "chart-pct"})));
  }
  function fillBar(row, label, count, max, detail, top) {
    row.dataset.count = count;
    row.classList.toggle("top", !!top);
    row.querySelector(".chart-label").textContent = label;
    row.querySelector(".chart-label").title = label;
    row.querySelector(".chart-fill").style.width = (max > 0 ? Math.max(count > 0 ? 1.5 : 0, count / max * 100) : 0) + "%";
    row.querySelector(".chart-count").textContent = count;
    row.querySelector(".chart-pct").textContent = detail;
  }
  function more(box, hidden) {
    var note = box.querySelector(":scope > .chart-more") || box.appendChild(el("p", {class: "chart-more"}));
    note.hidden = hidden <= 0;
    note.textContent = hidden > 0 ? t("and %(count)s more", {count: hidden}) : "";
  }
  function part(box, cls, tag) {
    return box.querySelector(":scope > ." + cls) || box.appendChild(el(tag || "div", {class: cls}));
  }
  function limited(items, opts) { return opts.limit ? items.slice(0, opts.limit) : items; }

  function choices(box, r, q, opts) {  // single, multiple and dots: horizontal bars
    var dots = r.kind === "dots", items = dots ? r.items : r.options, top = r.top || [];
    var max = Math.max.apply(null, [0].concat(items.map(function (o) { return dots ? o.dots : o.count; })));
    // More options than fit (on the projector): the most chosen first. Otherwise the options keep their order.
    var shown = opts.limit && items.length > opts.limit
      ? items.slice().sort(function (a, b) { return dots ? b.dots - a.dots : b.count - a.count; }) : items;
    reconcile(part(box, "chart-bars", "ol"), limited(shown, opts), function (o) { return o.id; }, barRow, function (row, o) {
      fillBar(row, o.label, dots ? o.dots : o.count, max, " · " + pct(o.percent), top.indexOf(o.id) !== -1);
    });
    more(box, items.length - limited(shown, opts).length);
    var note = dots ? [tn("%(count)s dot placed", "%(count)s dots placed", r.dots_total), voters(r.respondents)]
      : [answers(r.respondents)].concat(r.kind === "multiple" && q && q.max_choices < items.length
        ? [tn("up to %(count)s choice each", "up to %(count)s choices each", q.max_choices)] : []);
    part(box, "chart-note", "p").textContent = note.join(" · ");
  }

  function scale(box, r, q) {  // the distribution in columns, mean, median, NPS on 0–10
    var dist = r.distribution, max = Math.max.apply(null, [0].concat(dist.map(function (d) { return d.count; })));
    var nps = r.nps, cols = part(box, "scale-cols", "ol");
    cols.classList.toggle("wide", dist.length > 6);
    reconcile(cols, dist, function (d) { return d.value; }, function () {
      return el("li", {class: "scale-col"}, el("span", {class: "scale-count"}),
        el("span", {class: "scale-track", "aria-hidden": "true"}, el("span", {class: "scale-fill"})), el("span", {class: "scale-value"}));
    }, function (col, d) {
      col.dataset.count = d.count;
      col.className = "scale-col" + (nps ? d.value >= 9 ? " promoter" : d.value >= 7 ? " passive" : " detractor" : "");
      col.querySelector(".scale-count").textContent = d.count;
      col.querySelector(".scale-count").title = pct(d.percent);
      col.querySelector(".scale-fill").style.height = (max ? Math.max(d.count ? 2 : 0, d.count / max * 100) : 0) + "%";
      col.querySelector(".scale-value").textContent = d.value;
    });
    var ends = part(box, "scale-ends", "p");
    clear(ends).appendChild(el("span", null, q && q.low_label || ""));
    ends.appendChild(el("span", null, q && q.high_label || ""));
    ends.hidden = !(q && (q.low_label || q.high_label));
    var stats = clear(part(box, "scale-stats", "dl"));
    function stat(name, value, cls) { stats.appendChild(el("div", {class: "stat-pair" + (cls ? " " + cls : "")}, el("dt", null, name), el("dd", null, value))); }
    stat(t("Mean"), num(r.mean, 2));
    stat(t("Median"), num(r.median));
    stat(t("Answers"), r.respondents);
    if (nps) {
      stat(t("NPS"), nps.score === null ? "–" : (nps.score > 0 ? "+" : "") + num(nps.score), "nps" + (nps.score > 0 ? " good" : nps.score < 0 ? " bad" : ""));
      var split = clear(part(box, "nps-split", "p"));
      [["detractor", t("Detractors"), nps.detractors], ["passive", t("Passives"), nps.passives], ["promoter", t("Promoters"), nps.promoters]].forEach(function (s) {
        split.appendChild(el("span", {class: "nps-key " + s[0]}, el("span", {class: "swatch", "aria-hidden": "true"}), s[1] + " " + s[2]));
      });
    }
  }

  function ranking(box, r, q, opts) {
    var opt = r.options, max = Math.max.apply(null, [0].concat(opt.map(function (o) { return o.points; })));
    reconcile(part(box, "rank-list", "ol"), limited(opt, opts), function (o) { return o.id; }, function () {
      return el("li", {class: "rank-row"}, el("span", {class: "rank-n"}), el("span", {class: "rank-main"},
        el("span", {class: "rank-label"}), el("span", {class: "chart-track", "aria-hidden": "true"}, el("span", {class: "chart-fill"}))),
        el("span", {class: "rank-points"}, el("strong", {class: "rank-pts"}), el("span", {class: "rank-firsts"})));
    }, function (row, o) {
      row.dataset.count = o.points;
      row.classList.toggle("top", o.rank === 1 && o.points > 0);
      row.querySelector(".rank-n").textContent = o.rank;
      row.querySelector(".rank-label").textContent = o.label;
      if (o.tie) row.querySelector(".rank-label").appendChild(el("span", {class: "badge tie"}, t("tie")));
      row.querySelector(".chart-fill").style.width = (max ? o.points / max * 100 : 0) + "%";
      row.querySelector(".rank-pts").textContent = tn("%(count)s point", "%(count)s points", o.points);
      row.querySelector(".rank-firsts").textContent = tn("%(count)s first place", "%(count)s first places", o.first_places);
    });
    more(box, opt.length - limited(opt, opts).length);
    part(box, "chart-note", "p").textContent = answers(r.respondents) + " · " + t("Borda count: with n options, first place scores n-1 points, the last 0");
  }

  /* Word cloud: font size by how many answers give the phrase (or, in word mode, use the word); the biggest in the
   * middle. A phrase is one inline block, so it wraps as a unit. */
  function cloud(box, r, q, opts) {
    var words = (r.words || []).slice(0, opts.words || 60), node = clear(part(box, "cloud", "p"));
    node.hidden = !words.length;
    if (words.length) {
      var hi = words[0][1], lo = words[words.length - 1][1], arranged = [];
      words.forEach(function (w, i) { if (i % 2) arranged.push(w); else arranged.unshift(w); });
      arranged.forEach(function (w) {
        var weight = hi === lo ? 1 : (w[1] - lo) / (hi - lo), hash = 0;
        for (var i = 0; i < w[0].length; i++) hash = (hash * 31 + w[0].charCodeAt(i)) >>> 0;
        var span = el("span", {class: "word tone-" + (hash % 5), title: answers(w[1]), dataset: {count: w[1]}}, w[0]);
        span.style.fontSize = (0.9 + Math.sqrt(weight) * (opts.cloudScale || 2.2)).toFixed(2) + "em";
        node.appendChild(span);
        node.appendChild(document.createTextNode(" "));
      });
    }
    var list = part(box, "answers", "ul");
    list.hidden = !opts.answers || !(r.answers || []).length;
    if (opts.answers) {
      clear(list);
      (r.answers || []).forEach(function (a) { list.appendChild(el("li", null, a)); });
    }
    part(box, "chart-note", "p").textContent = answers(r.respondents);
  }

  var DRAW = {single: choices, multiple: choices, dots: choices, scale: scale, ranking: ranking, text: cloud};
  /* One question's result into box (reused across updates while the question stays the same). */
  function question(box, r, q, opts) {
    opts = opts || {};
    var sig = r.kind + ":" + (q && q.id);
    if (box.dataset.sig !== sig) { clear(box); box.dataset.sig = sig; box.className = "chart chart-" + r.kind; }
    var empty = part(box, "chart-empty", "p");
    empty.textContent = t("No answers yet");
    empty.hidden = r.respondents > 0 || r.kind !== "text";
    var draw = DRAW[r.kind];
    if (draw) draw(box, r, q, opts);
  }
  /* A question's results worded as `q` (a poll in the reader's language: T.pollIn): its prompt and option labels by id. */
  function inPollsWords(r, q) {
    if (!q) return r;
    var labels = {};
    (q.options || []).forEach(function (o) { labels[o.id] = o.label; });
    var relabel = function (o) { return labels[o.id] ? Object.assign({}, o, {label: labels[o.id]}) : o; };
    var out = Object.assign({}, r, {prompt: q.prompt || r.prompt});
    if (r.options) out.options = r.options.map(relabel);
    if (r.items) out.items = r.items.map(relabel);
    return out;
  }
  /* Every question of a poll, each under its prompt when there are several (a survey). */
  function results(container, poll, list, opts) {
    var questions = {};
    (poll.questions || []).forEach(function (q) { questions[q.id] = q; });
    var many = (list || []).length > 1;
    reconcile(container, list || [], function (r) { return r.question_id; }, function () {
      return el("section", {class: "chart-question"}, el("h4", {class: "chart-prompt"}), el("div", {class: "chart"}));
    }, function (section, r, i) {
      r = inPollsWords(r, questions[r.question_id]);
      var prompt = section.querySelector(".chart-prompt");
      prompt.textContent = many ? (i + 1) + ". " + (r.prompt || kindLabel(r.kind)) : r.prompt;
      prompt.hidden = !prompt.textContent;
      question(section.querySelector(".chart"), r, questions[r.question_id], opts);
    });
  }

  /* A participant's answer to a question, in words: "Pizza", "Pizza, Pasta", "4", "1. A  2. B", "A ●●". */
  function describe(q, answer) {
    var labels = {};
    (q.options || []).forEach(function (o) { labels[o.id] = o.label; });
    switch (q.kind) {
      case "single": return labels[answer] || String(answer);
      case "multiple": return (answer || []).map(function (id) { return labels[id] || id; }).join(", ");
      case "ranking": return (answer || []).map(function (id, i) { return (i + 1) + ". " + (labels[id] || id); }).join("\n");
      case "dots": return Object.keys(answer || {}).map(function (id) { return (labels[id] || id) + " " + "●".repeat(answer[id]); }).join(",  ");
      default: return String(answer);
    }
  }

  window.TavoloCharts = {
    kindLabel: kindLabel, num: num, pct: pct, syncClock: syncClock, now: now, remaining: remaining,
    countdownEl: countdownEl, countdown: countdown, turnoutEl: turnoutEl, turnout: turnout,
    question: question, results: results, describe: describe, voters: voters
  };
})();
