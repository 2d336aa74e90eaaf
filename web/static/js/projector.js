/* Projector page: join code and QR (server-rendered), live counters, top countries, the current agenda item. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, $ = T.$;
  var root = $("projector"), workshopId = root.dataset.workshopId;
  var TOP_BESIDE_NOW = 5, TOP_ALONE = 10;  // what fits under the join code without scrolling
  var token = T.tokenFromHash("tavolo:proj:" + workshopId) || T.store.get("tavolo:fac:" + workshopId);
  var view = null;

  function notice(text) { $("proj-notice").textContent = text; $("proj-notice").hidden = !text; }
  if (!token) return notice(t("Open the projector from the facilitator dashboard to show live numbers."));

  var render = T.throttleFrame(function () {
    if (!view) return;
    var ws = view.workshop || {}, counts = view.counts || {};
    $("ws-title").textContent = ws.title || "";
    document.title = (ws.title || "") + " — Tavolo";
    $("ws-date").textContent = T.formatDate(ws.date);
    $("ws-venue").textContent = ws.venue || "";
    $("ws-venue-sep").hidden = !ws.venue;
    $("stat-joined").textContent = counts.joined || 0;
    $("stat-online").textContent = counts.online || 0;
    var now = renderNow();
    $("proj-live").classList.toggle("no-now", !now);
    renderCountries(counts.by_country || [], now ? TOP_BESIDE_NOW : TOP_ALONE);
  });

  function renderCountries(pairs, top) {
    T.renderBars($("top-countries"), pairs, T.countryLabel, top, function (n) {
      return t("and %(count)s more countries", {count: n});
    });
  }
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

  T.connect({
    workshopId: workshopId, token: token, view: "projector",
    onSnapshot: function (data) { view = data; notice(""); render(); },
    onUpdate: function (data) { view = data; render(); },
    onError: function (err) {
      if (err.code === "unauthorized") {
        T.store.del("tavolo:proj:" + workshopId);
        notice(t("This projector link is not valid. Open the projector again from the dashboard."));
      } else {
        notice(T.errorText(err));
      }
    }
  });
  // The "until …" times and clocks drift with time alone, not only with updates.
  setInterval(render, 30000);
})();
