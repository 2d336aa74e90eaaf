/* Matchmaking: what the dashboard, participant and projector modules share — slot times, the labels of statuses,
 * outcomes and value-chain positions, a suggestion's reasons as sentences, the outcome dialog, and files fetched with
 * a token in the Authorization header (never in a URL) and saved through a Blob.
 *
 * Everything about people comes from participants: it is only ever set as text (el()). */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, $ = T.$;

  var STATUSES = {
    pending: t("Waiting for an answer"), accepted: t("Accepted"), declined: t("Declined"),
    withdrawn: t("Withdrawn"), removed: t("Removed")
  };
  var ATTENDANCE = {held: t("Held"), no_show: t("No-show")};
  var OUTCOMES = {
    cooperation_agreement: t("Potential cooperation agreement"), joint_project: t("Joint project"),
    follow_up_visit: t("Follow-up visit"), further_contact: t("Further contact"), no_follow_up: t("No follow-up"),
    other: t("Other outcome")
  };
  var VALUE_CHAIN = {
    research: t("Research"), design: t("Design"), production: t("Production"), distribution: t("Distribution"),
    services: t("Services"), end_user: t("End user"), other: t("Other position")
  };

  function label(map, key) { return map[key] || key || ""; }

  function dayOf(iso) { return T.formatDay(iso); }
  /* Whether the slots fall on more than one day in the workshop's zone (then each slot shows its date). */
  function manyDays(slots) {
    var days = {};
    (slots || []).forEach(function (s) { days[T.formatDay(s.start)] = 1; });
    return Object.keys(days).length > 1;
  }
  /* "10:20–10:40", with the date in front when the event lasts several days. */
  function timeRange(slot, slots) {
    if (!slot) return "";
    var range = T.formatTime(slot.start) + "–" + T.formatTime(slot.end);
    return manyDays(slots) ? dayOf(slot.start) + " " + range : range;
  }
  /* The slots' span, day by day in the workshop's zone: "09:00–13:00" on one day, "Mon 30 Mar 09:00–13:00 · Tue 31 Mar
   * 14:00–17:00" over several (one range from the first start to the last end would hide the night between). */
  function spanByDay(slots) {
    var days = [];
    (slots || []).forEach(function (s) {
      var day = T.formatDay(s.start), last = days[days.length - 1];
      if (last && last.day === day) last.end = s.end;
      else days.push({day: day, start: s.start, end: s.end});
    });
    return days.map(function (d) {
      var range = T.formatTime(d.start) + "–" + T.formatTime(d.end);
      return days.length > 1 ? d.day + " " + range : range;
    }).join(" · ");
  }
  /* "Slot 4 · 10:20–10:40" (slot numbers count from 1). */
  function slotLabel(index, slots) {
    return t("Slot %(n)s · %(time)s", {n: index + 1, time: timeRange((slots || [])[index], slots)});
  }
  function who(p) { return p ? (p.organisation ? p.name + " (" + p.organisation + ")" : p.name) : t("Someone"); }

  function countries(list) { return (list || []).map(function (c) { return T.flag(c) + " " + T.countryName(c); }).join(", "); }
  /* A suggestion's reason as a sentence in the page's language. */
  function reasonText(r) {
    var words = (r.words || []).join(", ");
    switch (r.kind) {
      case "offers_what_you_seek": return t("Offers what you seek: %(words)s", {words: words});
      case "seeks_what_you_offer": return t("Seeks what you offer: %(words)s", {words: words});
      case "shared_sector": return t("Same sector: %(values)s", {values: (r.values || []).join(", ")});
      case "in_your_market": return t("Based in one of your target markets: %(values)s", {values: countries(r.values)});
      case "targets_your_country": return t("Targets your country: %(values)s", {values: countries(r.values)});
      case "value_chain": return t("Next to you in the value chain: %(values)s", {
        values: (r.values || []).map(function (v) { return label(VALUE_CHAIN, v); }).join(", ")});
      default: return "";
    }
  }

  function networkError() { return {code: "", message: t("Could not reach the server. Check the connection and try again.")}; }
  function failed(response) {
    return response.json().catch(function () { return {}; }).then(function (body) { throw (body.error || {code: "internal_error"}); });
  }
  /* GET a JSON document of the API with the token in the Authorization header. */
  function getJSON(url, token) {
    return fetch(url, {headers: {Authorization: "Bearer " + token}, cache: "no-store"}).then(function (response) {
      return response.ok ? response.json() : failed(response);
    }, function () { throw networkError(); });
  }
  /* Save a file of the API (the name from Content-Disposition) without putting the token in a URL. */
  function download(url, token, fallback, button) {
    if (button) button.disabled = true;
    return fetch(url, {headers: {Authorization: "Bearer " + token}, cache: "no-store"}).then(function (response) {
      if (!response.ok) return failed(response);
      var match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
      return response.blob().then(function (blob) {
        var href = URL.createObjectURL(blob), link = el("a", {href: href, download: match ? match[1] : fallback, class: "offscreen"});
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(href); }, 10000);
      });
    }, function () { throw networkError(); }).catch(function (err) {
      T.toast(T.errorText(err && (err.code || err.message) ? err : networkError()), "error");
    }).then(function () { if (button) button.disabled = false; });
  }

  /* The outcome dialog (_match_outcome.html): resolves {outcome, text}, or null when cancelled. */
  function askOutcome(meeting, whom) {
    var dialog = $("mm-outcome-dialog"), form = $("mm-outcome-form");
    $("mm-outcome-who").textContent = whom;
    form.elements.outcome.value = meeting.outcome || "further_contact";
    form.elements.text.value = meeting.outcome_text || "";
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function () {
        if (dialog.returnValue !== "ok") return resolve(null);
        var text = form.elements.text.value.trim(), out = {outcome: form.elements.outcome.value};
        if (text) out.text = text;
        resolve(out);
      }, {once: true});
    });
  }
  /* Fill the dialog's outcome choices (once per page). */
  function setupOutcomeDialog() {
    var select = $("mm-outcome-kind");
    if (!select || select.options.length) return;
    Object.keys(OUTCOMES).forEach(function (k) { select.appendChild(el("option", {value: k}, OUTCOMES[k])); });
    $("mm-outcome-cancel").addEventListener("click", function () { $("mm-outcome-dialog").close(""); });
  }

  window.TavoloMatch = {
    STATUSES: STATUSES, ATTENDANCE: ATTENDANCE, OUTCOMES: OUTCOMES, VALUE_CHAIN: VALUE_CHAIN, label: label, spanByDay: spanByDay,
    timeRange: timeRange, slotLabel: slotLabel, who: who, reasonText: reasonText, getJSON: getJSON,
    download: download, askOutcome: askOutcome, setupOutcomeDialog: setupOutcomeDialog
  };
})();
