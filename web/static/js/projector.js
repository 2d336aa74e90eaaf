/* Projector page: join code and QR (server-rendered), live counters, the current agenda item, and the top countries,
 * organisations and sectors in the room. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, $ = T.$;
  var root = $("projector"), workshopId = root.dataset.workshopId;
  var TOP = 8;  // per list: what fits under the join code without scrolling, in type readable from the back
  // Only the projector token, never the facilitator's: the projector is a public screen.
  var token = T.tokenFromHash("tavolo:proj:" + workshopId);
  T.reloadOnNewSecrets({k: "tavolo:proj:" + workshopId});
  var view = null, polls = window.TavoloPollsProjector.mount(), report = window.TavoloGroupsProjector.mount();
  var rotation = window.TavoloRotationProjector.mount();
  var match = window.TavoloMatchProjector.mount();

  function notice(text) { $("proj-notice").textContent = text; $("proj-notice").hidden = !text; }
  if (!token && !root.dataset.replay) return notice(t("Open the projector from the facilitator dashboard to show live numbers."));

  // The projector's language, as the page was rendered with it: a new choice in the settings reloads the page in it
  // (unless this screen asked for one with ?lang=).
  var projectorLanguage = null, asked = new URLSearchParams(location.search).has("lang");
  var render = T.throttleFrame(function () {
    if (!view) return;
    var ws = view.workshop || {}, counts = view.counts || {};
    if (projectorLanguage === null) projectorLanguage = ws.projector_language || "";
    else if (!asked && !root.dataset.replay && (ws.projector_language || "") !== projectorLanguage) return location.reload();
    $("ws-title").textContent = ws.title || "";
    document.title = (ws.title || "") + " — Tavolo";
    $("ws-date").textContent = T.formatDate(ws.date);
    $("ws-venue").textContent = ws.venue || "";
    $("ws-venue-sep").hidden = !ws.venue;
    $("stat-joined").textContent = counts.joined || 0;
    $("stat-online").textContent = counts.online || 0;
    renderNow();
    var more = function (n) { return t("and %(count)s more", {count: n}); };
    T.renderBars($("top-countries"), counts.by_country || [], T.countryLabel, TOP, function (n) {
      return t("and %(count)s more countries", {count: n});
    });
    T.renderBars($("top-organisations"), counts.by_organisation || [], String, TOP, more);
    T.renderBars($("top-sectors"), counts.by_sector || [], String, TOP, more);
    // A poll in progress (or its results) takes the screen; the usual layout comes back after.
    polls.render(view);
    // A group reporting back comes before everything else: the facilitator chose to show it.
    var reporting = report.render(view);
    // A running rotation (its countdown and table map) comes next; the room timer wherever there is room.
    var rotating = rotation.render(view, reporting);
    // The published meeting schedule's current (or next) slot only when none of those has the screen.
    var body = document.body.classList;
    match.render(view, reporting || rotating || body.contains("poll-mode") || body.contains("timer-mode"));
  });

  function renderNow() {
    var pair = T.currentAndNext(view), item = pair.current || pair.next;
    $("now").hidden = !item;
    if (!item) return null;
    $("now").classList.toggle("running", !!pair.current);
    $("now-label").textContent = pair.current ? t("Now") : t("Next");
    $("now-title").textContent = item.title;
    $("now-meta").textContent = T.itemMeta(item);
    return item;
  }

  if (root.dataset.replay) return replayed();
  T.connect({
    workshopId: workshopId, token: token, view: "projector",
    onWelcome: function (msg) { window.TavoloCharts.syncClock(msg.server_time); },
    onSnapshot: function (data) { view = data; notice(""); render(); },
    onUpdate: function (data) { view = data; render(); },
    onError: function (err) {
      if (err.code === "unauthorized" || err.code === "not_found") {
        T.store.del("tavolo:proj:" + workshopId);
        if (err.code === "not_found") return notice(T.errorText(err));
        notice(t("This projector link is not valid. Open the projector again from the dashboard."));
      } else {
        notice(T.errorText(err));
      }
    }
  });
  // The "until …" times and clocks drift with time alone, not only with updates.
  setInterval(render, 30000);

  /* In the replay page's frame (?replay=1): no socket; the parent posts the replayed projector view and its moment,
   * and this page's clock is set to that moment, so everything is drawn by the code above exactly as the live
   * projector drew it then (the meeting slot under way, countdowns, a poll's results). */
  function replayed() {
    window.addEventListener("message", function (event) {
      var m = event.data;
      if (event.origin !== location.origin || event.source !== window.parent || !m || m.type !== "tavolo:replay") return;
      T.clock.pin(Date.parse(m.at));
      view = m.view;
      render();
    });
    window.parent.postMessage({type: "tavolo:replay-ready"}, location.origin);
  }
})();
