/* Participant page: what is happening now, the agenda, my profile, leaving. */
(function () {
  "use strict";
  var T = window.Tavolo, P = window.TavoloProfile, t = T.t, el = T.el, $ = T.$;
  var root = $("me"), workshopId = root.dataset.workshopId;
  var KEY = "tavolo:me:" + workshopId;
  var token = T.store.get(KEY);
  var conn = null, view = null, leaving = false, formFilled = false;
  var pageLang = document.documentElement.lang;
  var askedLang = new URLSearchParams(location.search).get("lang");

  function gone(title, text) {
    if (conn) conn.close();
    T.showStatus("closed");
    $("me-loading").hidden = true;
    $("me-main").hidden = true;
    $("gone-title").textContent = title;
    $("gone-text").textContent = text;
    $("me-gone").hidden = false;
  }
  function forget() { T.store.del(KEY); }

  if (!token) {
    gone(t("You have not joined this workshop on this device"), t("Join with your name and organisation: it takes a few seconds."));
    return;
  }

  var render = T.throttleFrame(function () {
    if (!view) return;
    var me = view.me || {};
    if (me.status && me.status !== "present") {
      if (leaving) return;  // the leave acknowledgement says goodbye
      forget();
      return gone(t("You are no longer in this workshop"), t("If this is a mistake, you can join again."));
    }
    $("me-loading").hidden = true;
    $("me-main").hidden = false;
    $("ws-title").textContent = (view.workshop || {}).title || "";
    P.setSectors((view.workshop || {}).sectors);
    $("hello").textContent = t("You're in, %(name)s", {name: me.name || ""});
    $("my-line").textContent = [me.organisation, T.countryName(me.country) && T.flag(me.country) + " " + T.countryName(me.country), me.sector]
      .filter(Boolean).join(" · ");
    renderNow();
    renderAgenda();
    var counts = view.counts || {};
    $("stat-joined").textContent = counts.joined === undefined ? "–" : counts.joined;
    $("stat-online").textContent = counts.online === undefined ? "–" : counts.online;
    if (!formFilled) { P.fill(me); formFilled = true; }
  });

  function renderNow() {
    var pair = T.currentAndNext(view), item = pair.current || pair.next;
    $("now-card").hidden = !item;
    if (!item) return;
    $("now-card").classList.toggle("running", !!pair.current);
    $("now-label").textContent = pair.current ? t("Now") : t("Next");
    $("now-title").textContent = item.title;
    $("now-meta").textContent = T.itemMeta(item);
  }
  function renderAgenda() {
    var list = T.clear($("agenda")), agenda = view.agenda || [];
    $("agenda-empty").hidden = agenda.length > 0;
    agenda.forEach(function (item) {
      list.appendChild(el("li", {class: "agenda-item " + item.status, "aria-current": item.status === "running" ? "step" : null},
        el("span", {class: "time"}, item.planned_start || ""),
        el("span", {class: "title"}, item.title),
        el("span", {class: "badge kind-" + item.kind}, T.label("kinds", item.kind)),
        item.status === "planned" ? null : el("span", {class: "badge status-" + item.status}, T.label("statuses", item.status))));
    });
  }

  conn = T.connect({
    workshopId: workshopId, token: token, view: "participant",
    onSnapshot: function (data) {
      view = data;
      render();
      // An explicit language switch (?lang=xx) becomes the participant's preferred language.
      if (askedLang === pageLang && data.me && data.me.language !== pageLang) {
        conn.command("update_profile", {language: pageLang}).catch(function () {});
      }
    },
    onUpdate: function (data) { view = data; render(); },
    onError: function (err) {
      if (leaving) return;
      if (err.code === "unauthorized" || err.code === "not_joined") {
        forget();
        gone(t("You are no longer in this workshop"), t("If this is a mistake, you can join again."));
      } else if (err.code === "not_found") {
        gone(t("This workshop no longer exists"), "");
      } else {
        T.toast(T.errorText(err), "error");
      }
    }
  });
  if (askedLang) history.replaceState(null, "", location.pathname);

  $("profile-form").addEventListener("submit", function (event) {
    event.preventDefault();
    P.clearErrors("profile-error");
    var vals = P.values(), me = view && view.me || {}, changes = {};
    if (!P.check(vals, "profile-error")) return;
    Object.keys(vals).forEach(function (k) { if ((me[k] || "") !== vals[k]) changes[k] = vals[k]; });
    if (!Object.keys(changes).length) { $("edit-profile").open = false; return; }
    var button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    conn.command("update_profile", changes).then(function () {
      button.disabled = false;
      $("edit-profile").open = false;
      T.toast(t("Profile saved"));
      if (changes.language && changes.language !== pageLang) location.replace(location.pathname + "?lang=" + changes.language);
    }, function (err) {
      button.disabled = false;
      P.showError(P.fieldOf(err), T.errorText(err), "profile-error");
    });
  });
  $("edit-profile").addEventListener("toggle", function () { if (this.open && view) P.fill(view.me || {}); });

  $("leave").addEventListener("click", function () {
    T.confirm(t("Leave the workshop? The facilitators will no longer see you in the room."), t("Leave")).then(function (ok) {
      if (!ok) return;
      leaving = true;
      conn.command("leave", {}).then(function () {
        forget();
        gone(t("Goodbye!"), t("You have left the workshop. Thank you for taking part."));
      }, function (err) {
        leaving = false;
        T.toast(T.errorText(err), "error");
      });
    });
  });
})();
