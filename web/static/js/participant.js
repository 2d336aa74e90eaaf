/* Participant page: what is happening now, the agenda, my profile, leaving.
 *
 * A participant who leaves or is removed is told so by the server (an `error` with code `not_joined`, or their view's
 * me.status, then the socket closes with 1008): the page says so, forgets the token and stops reconnecting. */
(function () {
  "use strict";
  var T = window.Tavolo, P = window.TavoloProfile, t = T.t, el = T.el, $ = T.$;
  var root = $("me"), workshopId = root.dataset.workshopId;
  var KEY = "tavolo:me:" + workshopId, PENDING = "tavolo:pending:" + workshopId;
  var token = T.store.get(KEY);
  var conn = null, view = null, leaving = false, formFilled = false, switching = false, myLang = null;
  var polls = window.TavoloPollsParticipant.mount({
    workshopId: workshopId, command: function (name, args) { return conn.command(name, args); }
  });
  var groups = window.TavoloGroupsSheet.mount({
    command: function (name, args) { return conn.command(name, args); }, view: function () { return view; }
  });
  var rotation = window.TavoloRotationParticipant.mount({
    command: function (name, args) { return conn.command(name, args); }
  });
  var match = window.TavoloMatchParticipant.mount({
    workshopId: workshopId, token: function () { return token; },
    command: function (name, args) { return conn.command(name, args); }
  });
  var pageLang = document.documentElement.lang;
  var askedLang = new URLSearchParams(location.search).get("lang");
  // Whether this device chose the page language (?lang= or the cookie): else the participant's own language wins.
  var langChosen = root.dataset.langChosen === "true";

  function gone(title, text) {
    if (conn) conn.close();
    T.showStatus("closed");
    $("me-loading").hidden = true;
    $("me-main").hidden = true;
    $("gone-title").textContent = title;
    $("gone-text").textContent = text;
    $("me-gone").hidden = false;
  }
  function forget() { T.store.del(KEY); T.store.del(PENDING); polls.forget(); }
  function removed() {
    forget();
    gone(t("You are no longer in this workshop"), t("If this is a mistake, you can join again."));
  }
  /* The join the join page sent but saw no answer to (the page was reloaded mid-join), if it was for this token. */
  function pendingJoin() {
    var pending = null;
    try { pending = JSON.parse(T.store.get(PENDING) || "null"); } catch (e) { pending = null; }
    return pending && pending.id && pending.args && pending.args.token === token ? pending : null;
  }
  /* Switch the page to the participant's language (once: the ?lang= answer sets the cookie). */
  function useLanguage(lang) {
    if (switching || !lang || lang === pageLang || !document.querySelector('.lang-switch [data-lang="' + lang + '"]')) return false;
    switching = true;
    location.replace(location.pathname + "?lang=" + encodeURIComponent(lang));
    return true;
  }

  if (!token) {
    gone(t("You have not joined this workshop on this device"), t("Join with your name and organisation: it takes a few seconds."));
    return;
  }

  var render = T.throttleFrame(function () {
    if (!view) return;
    var me = view.me || {};
    if (me.status && me.status !== "present") {
      if (leaving) return;  // the leave acknowledgement says goodbye
      return removed();
    }
    $("me-loading").hidden = true;
    $("me-main").hidden = false;
    $("ws-title").textContent = (view.workshop || {}).title || "";
    P.setSectors((view.workshop || {}).sectors);
    $("hello").textContent = t("You're in, %(name)s", {name: me.name || ""});
    $("my-line").textContent = [me.organisation, T.countryName(me.country) && T.flag(me.country) + " " + T.countryName(me.country), me.sector]
      .filter(Boolean).join(" · ");
    polls.render(view);
    groups.render(view);
    rotation.render(view);
    match.render(view);
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
    $("agenda-zone").textContent = t("All times are %(zone)s", {zone: T.zone().zone_label});
    agenda.forEach(function (item) {
      list.appendChild(el("li", {class: "agenda-item " + item.status, "aria-current": item.status === "running" ? "step" : null},
        el("span", {class: "time"}, T.plannedLabel(item)),
        el("span", {class: "title"}, item.title),
        el("span", {class: "badge kind-" + item.kind}, T.label("kinds", item.kind)),
        item.status === "planned" ? null : el("span", {class: "badge status-" + item.status}, T.label("statuses", item.status))));
    });
  }

  /* Say hello with the token; a refusal while a join is pending first finishes that join (same command id). */
  function start() {
    conn = T.connect({
      workshopId: workshopId, token: token, view: "participant",
      onWelcome: function (msg) {
        window.TavoloCharts.syncClock(msg.server_time);
        if (msg.role === "participant") T.store.del(PENDING);  // the join went through
      },
      onSnapshot: function (data) {
        view = data;
        var me = data.me || {};
        if (me.status === "present") {
          // No language chosen on this device: the participant's own. Changed while we were away: follow it.
          if (!langChosen && useLanguage(me.language)) return;
          if (myLang !== null && me.language !== myLang && useLanguage(me.language)) return;
        }
        myLang = me.language || null;
        render();
        // An explicit language switch (?lang=xx) becomes the participant's preferred language.
        if (askedLang === pageLang && me.language && me.language !== pageLang && me.status === "present") {
          conn.command("update_profile", {language: pageLang}).catch(function () {});
        }
      },
      onUpdate: function (data) {
        view = data;
        var me = data.me || {};
        // The language changed in the profile (here or on another device): follow it.
        if (myLang !== null && me.language && me.language !== myLang) {
          myLang = me.language;
          if (me.status === "present" && useLanguage(me.language)) return;
        }
        render();
      },
      onError: function (err) {
        if (leaving) return;
        var pending = err.code === "unauthorized" ? pendingJoin() : null;
        if (pending) {
          finishJoin(pending);
        } else if (err.code === "unauthorized" || err.code === "not_joined") {
          removed();
        } else if (err.code === "not_found") {  // deleted by its facilitator: nothing to come back to
          forget();
          gone(t("This workshop no longer exists"), "");
        } else {
          T.toast(T.errorText(err), "error");
        }
      }
    });
  }
  /* Re-send the pending join on an anonymous connection, then say hello with its token. */
  function finishJoin(pending) {
    T.showStatus("reconnecting");
    var anon = T.connect({
      workshopId: workshopId, token: null, view: null,
      onStatus: function (state) { T.showStatus(state === "connected" ? "connecting" : state); },
      onError: function (err) {
        if (err.code === "not_found") { forget(); gone(t("This workshop no longer exists"), ""); }
      }
    });
    // patient: in a crowded venue a rate-limited join waits as long as it takes instead of failing.
    anon.command("join", pending.args, pending.id, {patient: true}).then(function () {
      anon.close();
      T.store.del(PENDING);
      start();
    }, function (err) {
      anon.close();
      if (err.code === "token_in_use") {
        // The token already belongs to a participant: ours, made by this very join.
        T.store.del(PENDING);
        return start();
      }
      if (err.code === "unavailable" || err.code === "rate_limited" || err.code === "not_found") {
        // Not refused: the join may still go through. Keep it; reloading the page tries again.
        if (err.code !== "not_found") gone(t("Joining is taking longer than expected"), t("Reload the page in a moment to finish joining."));
        return;
      }
      forget();
      gone(t("Joining did not work"), T.errorText(err));
    });
  }
  start();
  if (askedLang) history.replaceState(null, "", location.pathname);

  $("profile-form").addEventListener("submit", function (event) {
    event.preventDefault();
    P.clearErrors("profile-error");
    var vals = P.values(), me = view && view.me || {}, changes = {};
    if (!P.check(vals, "profile-error")) return;
    Object.keys(vals).forEach(function (k) {
      var was = typeof vals[k] === "boolean" ? !!me[k] : (me[k] || "");
      if (was !== vals[k]) changes[k] = vals[k];
    });
    if (!Object.keys(changes).length) { $("edit-profile").open = false; return; }
    var button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    conn.command("update_profile", changes).then(function () {
      button.disabled = false;
      $("edit-profile").open = false;
      T.toast(t("Profile saved"));
      if (changes.language) useLanguage(changes.language);
    }, function (err) {
      button.disabled = false;
      P.showServerError(err, "profile-error");
    });
  });
  $("edit-profile").addEventListener("toggle", function () { if (this.open && view) P.fill(view.me || {}); });

  $("forget-me").addEventListener("click", function () {
    T.confirm(t("Leave and erase your name, organisation and role from this workshop for good? Your answers stay, without your name."), t("Erase")).then(function (ok) {
      if (!ok) return;
      leaving = true;
      var bye = function () {
        forget();
        gone(t("Goodbye!"), t("Your personal data was erased. Thank you for taking part."));
      };
      conn.command("forget_me", {}).then(bye, function (err) {
        if (err.code === "not_joined" || err.code === "unauthorized") return bye();
        leaving = false;
        T.toast(T.errorText(err), "error");
      });
    });
  });

  $("leave").addEventListener("click", function () {
    T.confirm(t("Leave the workshop? The facilitators will no longer see you in the room."), t("Leave")).then(function (ok) {
      if (!ok) return;
      leaving = true;
      var bye = function () {
        forget();
        gone(t("Goodbye!"), t("You have left the workshop. Thank you for taking part."));
      };
      conn.command("leave", {}).then(bye, function (err) {
        // The server may close the socket (not_joined, 1008) before the acknowledgement arrives: we did leave.
        if (err.code === "not_joined" || err.code === "unauthorized") return bye();
        leaving = false;
        T.toast(T.errorText(err), "error");
      });
    });
  });
})();
