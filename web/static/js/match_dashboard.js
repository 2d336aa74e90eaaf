/* Dashboard matchmaking: the slots and tables (sessions cut into meeting slots, with the number of slots they give),
 * the figures, the schedule (Schedule → its count at once, the upper bound, "optimal" or "improving…" while the
 * server's solver works, what moved, what could not be placed, a note when the meetings changed since), Publish,
 * the table plan per slot (printable), every meeting with a filter and the facilitator's actions (add a meeting
 * between two people of the roster, remove, held / no-show, outcome) and the meetings CSV. */
(function () {
  "use strict";
  var T = window.Tavolo, M = window.TavoloMatch, t = T.t, el = T.el, $ = T.$;
  var ROWS = 300;  // meetings listed at once; the filter finds the others

  /* Sessions are typed as wall time in the workshop's zone (not this laptop's): ui.js converts both ways. */
  function localISO(date, hhmm) { return T.wallISO(date, hhmm); }
  function localParts(iso) { return T.wallParts(iso); }

  function mount(opts) {
    var form = $("mm-form"), data = null, people = {}, formOpen = false, formFilled = false;
    var sigs = {roster: null, rows: null, plan: null, moved: null};
    var api = "/api/workshops/" + encodeURIComponent(opts.workshopId) + "/matchmaking";
    M.setupOutcomeDialog();

    function fail(err) { T.toast(T.errorText(err), "error"); }
    function run(name, args) { return opts.command(name, args || {}).catch(function (err) { fail(err); return null; }); }

    /* The settings form: sessions (date, start, end), slot and break minutes, tables, acceptance. */
    function sessionRow(s) {
      var li = el("li", {class: "mm-session"},
        el("input", {type: "date", name: "date", value: s.date, "aria-label": t("Date"), required: true}),
        el("input", {type: "time", name: "start", value: s.start, "aria-label": t("From"), required: true}),
        el("span", {"aria-hidden": "true"}, "–"),
        el("input", {type: "time", name: "end", value: s.end, "aria-label": t("To"), required: true}),
        el("button", {type: "button", class: "btn small danger-ghost", dataset: {removeSession: "1"}, "aria-label": t("Remove this session")}, "✕"));
      return li;
    }
    function sessions() {
      return Array.prototype.map.call($("mm-session-list").children, function (li) {
        var q = function (n) { return li.querySelector("[name=" + n + "]").value; };
        return {date: q("date"), start: q("start"), end: q("end")};
      });
    }
    /* The slots the form gives, counted as the server cuts them (domain/match_commands.slots_from). */
    function slotCount() {
      var minutes = Math.floor(Number(form.elements.slot_minutes.value)), pause = Math.floor(Number(form.elements.break_minutes.value) || 0);
      if (!(minutes >= 5)) return 0;
      return sessions().reduce(function (n, s) {
        var from = Date.parse(localISO(s.date, s.start) || ""), to = Date.parse(localISO(s.date, s.end) || "");
        for (var at = from; !isNaN(at) && at + minutes * 60000 <= to; at += (minutes + pause) * 60000) n += 1;
        return n;
      }, 0);
    }
    function preview() {
      var n = slotCount(), tables = Math.floor(Number(form.elements.tables.value)) || 0;
      $("mm-preview").textContent = n ? T.tn("%(count)s meeting slot", "%(count)s meeting slots", n) + " · " +
        t("room for %(meetings)s meetings at %(tables)s tables", {meetings: n * tables, tables: tables})
        : t("No meeting slot fits in these sessions yet.");
      $("mm-preview").dataset.slots = n;
    }
    function fillForm(d, workshop) {
      var list = T.clear($("mm-session-list")), slots = (d && d.slots) || [];
      if (!slots.length) {
        list.appendChild(sessionRow({date: (workshop && workshop.date) || T.today(), start: "10:00", end: "12:00"}));
      } else {
        // The sessions again from the slots: a gap longer than the break between two slots starts a new session.
        var first = slots[0], minutes = Math.round((Date.parse(first.end) - Date.parse(first.start)) / 60000), pause = 0;
        if (slots.length > 1) pause = Math.max(0, Math.round((Date.parse(slots[1].start) - Date.parse(first.end)) / 60000));
        var start = first;
        slots.forEach(function (s, i) {
          var next = slots[i + 1];
          if (!next || (Date.parse(next.start) - Date.parse(s.end)) / 60000 > pause) {
            var a = localParts(start.start), b = localParts(s.end);
            list.appendChild(sessionRow({date: a.date, start: a.time, end: b.time}));
            start = next;
          }
        });
        form.elements.slot_minutes.value = minutes;
        form.elements.break_minutes.value = pause;
      }
      var present = Object.keys(people).length;
      form.elements.tables.value = d && d.tables ? d.tables : present ? Math.ceil(present / 2) : 10;
      form.elements.requires_acceptance.checked = d ? d.requires_acceptance !== false : true;
      preview();
    }
    function showForm(open) {
      formOpen = open;
      var configured = !!(data && data.slots && data.slots.length);
      form.hidden = configured && !open;
      $("mm-settings").hidden = !configured;
      $("mm-settings").setAttribute("aria-expanded", String(!form.hidden));
      $("mm-cancel").hidden = !configured;
      $("mm-error").hidden = true;
    }
    function formError(text) { $("mm-error").textContent = text; $("mm-error").hidden = false; }
    form.addEventListener("input", preview);
    $("mm-add-session").addEventListener("click", function () {
      var all = sessions(), last = all[all.length - 1] || {date: T.today(), start: "14:00", end: "16:00"};
      $("mm-session-list").appendChild(sessionRow({date: last.date, start: "14:00", end: "16:00"}));
      preview();
    });
    $("mm-session-list").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-remove-session]");
      if (!button || $("mm-session-list").children.length < 2) return;
      button.closest("li").remove();
      preview();
    });
    $("mm-settings").addEventListener("click", function () {
      if (form.hidden) { fillForm(data, opts.workshop()); showForm(true); } else showForm(false);
    });
    $("mm-cancel").addEventListener("click", function () { showForm(false); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var f = form.elements, list = [], bad = false;
      sessions().forEach(function (s) {
        var start = localISO(s.date, s.start), end = localISO(s.date, s.end);
        if (!start || !end || Date.parse(end) <= Date.parse(start)) bad = true;
        else list.push({start: start, end: end});
      });
      if (bad || !list.length) return formError(t("Give each session a date, a start and a later end."));
      var minutes = Math.floor(Number(f.slot_minutes.value)), pause = Math.floor(Number(f.break_minutes.value) || 0);
      var tables = Math.floor(Number(f.tables.value));
      if (!(minutes >= 5 && minutes <= 240)) return formError(t("A meeting lasts from 5 to 240 minutes."));
      if (!(pause >= 0 && pause <= 120)) return formError(t("The break between meetings is from 0 to 120 minutes."));
      if (!(tables >= 1 && tables <= 1000)) return formError(t("Enter a number of tables from 1 to 1000."));
      if (!slotCount()) return formError(t("No meeting slot fits in these sessions yet."));
      $("mm-save").disabled = true;
      opts.command("configure_matchmaking", {sessions: list, slot_minutes: minutes, break_minutes: pause, tables: tables,
        requires_acceptance: f.requires_acceptance.checked}).then(function () {
        showForm(false);
        T.toast(t("Slots and tables saved."));
      }, function (err) { formError(T.errorText(err)); }).then(function () { $("mm-save").disabled = false; });
    });

    /* Schedule, publish, print, CSV. */
    $("mm-schedule").addEventListener("click", function () {
      var button = this;
      button.disabled = true;
      run("schedule_meetings").then(function (ack) {
        button.disabled = false;
        if (ack) T.toast(T.tn("%(count)s meeting scheduled", "%(count)s meetings scheduled", (ack.result || {}).scheduled || 0));
      });
    });
    $("mm-publish").addEventListener("click", function () {
      T.confirm(t("Publish the agendas? Participants see their meetings; later schedules keep them in place where possible."),
        t("Publish the agendas")).then(function (ok) {
        if (ok) run("publish_schedule").then(function (ack) { if (ack) T.toast(t("The agendas are published.")); });
      });
    });
    $("mm-csv").addEventListener("click", function () { M.download(api + "/meetings.csv", opts.token, "tavolo-meetings.csv", this); });
    $("mm-print").addEventListener("click", function () {
      $("mm-plan-box").open = true;
      document.body.classList.add("print-plan");
      window.print();
    });
    window.addEventListener("afterprint", function () { document.body.classList.remove("print-plan"); });

    /* Add a meeting between two people of the roster. */
    function roster() {
      var all = Object.keys(people).map(function (id) { return people[id]; });
      all.sort(function (a, b) { return a.name.localeCompare(b.name); });
      var sig = JSON.stringify(all.map(function (p) { return [p.id, p.name, p.organisation]; }));
      if (sig === sigs.roster) return;
      sigs.roster = sig;
      ["mm-add-a", "mm-add-b"].forEach(function (id) {
        var select = $(id), chosen = select.value;
        T.clear(select).appendChild(el("option", {value: ""}, t("Choose…")));
        all.forEach(function (p) { select.appendChild(el("option", {value: p.id}, M.who(p))); });
        select.value = people[chosen] ? chosen : "";
      });
    }
    $("mm-add").addEventListener("submit", function (event) {
      event.preventDefault();
      var f = this.elements, a = f.a.value, b = f.b.value, note = f.note.value.trim();
      if (!a || !b || a === b) return T.toast(t("Choose two different participants."), "error");
      var args = {participant_ids: [a, b]};
      if (note) args.note = note;
      run("add_meeting", args).then(function (ack) {
        if (!ack) return;
        f.note.value = "";
        T.toast(t("The meeting is added."));
      });
    });

    /* The meetings. */
    var ACTIONS = {
      held: function (m) { run("mark_attendance", {meeting_id: m.id, attendance: "held"}); },
      no_show: function (m) { run("mark_attendance", {meeting_id: m.id, attendance: "no_show"}); },
      outcome: function (m) {
        M.askOutcome(m, t("%(a)s meets %(b)s", {a: M.who(m.a), b: M.who(m.b)})).then(function (out) {
          if (out) run("record_outcome", Object.assign({meeting_id: m.id}, out));
        });
      },
      remove: function (m) {
        T.confirm(t("Remove the meeting between %(a)s and %(b)s?", {a: m.a.name, b: m.b.name}), t("Remove")).then(function (ok) {
          if (ok) run("remove_meeting", {meeting_id: m.id});
        });
      }
    };
    $("mm-meetings").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-mm]"), row = button && button.closest("tr");
      var m = row && data && (data.meetings || []).filter(function (x) { return x.id === row.dataset.id; })[0];
      if (m && ACTIONS[button.dataset.mm]) ACTIONS[button.dataset.mm](m);
    });
    $("mm-filter").addEventListener("input", function () { meetings(true); });
    $("mm-status-filter").addEventListener("change", function () { meetings(true); });

    function small(text, action, cls) {
      return el("button", {type: "button", class: "btn small" + (cls ? " " + cls : ""), dataset: {mm: action}}, text);
    }
    function matches(m, status, query) {
      if (status === "scheduled" && m.slot === null) return false;
      if (status === "unscheduled" && !(m.status === "accepted" && m.slot === null)) return false;
      if (status && status !== "scheduled" && status !== "unscheduled" && m.status !== status) return false;
      return !query || T.fold([m.a.name, m.a.organisation, m.b.name, m.b.organisation, m.note].join(" ")).indexOf(query) !== -1;
    }
    function meetings(force) {
      var all = data.meetings || [], status = $("mm-status-filter").value, query = T.fold($("mm-filter").value.trim());
      var sig = JSON.stringify([all, status, query, data.slots]);
      if (sig === sigs.rows && !force) return;
      sigs.rows = sig;
      var body = T.clear($("mm-meetings")), shown = all.filter(function (m) { return matches(m, status, query); });
      shown.sort(function (a, b) {
        return (a.slot === null) - (b.slot === null) || (a.slot || 0) - (b.slot || 0) || (a.table || 0) - (b.table || 0) ||
          a.id.localeCompare(b.id, undefined, {numeric: true});
      });
      shown.slice(0, ROWS).forEach(function (m) {
        var badges = [el("span", {class: "badge mm-status-" + m.status}, M.label(M.STATUSES, m.status))];
        if (m.attendance) badges.push(el("span", {class: "badge mm-att-" + m.attendance}, M.label(M.ATTENDANCE, m.attendance)));
        if (m.outcome) badges.push(el("span", {class: "badge mm-outcome", title: m.outcome_text || null}, M.label(M.OUTCOMES, m.outcome)));
        var acts = [];
        if (m.status === "accepted") {
          acts.push(small(t("Held"), "held"), small(t("No-show"), "no_show"), small(t("Outcome…"), "outcome"));
        }
        if (m.status === "accepted" || m.status === "pending") acts.push(small(t("Remove"), "remove", "danger-ghost"));
        body.appendChild(el("tr", {dataset: {id: m.id, status: m.status}},
          el("td", {class: "mm-slot"}, m.slot === null ? "–" : M.slotLabel(m.slot, data.slots)),
          el("td", {class: "mm-table"}, m.table === null ? "–" : String(m.table)),
          el("td", {class: "who"}, el("span", {class: "mm-a"}, M.who(m.a)), el("span", {class: "mm-arrow", "aria-hidden": "true"}, " → "),
            el("span", {class: "mm-b"}, M.who(m.b)), m.by_facilitator ? el("span", {class: "hint"}, " " + t("(added by a facilitator)")) : null),
          el("td", {class: "mm-note"}, m.note || ""),
          el("td", {class: "mm-badges"}, badges),
          el("td", {class: "cell-actions"}, el("div", {class: "row-actions"}, acts))));
      });
      $("mm-none").hidden = all.length > 0;
      $("mm-shown").textContent = shown.length > ROWS ? t("Showing %(shown)s of %(total)s", {shown: ROWS, total: shown.length})
        : (status || query) && all.length ? t("Showing %(shown)s of %(total)s", {shown: shown.length, total: all.length}) : "";
    }

    function figures(c) {
      var box = T.clear($("mm-counts"));
      [["profiles", t("Profiles")], ["requests", t("Requests")], ["pending", t("Waiting")], ["accepted", t("Meetings accepted")],
        ["scheduled", t("Scheduled")], ["held", t("Meetings held")], ["no_show", t("No-shows")], ["outcomes", t("Outcomes")]].forEach(function (f) {
        box.appendChild(el("div", {class: "ro-figure", dataset: {figure: f[0]}}, el("dt", null, f[1]), el("dd", null, String(c[f[0]] || 0))));
      });
    }

    function byId() {
      var out = {};
      (data.meetings || []).forEach(function (m) { out[m.id] = m; });
      return out;
    }
    function place(slot, table) {
      return slot === null || slot === undefined ? t("not scheduled") : t("%(slot)s, table %(table)s", {slot: M.slotLabel(slot, data.slots), table: table + 1});
    }
    function schedule() {
      var s = data.schedule, status = $("mm-status"), c = data.counts || {};
      $("mm-publish").disabled = !s || data.published;
      $("mm-publish").textContent = data.published ? t("Agendas published") : t("Publish the agendas");
      $("mm-print").disabled = !s;
      $("mm-stale").hidden = !data.stale;
      status.dataset.solving = String(!!data.solving);
      if (!s) {
        status.textContent = c.accepted ? T.tn("%(count)s accepted meeting waits to be scheduled.", "%(count)s accepted meetings wait to be scheduled.", c.accepted)
          : t("Accepted meetings are scheduled here.");
        delete status.dataset.count;
      } else {
        var parts = [t("%(count)s of %(accepted)s accepted meetings scheduled", {count: s.count, accepted: c.accepted || 0}),
          t("upper bound %(n)s", {n: s.upper_bound})];
        parts.push(data.solving ? t("improving…") : s.optimal ? t("optimal") : t("best found in the time allowed"));
        if (data.published) parts.push(t("published: participants see every change at once"));
        status.textContent = parts.join(" · ");
        status.dataset.count = s.count;
      }
      var meetings = byId(), unscheduled = ((s && s.unscheduled) || []).map(function (id) { return meetings[id]; }).filter(Boolean);
      $("mm-unscheduled").hidden = !unscheduled.length;
      $("mm-unscheduled").textContent = unscheduled.length ? t("Not scheduled (%(count)s): %(list)s", {count: unscheduled.length,
        list: unscheduled.slice(0, 20).map(function (m) { return t("%(a)s meets %(b)s", {a: m.a.name, b: m.b.name}); }).join("; ") +
          (unscheduled.length > 20 ? " " + t("and %(count)s more", {count: unscheduled.length - 20}) : "")}) : "";
      var moved = (data.moved || []).filter(function (x) { return meetings[x.meeting_id]; }), sig = JSON.stringify([moved, data.slots]);
      $("mm-moved-box").hidden = !moved.length;
      if (sig !== sigs.moved) {
        sigs.moved = sig;
        $("mm-moved-title").textContent = t("What moved in the last schedule (%(count)s)", {count: moved.length});
        var list = T.clear($("mm-moved"));
        moved.forEach(function (x) {
          var m = meetings[x.meeting_id];
          list.appendChild(el("li", null, t("%(a)s meets %(b)s", {a: m.a.name, b: m.b.name}) + ": " +
            place(x.old_slot, x.old_table) + " → " + place(x.new_slot, x.new_table)));
        });
      }
    }

    function plan() {
      var slots = data.slots || [], rows = data.by_slot || [], sig = JSON.stringify([slots, rows]);
      $("mm-plan-box").hidden = !rows.length;
      if (sig === sigs.plan) return;
      sigs.plan = sig;
      var box = T.clear($("mm-plan"));
      box.appendChild(el("h3", {class: "mm-plan-title"}, t("Table plan") + " — " + ((opts.workshop() || {}).title || "")));
      rows.forEach(function (meetings, i) {
        if (!meetings.length) return;
        box.appendChild(el("section", {class: "mm-plan-slot", dataset: {slot: i}},
          el("h4", null, M.slotLabel(i, slots)),
          el("ol", {class: "mm-plan-list"}, meetings.map(function (row) {
            return el("li", {dataset: {table: row.table}}, el("span", {class: "mm-plan-table"}, t("Table %(n)s", {n: row.table})),
              " ", t("%(a)s meets %(b)s", {a: M.who(row.a), b: M.who(row.b)}));
          }))));
      });
    }

    return {
      render: function (d, participants) {
        data = d;
        people = participants || {};
        roster();
        var configured = !!(d && d.slots && d.slots.length);
        if (!formFilled) {
          formFilled = true;
          fillForm(d, opts.workshop());
        }
        showForm(formOpen);
        $("mm-body").hidden = !configured;
        $("mm-csv").disabled = !d || !(d.meetings || []).length;
        if (!configured) return;
        $("mm-settings-line").textContent = [T.tn("%(count)s meeting slot", "%(count)s meeting slots", d.slots.length),
          M.spanByDay(d.slots),
          T.tn("%(count)s table", "%(count)s tables", d.tables),
          d.requires_acceptance ? t("requests need acceptance") : t("requests are accepted at once")].join(" · ");
        figures(d.counts || {});
        schedule();
        plan();
        meetings(false);
      }
    };
  }

  window.TavoloMatchDashboard = {mount: mount};
})();
