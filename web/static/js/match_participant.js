/* Participant matchmaking: once the facilitators set the slots, a card with — once published — my meetings (time,
 * table, who, the note; held / no-show and an outcome; the agenda as an .ics file), the requests I made and received
 * (accept, decline, withdraw), people suggested for me (each reason as a sentence), the catalogue (search and
 * filters; "Request a meeting" with a note), my matchmaking profile and the slots I cannot attend.
 *
 * The catalogue and suggestions come from the HTTP API with the participant's token in the Authorization header;
 * every change is a command. Everything about people is set as text only. */
(function () {
  "use strict";
  var T = window.Tavolo, M = window.TavoloMatch, t = T.t, el = T.el, $ = T.$;
  var LIVE = {pending: 1, accepted: 1};
  var SHOWN = 30, SUGGESTED = 5;  // cards at once on a phone: the search narrows the catalogue

  function mount(opts) {
    var card = $("my-match"), shared = null, mine = null, me = {}, sectors = [];
    var sigs = {agenda: null, requests: null, slots: null, sectors: null, catalogue: null, suggestions: null};
    var people = [], suggested = [], asking = {}, busy = {}, markets = [], profileFilled = false, started = false;
    var api = "/api/workshops/" + encodeURIComponent(opts.workshopId) + "/matchmaking";
    var countries = T.readJSON("countries", []);
    M.setupOutcomeDialog();

    function fail(err) { T.toast(T.errorText(err), "error"); }
    function run(name, args) { return opts.command(name, args).catch(function (err) { fail(err); return null; }); }
    /* My live meeting or request with this person, if any. */
    function liveWith(pid) {
      return ((mine && mine.requests) || []).filter(function (r) { return r.with.id === pid && LIVE[r.status]; })[0] || null;
    }

    /* A person in the catalogue or the suggestions, with "Request a meeting" and its note. */
    function personCard(p, reasons) {
      var about = [p.organisation_type ? T.orgTypeName(p.organisation_type) : "", p.country ? T.flag(p.country) + " " + T.countryName(p.country) : ""]
        .filter(Boolean).join(" · ");
      var li = el("li", {class: "mp-person", dataset: {id: p.id}},
        el("p", {class: "mp-name"}, p.name || t("Unnamed participant")),  // asked not to be named
        el("p", {class: "meta"}, [p.organisation, about].filter(Boolean).join(" · ")),
        p.sectors && p.sectors.length ? el("p", {class: "mp-sectors-line"}, p.sectors.join(", ")) : null,
        p.offers ? el("p", {class: "mp-offers"}, el("strong", null, t("Offers:")), " ", p.offers) : null,
        p.seeks ? el("p", {class: "mp-seeks"}, el("strong", null, t("Seeks:")), " ", p.seeks) : null,
        reasons && reasons.length ? el("ul", {class: "mp-reasons"}, reasons.map(function (r) { return el("li", null, M.reasonText(r)); })) : null);
      li.appendChild(requestPart(p));
      return li;
    }
    function requestPart(p) {
      var live = liveWith(p.id), box = el("div", {class: "mp-ask"});
      if (live) {
        box.appendChild(el("p", {class: "mp-asked"}, live.status === "accepted" ? t("Meeting accepted") :
          live.mine ? t("Request sent") : t("They asked you for a meeting: answer above")));
        return box;
      }
      if (!asking[p.id]) {
        box.appendChild(el("button", {type: "button", class: "btn small primary", dataset: {ask: p.id},
          "aria-label": t("Request a meeting with %(name)s", {name: p.name || t("Unnamed participant")})}, t("Request a meeting")));
        return box;
      }
      var note = el("textarea", {rows: "2", maxlength: "500", name: "note", "aria-label": t("A note for %(name)s", {name: p.name}),
        placeholder: t("What would you like to talk about?")});
      note.value = asking[p.id].note || "";
      note.addEventListener("input", function () { asking[p.id].note = note.value; });
      box.appendChild(el("form", {class: "mp-ask-form", dataset: {send: p.id}}, note,
        el("div", {class: "actions"},
          el("button", {type: "submit", class: "btn small primary", disabled: !!busy[p.id]}, t("Send the request")),
          el("button", {type: "button", class: "btn small", dataset: {unask: p.id}}, t("Cancel")))));
      if (asking[p.id].focus) { asking[p.id].focus = false; setTimeout(function () { note.focus(); }, 0); }
      return box;
    }
    function onPeopleClick(event) {
      var ask = event.target.closest("button[data-ask]"), unask = event.target.closest("button[data-unask]");
      if (ask) { asking[ask.dataset.ask] = {note: "", focus: true}; redrawPeople(); }
      if (unask) { delete asking[unask.dataset.unask]; redrawPeople(); }
    }
    function onPeopleSubmit(event) {
      var form = event.target.closest("form[data-send]");
      if (!form) return;
      event.preventDefault();
      var pid = form.dataset.send, note = (asking[pid] && asking[pid].note || "").trim(), args = {participant_id: pid};
      if (note) args.note = note;
      busy[pid] = true;
      redrawPeople();
      run("request_meeting", args).then(function (ack) {
        delete busy[pid];
        if (ack) { delete asking[pid]; T.toast(t("Your request is sent.")); }
        redrawPeople();
      });
    }
    ["mp-catalogue", "mp-suggestions"].forEach(function (id) {
      $(id).addEventListener("click", onPeopleClick);
      $(id).addEventListener("submit", onPeopleSubmit);
    });
    function redrawPeople() {
      var list = T.clear($("mp-catalogue"));
      people.slice(0, SHOWN).forEach(function (p) { list.appendChild(personCard(p)); });
      var box = T.clear($("mp-suggestions"));
      suggested.slice(0, SUGGESTED).forEach(function (s) { box.appendChild(personCard(s, s.reasons)); });
      $("mp-suggest-box").hidden = !suggested.length;
    }

    /* The catalogue and the suggestions, read from the API. */
    var searchTimer = null, searchSeq = 0;
    function search() {
      var f = $("mp-find").elements, params = new URLSearchParams();
      ["q", "country", "sector", "organisation_type"].forEach(function (k) { if (f[k].value.trim()) params.set(k, f[k].value.trim()); });
      var seq = ++searchSeq;
      M.getJSON(api + "/catalogue?" + params.toString(), opts.token()).then(function (body) {
        if (seq !== searchSeq) return;
        people = (body.people || []).filter(function (p) { return p.id !== me.id; });
        if (!params.toString()) countryChoices(people);
        $("mp-found").textContent = T.tn("%(count)s person found", "%(count)s people found", people.length) +
          (people.length > SHOWN ? " · " + t("showing the first %(n)s: search to narrow the list", {n: SHOWN}) : "");
        redrawPeople();
      }, fail);
    }
    function searchSoon() { clearTimeout(searchTimer); searchTimer = setTimeout(search, 250); }
    $("mp-find").addEventListener("input", searchSoon);
    $("mp-find").addEventListener("submit", function (event) { event.preventDefault(); search(); });
    function countryChoices(list) {
      var select = $("mp-country"), chosen = select.value, seen = {};
      list.forEach(function (p) { if (p.country) seen[p.country] = 1; });
      Array.prototype.forEach.call(select.options, function (o) { if (o.value) seen[o.value] = 1; });
      var codes = Object.keys(seen).sort(function (a, b) { return T.countryName(a).localeCompare(T.countryName(b)); });
      T.clear(select).appendChild(el("option", {value: ""}, t("Any country")));
      codes.forEach(function (c) { select.appendChild(el("option", {value: c}, T.flag(c) + " " + T.countryName(c))); });
      select.value = chosen;
    }
    function suggest() {
      M.getJSON(api + "/suggestions", opts.token()).then(function (body) {
        suggested = body.suggestions || [];
        redrawPeople();
      }, function () { /* suggestions are a nicety: the catalogue is there */ });
    }

    /* My meetings (once published). */
    function agenda() {
      var list = mine.agenda || [], sig = JSON.stringify([list, shared.slots, shared.published]);
      $("mp-agenda-box").hidden = !shared.published;
      if (sig === sigs.agenda) return;
      sigs.agenda = sig;
      var box = T.clear($("mp-agenda"));
      $("mp-agenda-empty").hidden = !!list.length;
      $("mp-ics").hidden = !list.length;
      list.forEach(function (m) {
        var slot = shared.slots[m.slot];
        box.appendChild(el("li", {class: "mp-meeting", dataset: {id: m.id, slot: m.slot, table: m.table}},
          el("p", {class: "mp-when"}, el("span", {class: "mp-time"}, M.timeRange(slot, shared.slots)), " · ",
            el("span", {class: "mp-table"}, t("Table %(n)s", {n: m.table}))),
          el("p", {class: "mp-with"}, el("strong", null, m.with.name), m.with.organisation ? ", " + m.with.organisation : "",
            m.with.country ? " " + T.flag(m.with.country) : ""),
          m.note ? el("p", {class: "mp-note"}, m.note) : null,
          el("div", {class: "actions mp-meeting-actions", role: "group", "aria-label": t("How did it go?")},
            el("button", {type: "button", class: "btn small" + (m.attendance === "held" ? " primary" : ""), "aria-pressed": String(m.attendance === "held"),
              dataset: {attend: "held"}}, t("Held")),
            el("button", {type: "button", class: "btn small" + (m.attendance === "no_show" ? " primary" : ""), "aria-pressed": String(m.attendance === "no_show"),
              dataset: {attend: "no_show"}}, t("No-show")),
            el("button", {type: "button", class: "btn small", dataset: {outcome: "1"}}, m.outcome ? M.label(M.OUTCOMES, m.outcome) + " ✎" : t("Outcome…")))));
      });
    }
    $("mp-agenda").addEventListener("click", function (event) {
      var button = event.target.closest("button"), li = button && button.closest("li[data-id]");
      var m = li && (mine.agenda || []).filter(function (x) { return x.id === li.dataset.id; })[0];
      if (!m) return;
      if (button.dataset.attend) run("mark_attendance", {meeting_id: m.id, attendance: button.dataset.attend});
      if (button.dataset.outcome) {
        M.askOutcome(m, M.who(m.with)).then(function (out) { if (out) run("record_outcome", Object.assign({meeting_id: m.id}, out)); });
      }
    });
    $("mp-ics").addEventListener("click", function () { M.download(api + "/agenda.ics?lang=" + encodeURIComponent(document.documentElement.lang), opts.token(), "tavolo-meetings.ics", this); });

    /* Requests made and received. */
    function requests() {
      var list = (mine.requests || []).slice(), sig = JSON.stringify(list);
      $("mp-requests-box").hidden = !list.length;
      if (sig === sigs.requests) return;
      sigs.requests = sig;
      var order = {pending: 0, accepted: 1, declined: 2, withdrawn: 3, removed: 4};
      list.sort(function (a, b) { return (order[a.status] - order[b.status]) || (a.mine - b.mine); });
      var box = T.clear($("mp-requests"));
      list.forEach(function (r) {
        var acts = [];
        if (!r.mine && r.status === "pending") {
          acts.push(el("button", {type: "button", class: "btn small primary", dataset: {answer: "accept_meeting"}}, t("Accept")),
            el("button", {type: "button", class: "btn small", dataset: {answer: "decline_meeting"}}, t("Decline")));
        }
        if (r.mine && !r.by_facilitator && LIVE[r.status]) acts.push(el("button", {type: "button", class: "btn small danger-ghost", dataset: {answer: "withdraw_meeting"}}, t("Withdraw")));
        var line = r.by_facilitator ? t("Meeting set by the facilitators with %(name)s", {name: M.who(r.with)})
          : r.mine ? t("You asked %(name)s", {name: M.who(r.with)}) : t("%(name)s asks to meet you", {name: M.who(r.with)});
        box.appendChild(el("li", {class: "mp-request", dataset: {id: r.id, status: r.status, mine: String(r.mine)}},
          el("p", {class: "mp-request-who"}, line, " ", el("span", {class: "badge mm-status-" + r.status}, M.label(M.STATUSES, r.status))),
          r.note ? el("p", {class: "mp-note"}, r.note) : null,
          acts.length ? el("div", {class: "actions"}, acts) : null));
      });
    }
    $("mp-requests").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-answer]"), li = button && button.closest("li[data-id]");
      if (!li) return;
      var name = button.dataset.answer;
      var go = function () { button.disabled = true; run(name, {meeting_id: li.dataset.id}); };
      if (name === "withdraw_meeting") T.confirm(t("Withdraw this meeting request?"), t("Withdraw")).then(function (ok) { if (ok) go(); });
      else go();
    });

    /* My profile: offers, seeks, sectors, value-chain position, target markets. */
    function sectorBoxes() {
      var sig = JSON.stringify(sectors);
      if (sig === sigs.sectors) return;
      sigs.sectors = sig;
      var box = $("mp-sector-boxes"), chosen = checkedSectors();
      T.clear(box);
      sectors.forEach(function (s) {
        box.appendChild(el("label", {class: "check small"}, el("input", {type: "checkbox", name: "sector", value: s, checked: chosen.indexOf(s) !== -1}), " ", s));
      });
    }
    function checkedSectors() {
      return Array.prototype.filter.call($("mp-sector-boxes").querySelectorAll("input"), function (i) { return i.checked; })
        .map(function (i) { return i.value; });
    }
    function marketBoxes() {
      var query = T.fold($("mp-market-filter").value.trim()), box = T.clear($("mp-market-boxes")), shown = 0;
      countries.forEach(function (pair) {
        if (shown >= 40 || (query && (T.fold(pair[1]) + " " + pair[0].toLowerCase()).indexOf(query) === -1)) return;
        shown += 1;
        box.appendChild(el("label", {class: "check small"}, el("input", {type: "checkbox", value: pair[0], checked: markets.indexOf(pair[0]) !== -1}),
          " ", T.flag(pair[0]) + " " + pair[1]));
      });
      var chips = T.clear($("mp-market-chips"));
      markets.forEach(function (c) {
        chips.appendChild(el("li", {class: "mp-chip"}, T.flag(c) + " " + T.countryName(c) + " ",
          el("button", {type: "button", class: "mp-chip-x", dataset: {unmarket: c}, "aria-label": t("Remove %(name)s", {name: T.countryName(c)})}, "✕")));
      });
    }
    $("mp-market-filter").addEventListener("input", marketBoxes);
    $("mp-market-filter").addEventListener("keydown", function (event) { if (event.key === "Enter") event.preventDefault(); });
    $("mp-market-boxes").addEventListener("change", function (event) {
      var code = event.target.value, at = markets.indexOf(code);
      if (event.target.checked && at === -1) markets.push(code);
      if (!event.target.checked && at !== -1) markets.splice(at, 1);
      marketBoxes();
    });
    $("mp-market-chips").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-unmarket]");
      if (!button) return;
      markets = markets.filter(function (c) { return c !== button.dataset.unmarket; });
      marketBoxes();
    });
    function fillProfile() {
      var p = (mine && mine.profile) || {}, f = $("mp-profile").elements;
      f.offers.value = p.offers || "";
      f.seeks.value = p.seeks || "";
      f.value_chain.value = p.value_chain || "";
      var chosen = p.sectors && p.sectors.length ? p.sectors : (me.sector ? [me.sector] : []);
      sigs.sectors = null;
      sectorBoxes();
      Array.prototype.forEach.call($("mp-sector-boxes").querySelectorAll("input"), function (i) { i.checked = chosen.indexOf(i.value) !== -1; });
      markets = (p.markets || []).slice();
      marketBoxes();
    }
    $("mp-profile-box").addEventListener("toggle", function () { if (this.open && mine) fillProfile(); });
    $("mp-profile").addEventListener("submit", function (event) {
      event.preventDefault();
      var f = this.elements, button = this.querySelector("button[type=submit]");
      $("mp-profile-error").hidden = true;
      button.disabled = true;
      opts.command("save_match_profile", {offers: f.offers.value.trim(), seeks: f.seeks.value.trim(), sectors: checkedSectors(),
        value_chain: f.value_chain.value, markets: markets}).then(function () {
        T.toast(t("Matchmaking profile saved"));
        $("mp-profile-box").open = false;
        suggest();
        search();
      }, function (err) {
        $("mp-profile-error").textContent = T.errorText(err);
        $("mp-profile-error").hidden = false;
      }).then(function () { button.disabled = false; });
    });

    /* My availability. */
    function slots() {
      var sig = JSON.stringify([shared.slots, mine.unavailable]);
      if (sig === sigs.slots) return;
      sigs.slots = sig;
      var box = T.clear($("mp-slots")), away = mine.unavailable || [];
      shared.slots.forEach(function (s, i) {
        box.appendChild(el("li", null, el("label", {class: "check small"},
          el("input", {type: "checkbox", value: String(i), checked: away.indexOf(i) !== -1}),
          " ", t("%(slot)s — I can't attend", {slot: M.slotLabel(i, shared.slots)}))));
      });
    }
    $("mp-avail").addEventListener("submit", function (event) {
      event.preventDefault();
      var away = Array.prototype.filter.call($("mp-slots").querySelectorAll("input"), function (i) { return i.checked; })
        .map(function (i) { return Number(i.value); });
      run("set_availability", {unavailable: away}).then(function (ack) {
        if (ack) { T.toast(t("Availability saved")); $("mp-avail-box").open = false; }
      });
    });

    return {
      render: function (view) {
        shared = view.matchmaking || null;
        me = view.me || {};
        mine = me.matchmaking || {};
        var on = !!(shared && shared.slots && shared.slots.length);
        card.hidden = !on;
        card.dataset.published = String(!!(shared && shared.published));
        if (!on) return;
        sectors = (view.workshop || {}).sectors || [];
        if (!$("mp-profile-box").open) sectorBoxes();
        if (!started) {
          started = true;
          var sector = $("mp-sector"), chosen = sector.value;
          sectors.forEach(function (s) { sector.appendChild(el("option", {value: s}, s)); });
          sector.value = chosen;
          search();
          suggest();
        }
        if (!profileFilled) { profileFilled = true; fillProfile(); }
        agenda();
        requests();
        slots();
        var sig = JSON.stringify((mine.requests || []).map(function (r) { return [r.with.id, r.status]; }));
        if (sig !== sigs.catalogue) { sigs.catalogue = sig; redrawPeople(); }
      }
    };
  }

  window.TavoloMatchParticipant = {mount: mount};
})();
