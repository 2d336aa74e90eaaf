/* Replay (read-only): a timeline of the agenda and notable events, a scrubber over the workshop's recorded time,
 * playback at 1×, 10× and 60×, and the dashboard and projector views as they were at the chosen moment. The views
 * come from the server (GET /api/workshops/{id}/replay?at=…), rendered by the live views' code; this page only
 * draws them, as text (textContent), with no command buttons. */
(function () {
  "use strict";
  var T = window.Tavolo, el = T.el, $ = T.$, clear = T.clear;
  var root = $("replay"), workshopId = root.dataset.workshopId, S = root.dataset;
  var token = T.fromHash({k: "tavolo:fac:" + workshopId}).k;
  var api = "/api/workshops/" + encodeURIComponent(workshopId);
  var start = 0, end = 0, speed = 1, timer = null, wanted = null, busy = false, shownAt = null, shownItem = null;
  var timeline = null, shownClock = null;

  if (!token) { $("rp-no-token").hidden = false; $("rp-controls").hidden = true; $("rp-body").hidden = true; return; }

  function get(path) {
    return fetch(api + path, {headers: {Authorization: "Bearer " + token}, cache: "no-store"}).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    });
  }
  function ms(iso) { return Date.parse(iso); }
  function clock(t) { return T.formatTime(new Date(t).toISOString(), true); }
  function left(t) { return end > start ? (100 * (t - start) / (end - start)) + "%" : "0%"; }

  /* A marker's words in the page's language: its kind's label, then what it concerns (split and scheduling
   * markers carry a count). */
  var MARKERS = {
    split: T.t("Groups formed"), poll_opened: T.t("Poll opened"), poll_closed: T.t("Poll closed"), note: T.t("Note"),
    round_started: T.t("Round started"), timer_started: T.t("Timer started"),
    meetings_scheduled: T.t("Meetings scheduled"), schedule_published: T.t("Schedule published")
  };
  function markerText(m) {
    var label = m.label;
    if (m.kind === "split" && /^\d+$/.test(label)) label = T.tn("%(count)s group", "%(count)s groups", Number(label));
    return (MARKERS[m.kind] || m.kind.replace(/_/g, " ")) + (label ? ": " + label : "");
  }

  function drawTimeline(tl) {
    var bar = clear($("rp-timeline")), list = clear($("rp-markers"));
    tl.agenda.forEach(function (item) {
      if (!item.started_at) return;
      var a = ms(item.started_at), b = item.finished_at ? ms(item.finished_at) : end;
      var width = end > start ? (100 * (b - a) / (end - start)) + "%" : "0%";
      var node = el("div", {class: "rp-item", title: item.title}, item.title);
      node.style.left = left(a); node.style.width = width;
      bar.appendChild(node);
    });
    tl.markers.forEach(function (m) {
      if (m.kind === "item_started" || m.kind === "item_finished") return;
      var tick = el("div", {class: "rp-mark " + m.kind, title: markerText(m)});
      tick.style.left = left(ms(m.at));
      bar.appendChild(tick);
      list.appendChild(el("li", null, el("button", {type: "button", class: "btn small ghost", dataset: {at: m.at, kind: m.kind},
        onclick: function () { seek(ms(m.at)); }}, clock(ms(m.at)) + " · " + markerText(m))));
    });
  }

  function rows(q) {
    if (q.options) return q.options.map(function (o) { return [o.label, o.count !== undefined ? o.count : o.points]; });
    if (q.items) return q.items.map(function (o) { return [o.label, o.dots]; });
    if (q.distribution) return q.distribution.map(function (d) { return [String(d.value), d.count]; });
    if (q.words) return q.words.slice(0, 10);
    return [];
  }
  function pollCard(v) {
    var p = v.poll, card = el("div", {class: "rp-poll", dataset: {pollId: p.id, state: p.state}});
    card.appendChild(el("h3", null, p.title + " (" + p.state + ")"));
    card.appendChild(el("p", {class: "rp-turnout"}, v.turnout.voted + " " + S.sVoted + " " + S.sOf + " " + v.turnout.present));
    if (!v.results) { card.appendChild(el("p", {class: "hint"}, S.sHidden)); return card; }
    v.results.forEach(function (q) {
      if (q.prompt) card.appendChild(el("h4", null, q.prompt));
      var table = el("table", {class: "rp-results"});
      rows(q).forEach(function (r) { table.appendChild(el("tr", null, el("td", null, r[0]), el("td", {class: "count"}, String(r[1])))); });
      card.appendChild(table);
    });
    return card;
  }

  function rotationCard(r, timer) {
    var box = clear($("rp-rotation"));
    if (timer) box.appendChild(el("p", {class: "rp-timer"}, S.sTimer + ": " + (timer.label || "") + " (" + timer.clock.state + ")"));
    if (!r) { box.appendChild(el("p", {class: "hint"}, S.sNoRotation)); return; }
    var head = (r.title ? r.title + " — " : "") + S.sRound + " " + r.current + " " + S.sOf + " " + r.rounds + " (" + r.state + ")";
    box.appendChild(el("p", {class: "rp-round", dataset: {round: r.current, state: r.state}}, head));
    box.appendChild(el("p", {class: "hint"}, r.meetings_held + " " + S.sMeetingsHeld));
    var list = el("ul", {class: "rp-tables"});
    if (r.state === "running") (r.tables || []).forEach(function (t) {
      list.appendChild(el("li", null, S.sTable + " " + t.table + ": " + t.members.map(function (m) { return m.name; }).join(", ")));
    });
    box.appendChild(list);
  }
  function matchCard(m) {
    var box = clear($("rp-match"));
    if (!m) { box.appendChild(el("p", {class: "hint"}, S.sNoMatch)); return; }
    var c = m.counts || {}, table = el("table", {class: "rp-results rp-match-counts"});
    [["requests", S.sRequested], ["accepted", S.sAccepted], ["declined", S.sDeclined], ["pending", S.sPending],
      ["scheduled", S.sScheduled], ["held", S.sHeld], ["no_show", S.sNoShow]].forEach(function (k) {
      table.appendChild(el("tr", {dataset: {count: k[0]}}, el("td", null, k[1]), el("td", {class: "count"}, String(c[k[0]] || 0))));
    });
    box.appendChild(el("p", {class: "hint"}, m.published ? S.sPublished : S.sNotPublished));
    box.appendChild(table);
  }

  function render(state) {
    var d = state.dashboard, c = d.counts || {};
    // The zone in force at the moment shown (the workshop's zone may have changed since): the timeline too.
    if (state.timezone) shownClock = state;
    if (state.timezone && state.timezone !== T.zone().timezone) {
      T.useZone(state);
      if (timeline) drawTimeline(timeline);
    }
    shownAt = ms(state.at);
    $("rp-time").textContent = clock(shownAt);
    $("rp-position").textContent = "#" + state.index + " / " + state.events;
    root.dataset.position = state.position;
    $("rp-joined").textContent = c.joined || 0;
    $("rp-left").textContent = d.left || 0;
    $("rp-removed").textContent = d.removed || 0;
    T.renderBars($("rp-by-country"), c.by_country || [], T.countryLabel, 12, function (n) {
      return T.t("and %(count)s more countries", {count: n});
    });
    T.renderBars($("rp-by-sector"), c.by_sector || [], String, 12, function (n) { return T.t("and %(count)s more", {count: n}); });
    var running = (d.agenda || []).filter(function (i) { return i.id === d.current_item; })[0];
    shownItem = running || null;
    $("rp-note-about").textContent = $("rp-note").dataset.sAbout + ": " + (running ? running.title : $("rp-note").dataset.sWhole) + " · " + clock(shownAt);
    var agenda = clear($("rp-agenda"));
    (d.agenda || []).forEach(function (i) { agenda.appendChild(el("li", {class: i.status}, i.title + " — " + i.status)); });
    var polls = clear($("rp-polls"));
    Object.keys(d.polls || {}).forEach(function (id) { polls.appendChild(pollCard(d.polls[id])); });
    var groups = clear($("rp-groups")), split = d.groups && d.groups.split;
    if (split) split.groups.forEach(function (g) {
      groups.appendChild(el("p", null, (g.title || "#" + g.number) + ": " + g.members.map(function (m) { return m.name; }).join(", ")));
    });
    rotationCard(d.rotation || null, d.timer || null);
    matchCard(d.matchmaking || null);
    projected = {type: "tavolo:replay", view: state.projector, at: state.at};
    project();
  }

  /* The projector is the live projector page itself (framed with ?replay=1), given the replayed view and moment:
   * whatever it showed then (a poll, a report-back, a rotation, the meeting slot under way) it shows here, drawn by
   * the same code. A summary of our own once missed the published meeting slot. */
  var frame = $("rp-projector-frame"), frameReady = false, projected = null;
  function project() {
    if (frameReady && projected) frame.contentWindow.postMessage(projected, location.origin);
  }
  window.addEventListener("message", function (event) {
    if (event.origin !== location.origin || event.source !== frame.contentWindow) return;
    if (event.data && event.data.type === "tavolo:replay-ready") { frameReady = true; project(); }
  });

  function load() {
    if (busy || wanted === null) return;
    var at = wanted; wanted = null; busy = true;
    // A moment to the millisecond includes the events recorded within it (the log keeps microseconds): a marker's
    // moment shows its event, and the scrubber's start the workshop's creation.
    var iso = new Date(at).toISOString().replace(/Z$/, "999Z");
    get("/replay?at=" + encodeURIComponent(iso)).then(render).catch(function () {
      $("rp-time").textContent = S.sError;
    }).then(function () { busy = false; load(); });
  }
  function seek(t) {
    t = Math.max(start, Math.min(end, t));
    $("rp-scrubber").value = String(t - start);
    wanted = t; load();
  }

  $("rp-scrubber").addEventListener("input", function () { seek(start + Number(this.value)); });
  function stop() { if (timer) clearInterval(timer); timer = null; $("rp-play").textContent = $("rp-play").dataset.play; }
  $("rp-play").dataset.play = $("rp-play").textContent;
  $("rp-play").addEventListener("click", function () {
    if (timer) return stop();
    var last = Date.now();
    if (start + Number($("rp-scrubber").value) >= end) seek(start);
    this.textContent = "❚❚";
    timer = setInterval(function () {
      var now = Date.now(), next = start + Number($("rp-scrubber").value) + (now - last) * speed;
      last = now;
      seek(next);
      if (next >= end) stop();
    }, 250);
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-speed]"), function (b) {
    b.addEventListener("click", function () {
      speed = Number(b.dataset.speed);
      Array.prototype.forEach.call(document.querySelectorAll("[data-speed]"), function (o) { o.setAttribute("aria-pressed", String(o === b)); });
    });
  });

  /* A note about the moment shown: under the agenda item running then (a note is added now; it never changes
   * what was recorded). The timeline is read again so the note's marker appears. */
  $("rp-note").addEventListener("submit", function (event) {
    event.preventDefault();
    var f = this.elements, text = f.text.value.trim(), form = this;
    if (!text) return;
    var args = {text: text};
    if (shownItem) args.item_id = shownItem.id;
    if (f.corrects.value.trim()) args.corrects = f.corrects.value.trim();
    $("rp-note-add").disabled = true;
    fetch(api + "/commands", {method: "POST", cache: "no-store",
      headers: {Authorization: "Bearer " + token, "Content-Type": "application/json"},
      body: JSON.stringify({id: T.uuid(), name: "annotate", args: args})}).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw body.error || {}; });
    }).then(function () {
      form.reset();
      $("rp-note-error").hidden = true;
      T.toast(form.dataset.sAdded);
      return get("/timeline").then(function (tl) {
        var at = start + Number($("rp-scrubber").value);
        useTimeline(tl);
        $("rp-scrubber").value = String(at - start);
      });
    }, function (err) {
      $("rp-note-error").textContent = T.errorText(err);
      $("rp-note-error").hidden = false;
    }).then(function () { $("rp-note-add").disabled = false; });
  });

  function useTimeline(tl) {
    timeline = tl;
    T.useZone(shownClock || tl);  // the moment shown keeps its zone when the timeline is read again
    start = ms(tl.start.at); end = ms(tl.end.at);
    var scrubber = $("rp-scrubber");
    scrubber.max = String(end - start); scrubber.step = "1"; scrubber.disabled = false;
    $("rp-play").disabled = false;
    drawTimeline(tl);
  }

  get("/timeline").then(function (tl) {
    useTimeline(tl);
    seek(end);
  }).catch(function () { $("rp-time").textContent = S.sError; });
})();
