/* Home page: create a workshop through the HTTP API, list the workshops this device created. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, $ = T.$;
  var form = $("create-form");
  var FIELDS = ["title", "date", "venue", "language", "timezone", "sectors"];
  var defaults = T.readJSON("default-sectors", {});
  /* The create in flight: its command id and the two secret tokens, chosen here. They are kept across network
   * failures, so a retry neither makes a second workshop nor loses the tokens of the first (the server echoes them
   * back to a retry that carries them). */
  var attempt = null;

  function showError(field, message, keepFocus) {
    var box = $(field ? "err-" + field : "create-error") || $("create-error");
    box.textContent = message;
    box.hidden = false;
    var input = field && $("f-" + field);
    if (input) { input.setAttribute("aria-invalid", "true"); if (!keepFocus) input.focus(); }
  }
  function clearErrors() {
    FIELDS.concat($("f-organiser_key") ? ["organiser_key"] : []).forEach(function (f) {
      $("err-" + f).hidden = true;
      $("f-" + f).removeAttribute("aria-invalid");
    });
    $("create-error").hidden = true;
  }
  /* Which field a server error is about: its message names the argument, e.g. "'title' must not be empty". */
  function fieldOf(err) {
    if (err.code === "unknown_language") return "language";
    if (err.code === "unknown_timezone") return "timezone";
    var m = /'(\w+)'/.exec(err.message || "");
    if (err.code === "organiser_key_required" || (err.code === "forbidden" && $("f-organiser_key"))) return "organiser_key";
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

  // The event is most likely where its organiser is: the browser's zone is the default, shown and changeable.
  var browserZone = (Intl.DateTimeFormat().resolvedOptions() || {}).timeZone || "";
  if (browserZone) $("f-timezone").value = browserZone;
  var knownZones = {};
  Array.prototype.forEach.call($("f-timezones").options, function (o) { knownZones[o.value] = true; });
  /* Why the zone field cannot be sent as it is, or "": the server's list is the judge (it refuses others). */
  function zoneProblem(zone) {
    if (!zone || knownZones[zone]) return "";
    if (zone === browserZone) {
      return t("This server does not know your browser's time zone (%(zone)s): choose the workshop's zone from the list.", {zone: zone});
    }
    return T.errorText({code: "unknown_timezone"});
  }

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
    var zone = $("f-timezone").value.trim();
    if (zone) body.timezone = zone;  // left empty: the server's default, UTC
    // Every problem at once, the first field focused: not one per attempt.
    var problems = [
      ["title", body.title ? "" : t("Give the workshop a title.")],
      ["date", body.date ? "" : t("Choose the date of the workshop.")],
      ["timezone", zoneProblem(zone)],
      ["sectors", body.sectors.length ? "" : t("List at least one sector.")]
    ].filter(function (p) { return p[1]; });
    if (problems.length) {
      problems.forEach(function (p, i) { showError(p[0], p[1], i > 0); });
      return;
    }
    attempt = attempt || {id: T.uuid(), facilitator: T.newToken(), projector: T.newToken()};
    var sent = attempt;
    body.id = sent.id;
    body.facilitator_token = sent.facilitator;
    body.projector_token = sent.projector;
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.textContent = t("Creating…");
    var headers = {"Content-Type": "application/json"}, key = $("f-organiser_key");
    if (key) headers["X-Tavolo-Organiser-Key"] = key.value;
    fetch("/api/workshops", {
      method: "POST", headers: headers, body: JSON.stringify(body), credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          // Refused (4xx): nothing was created, the next attempt is a new command with new tokens. A 5xx may come
          // from a proxy after the workshop was made: keep the attempt, so a retry finds it.
          if (response.status < 500 && attempt === sent) attempt = null;
          throw (data && data.error) || {code: "internal_error", message: response.statusText};
        }
        return data;
      });
    }).then(function (created) {
      var id = created.workshop_id;
      // The server's answer names the tokens; a duplicate answer may leave them out, then they are the ones we sent.
      var fac = created.facilitator_token || sent.facilitator, proj = created.projector_token || sent.projector;
      T.store.set("tavolo:fac:" + id, fac);
      T.store.set("tavolo:proj:" + id, proj);
      remember({id: id, title: body.title, date: body.date, code: created.code});
      saveLinks(id, created.code, fac, proj);
    }).catch(function (err) {
      button.disabled = false;
      button.textContent = t("Create the workshop");
      if (err instanceof TypeError) return showError(null, t("Could not reach the server. Check the connection and try again."));
      showError(fieldOf(err), T.errorText(err));
    });
  });

  /* The "save your links" step: the facilitator link lives only in this browser, so before the dashboard the
   * facilitator copies the links or downloads the workshop card, and says so. */
  function saveLinks(id, code, fac, proj) {
    var origin = location.origin, base = origin + "/w/" + encodeURIComponent(id);
    var dashboard = base + "/dashboard#k=" + encodeURIComponent(fac) + "&p=" + encodeURIComponent(proj);
    $("saved-dashboard").value = dashboard;
    $("saved-projector").value = base + "/projector#k=" + encodeURIComponent(proj);
    $("saved-join").value = origin + "/j/" + encodeURIComponent(code);
    $("saved-code").textContent = code;
    [["copy-dashboard", "saved-dashboard"], ["copy-projector", "saved-projector"], ["copy-join-link", "saved-join"]]
      .forEach(function (pair) {
        $(pair[0]).addEventListener("click", function () { T.copyText($(pair[1]).value); });
      });
    $("download-card").addEventListener("click", function () {
      var button = this;
      button.disabled = true;
      $("save-links-error").hidden = true;
      fetch("/api/workshops/" + encodeURIComponent(id) + "/card", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Authorization": "Bearer " + fac},
        body: JSON.stringify({projector_token: proj, language: document.documentElement.lang})
      }).then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            throw (data && data.error) || {code: "internal_error", message: response.statusText};
          });
        }
        return response.blob();
      }).then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = el("a", {href: url, download: "tavolo-" + code + "-card.html", class: "offscreen"});
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      }).catch(function (err) {
        var box = $("save-links-error");
        box.textContent = err instanceof TypeError ? t("Could not reach the server. Check the connection and try again.") : T.errorText(err);
        box.hidden = false;
      }).then(function () { button.disabled = false; });
    });
    $("saved-ack").addEventListener("change", function () { $("go-dashboard").disabled = !this.checked; });
    $("go-dashboard").addEventListener("click", function () { location.assign(dashboard.slice(origin.length)); });
    form.hidden = true;
    $("create-heading").textContent = t("Save your links");
    $("save-links").hidden = false;
    $("saved-dashboard").focus();
  }

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
