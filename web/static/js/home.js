/* Home page: create a workshop through the HTTP API, list the workshops this device created. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, $ = T.$;
  var form = $("create-form");
  var FIELDS = ["title", "date", "venue", "language", "sectors"];
  var defaults = T.readJSON("default-sectors", {});
  var commandId = null;  // kept across network failures, so a retried create cannot make two workshops

  function showError(field, message) {
    var box = $(field ? "err-" + field : "create-error") || $("create-error");
    box.textContent = message;
    box.hidden = false;
    var input = field && $("f-" + field);
    if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
  }
  function clearErrors() {
    FIELDS.forEach(function (f) { $("err-" + f).hidden = true; $("f-" + f).removeAttribute("aria-invalid"); });
    $("create-error").hidden = true;
  }
  /* Which field a server error is about: its message names the argument, e.g. "'title' must not be empty". */
  function fieldOf(err) {
    if (err.code === "unknown_language") return "language";
    var m = /'(\w+)'/.exec(err.message || "");
    return m && FIELDS.indexOf(m[1]) !== -1 ? m[1] : (/sector/.test(err.message || "") ? "sectors" : null);
  }

  function sectorLines(text) {
    return text.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
  }
  var sameList = function (a, b) { return a.length === b.length && a.every(function (x, i) { return x === b[i]; }); };

  // Suggested sectors follow the workshop language until the facilitator edits them.
  $("f-language").addEventListener("change", function () {
    var current = sectorLines($("f-sectors").value);
    var untouched = Object.keys(defaults).some(function (code) { return sameList(current, defaults[code]); });
    if (untouched && defaults[this.value]) $("f-sectors").value = defaults[this.value].join("\n");
  });
  if ($("f-date").value !== T.today()) $("f-date").value = T.today();

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var body = {
      title: $("f-title").value.trim(),
      date: $("f-date").value,
      venue: $("f-venue").value.trim(),
      language: $("f-language").value,
      sectors: sectorLines($("f-sectors").value)
    };
    if (!body.title) return showError("title", t("Give the workshop a title."));
    if (!body.date) return showError("date", t("Choose the date of the workshop."));
    if (!body.sectors.length) return showError("sectors", t("List at least one sector."));
    body.id = commandId = commandId || T.uuid();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = t("Creating…");
    fetch("/api/workshops", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body), credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          commandId = null;  // refused: nothing was created, the next attempt is a new command
          throw (data && data.error) || {code: "internal_error", message: response.statusText};
        }
        return data;
      });
    }).then(function (created) {
      T.store.set("tavolo:fac:" + created.workshop_id, created.facilitator_token);
      T.store.set("tavolo:proj:" + created.workshop_id, created.projector_token);
      remember({id: created.workshop_id, title: body.title, date: body.date, code: created.code});
      location.assign(created.facilitator_url);
    }).catch(function (err) {
      button.disabled = false;
      button.textContent = t("Create the workshop");
      if (err instanceof TypeError) return showError(null, t("Could not reach the server. Check the connection and try again."));
      showError(fieldOf(err), T.errorText(err));
    });
  });

  function recent() {
    try { return JSON.parse(T.store.get("tavolo:recent") || "[]"); } catch (e) { return []; }
  }
  function remember(entry) {
    var list = recent().filter(function (w) { return w.id !== entry.id; });
    list.unshift(entry);
    T.store.set("tavolo:recent", JSON.stringify(list.slice(0, 8)));
  }
  var mine = recent().filter(function (w) { return T.store.get("tavolo:fac:" + w.id); });
  if (mine.length) {
    var list = $("recent-list");
    mine.forEach(function (w) {
      list.appendChild(el("li", null,
        el("a", {href: "/w/" + encodeURIComponent(w.id) + "/dashboard"}, w.title),
        el("span", {class: "meta"}, T.formatDate(w.date) + " · " + w.code)));
    });
    $("recent").hidden = false;
  }
})();
