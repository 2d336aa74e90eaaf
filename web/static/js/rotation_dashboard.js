/* Dashboard rotation: plan a rotation (pairs or tables of k, minutes per round, a number of rounds, "until" a
 * time, or "everyone meets at least M" — the server works out the rounds and the form shows "N rounds · H h MM min"
 * before creating — who should not meet), then drive it: the plan's quality, progress and the round's countdown, the current
 * round's tables, who is seated but offline (re-plan without them), recent re-plans, and the controls (start,
 * pause/resume, +1 min, −30 s, skip, end). The round changes by itself on the server's clock.
 * Also the room timer card (any agenda item; a PechaKucha preset: 20 slides of 20 s). */
(function () {
  "use strict";
  var T = window.Tavolo, TT = window.TavoloTimer, t = T.t, el = T.el, $ = T.$;

  function mount(opts) {
    var form = $("ro-form"), data = null, people = {}, formOpen = false, tablesSig = null;
    var count = TT.countdownEl({id: "ro-countdown", class: "tv-countdown ro-countdown"});
    $("ro-clock").appendChild(count);

    function fail(err) { T.toast(T.errorText(err), "error"); }
    function run(name, args) { return opts.command(name, Object.assign({rotation_id: data.id}, args || {})).catch(fail); }
    function nameOf(p) { return (p && p.name) || t("Someone"); }

    /* The form. */
    function syncForm() {
      var f = form.elements;
      $("ro-odd").hidden = f.table_size.value !== "2";
      f.rounds.disabled = f.by.value !== "rounds";
      f.until.disabled = f.by.value !== "until";
      f.meet.disabled = f.by.value !== "meet";
      estimate();
    }
    form.addEventListener("change", syncForm);
    form.addEventListener("input", function (event) { if (event.target.type === "number") estimate(); });

    /* "N rounds · H h MM min": counted here for a number of rounds; for "everyone meets at least M" the server's
     * planner works it out on the people present (asked once the typing stops; a late answer is dropped). */
    var asked = 0, pending = null;
    function duration(seconds) {
      var minutes = Math.ceil(seconds / 60);
      return t("%(h)s h %(mm)s min", {h: Math.floor(minutes / 60), mm: String(minutes % 60).padStart(2, "0")});
    }
    function roundsText(rounds, seconds) { return T.tn("%(count)s round", "%(count)s rounds", rounds) + " · " + duration(seconds); }
    function estimate() {
      var f = form.elements, out = $("ro-estimate"), seconds = Math.round(Number(f.minutes.value) * 60), mine = ++asked;
      clearTimeout(pending);
      out.textContent = "";
      out.classList.remove("warn");
      if (!(seconds >= 5 && seconds <= 14400)) return;
      if (f.by.value === "rounds") {
        var n = Math.floor(Number(f.rounds.value));
        if (n >= 1 && n <= 100) out.textContent = roundsText(n, n * seconds);
        return;
      }
      var m = Math.floor(Number(f.meet.value));
      if (f.by.value !== "meet" || !(m >= 1 && m <= 100) || !opts.workshopId) return;
      var q = new URLSearchParams({meet_at_least: m, table_size: f.table_size.value, round_seconds: seconds,
        odd: f.odd.value, avoid: formAvoid().join(","), prefer_cross_sector: String(f.prefer_cross_sector.checked)});
      pending = setTimeout(function () {
        out.textContent = t("Working out the rounds…");
        fetch("/api/workshops/" + opts.workshopId + "/rotations/preview?" + q.toString(),
          {headers: {Authorization: "Bearer " + opts.token}, cache: "no-store"}).then(function (r) {
          return r.json().then(function (body) { if (!r.ok) throw body.error || body; return body; });
        }).then(function (body) {
          if (mine !== asked) return;
          out.textContent = roundsText(body.rounds, body.total_seconds);
          // Warn before creating: the rules cannot all be kept with the people present.
          if (body.rule_breaks > 0) {
            out.textContent += " · " + T.tn("Warning: %(count)s meeting breaks the seating rules (colleagues or compatriots).",
              "Warning: %(count)s meetings break the seating rules (colleagues or compatriots).", body.rule_breaks);
            out.classList.add("warn");
          }
        }, function (err) {
          if (mine !== asked) return;
          var limit = err && err.details && err.details.most !== undefined;
          out.textContent = limit ? t("With %(people)s people, each can meet at most %(most)s others.", err.details) : T.errorText(err);
          out.classList.toggle("warn", !!limit);
        });
      }, 300);
    }
    function formAvoid() {
      var f = form.elements, avoid = [];
      if (f.avoid_organisation.checked) avoid.push("organisation");
      if (f.avoid_country.checked) avoid.push("country");
      return avoid;
    }
    function showForm(open) {
      formOpen = open;
      form.hidden = !open && !!data;
      $("ro-new").setAttribute("aria-expanded", String(open));
      $("ro-cancel").hidden = !data;
      $("ro-error").hidden = true;
      syncForm();
    }
    function formError(text) { $("ro-error").textContent = text; $("ro-error").hidden = false; }
    /* "HH:MM" today in the workshop's zone (the room's clock, not this laptop's), as ISO with the zone's offset. */
    function untilISO(hhmm) {
      return T.wallISO(T.wallParts(new Date(T.clock.now()).toISOString()).date, hhmm);
    }
    $("ro-new").addEventListener("click", function () { showForm(form.hidden); if (!form.hidden) form.elements.table_size.focus(); });
    $("ro-cancel").addEventListener("click", function () { showForm(false); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var f = form.elements, seconds = Math.round(Number(f.minutes.value) * 60);
      var args = {table_size: Number(f.table_size.value), round_seconds: seconds, avoid: [],
        prefer_cross_sector: f.prefer_cross_sector.checked};
      if (!(seconds >= 5 && seconds <= 14400)) return formError(t("A round lasts from 5 seconds to 4 hours."));
      if (f.by.value === "until") {
        args.until = untilISO(f.until.value);
        if (!args.until) return formError(t("Give the time the last round should end by."));
      } else if (f.by.value === "meet") {
        var m = Math.floor(Number(f.meet.value));
        if (!(m >= 1 && m <= 100)) return formError(t("Enter how many others everyone meets, from 1 to 100."));
        args.meet_at_least = m;
      } else {
        var n = Math.floor(Number(f.rounds.value));
        if (!(n >= 1 && n <= 100)) return formError(t("Enter a number of rounds from 1 to 100."));
        args.rounds = n;
      }
      args.avoid = formAvoid();
      if (args.table_size === 2) args.odd = f.odd.value;
      $("ro-plan").disabled = true;
      opts.command("create_rotation", args).then(function () {
        showForm(false);
        T.toast(t("The rotation is planned. Start it when the room is ready."));
      }, function (err) { formError(T.errorText(err)); }).then(function () { $("ro-plan").disabled = false; });
    });

    /* The controls. */
    var ACTIONS = {
      start: function () { run("start_rotation"); },
      pause: function () { run("pause_rotation"); },
      resume: function () { run("resume_rotation"); },
      plus: function () { run("extend_round", {seconds: 60}); },
      minus: function () { run("extend_round", {seconds: -30}); },
      skip: function () {
        T.confirm(t("End round %(n)s now and move everyone to the next round?", {n: data.current}), t("Skip to next round"))
          .then(function (ok) { if (ok) run("advance_round"); });
      },
      end: function () {
        T.confirm(t("End the rotation now? The round under way counts as held."), t("End rotation"))
          .then(function (ok) { if (ok) run("end_rotation"); });
      },
      replan: function () { showForm(true); }
    };
    $("ro-controls").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-ro]");
      if (button && data && ACTIONS[button.dataset.ro]) ACTIONS[button.dataset.ro]();
    });
    $("ro-replan-absent").addEventListener("click", function () {
      var ids = pendingAbsent().map(function (p) { return p.id; });
      if (!ids.length) return;
      run("replan_rotation", {absent: ids}).then(function (ack) {
        if (ack) T.toast(t("The next rounds are re-planned without them."));
      });
    });
    function pendingAbsent() {
      var excluded = (data && data.excluded) || [];
      return ((data && data.absent) || []).filter(function (p) { return excluded.indexOf(p.id) === -1; });
    }

    function show(button, on) { $("ro-controls").querySelector("[data-ro=" + button + "]").hidden = !on; }

    function quality(q) {
      var box = T.clear($("ro-quality"));
      q = q || {};
      var item = function (term, value, cls) {
        box.appendChild(el("div", {class: "ro-figure" + (cls ? " " + cls : "")}, el("dt", null, term), el("dd", null, value)));
      };
      item(t("Meetings"), q.meetings === undefined ? "–" : q.meetings);
      item(t("Different pairs"), q.distinct_pairs === undefined ? "–" : q.distinct_pairs);
      item(t("Repeated pairs"), q.repeated_pairs || 0, q.repeated_pairs ? "bad" : "good");
      var v = q.violations || {}, parts = [];
      if (v.organisation) parts.push(t("same organisation: %(count)s", {count: v.organisation}));
      if (v.country) parts.push(t("same country: %(count)s", {count: v.country}));
      if (v.must_meet) parts.push(t("must-meet pairs missed: %(count)s", {count: v.must_meet}));
      item(t("Rule breaks"), (q.constraint_violations || 0) + (parts.length ? " (" + parts.join(", ") + ")" : ""),
        q.constraint_violations ? "bad" : "good");
      if (q.sit_out_spread !== undefined && Object.keys(q.sit_outs || {}).length &&
          Object.keys(q.sit_outs).some(function (k) { return q.sit_outs[k] > 0; })) {
        item(t("Sit-outs per person"), Math.min.apply(null, Object.values(q.sit_outs)) + "–" + Math.max.apply(null, Object.values(q.sit_outs)));
      }
    }

    function tables(d) {
      var sig = JSON.stringify([d.current, d.tables, d.sitting_out]);
      if (sig === tablesSig) return;
      tablesSig = sig;
      $("ro-tables-title").textContent = d.state === "draft" ? t("Round 1, as planned") : t("Round %(n)s: who sits where", {n: d.current});
      var list = T.clear($("ro-tables"));
      (d.tables || []).forEach(function (tab) {
        list.appendChild(el("li", {class: "ro-table", dataset: {table: tab.table}},
          el("span", {class: "ro-table-n", "aria-label": t("Table %(n)s", {n: tab.table})}, tab.table),
          el("span", {class: "ro-table-names"}, tab.members.map(function (m) { return m.name; }).join(" · "))));
      });
      var out = d.sitting_out || [];
      $("ro-sitting-out").hidden = !out.length;
      $("ro-sitting-out").textContent = out.length ? t("Sitting out: %(names)s", {names: out.map(nameOf).join(", ")}) : "";
    }

    function replans(d) {
      var list = T.clear($("ro-replans"));
      (d.replans || []).slice().reverse().forEach(function (r) {
        var who = nameOf(people[r.participant_id]);
        var why = r.reason === "joined" ? t("%(name)s joined", {name: who})
          : r.reason === "left" ? t("%(name)s left", {name: who})
          : r.reason === "removed" ? t("%(name)s was removed", {name: who})
          : t("absent people left out");
        list.appendChild(el("li", null, t("Re-planned from round %(n)s at %(time)s: %(why)s",
          {n: r.from_round, time: T.formatTime(r.at), why: why})));
      });
    }

    function render(d, participants) {
      data = d;
      people = participants || {};
      var has = !!d, finished = has && d.state === "finished";
      $("ro-new").hidden = !finished;
      form.hidden = has && !formOpen;
      $("ro-cancel").hidden = !has;
      $("ro-current").hidden = !has;
      if (!has) { TT.set(count, null); $("ro-summary").hidden = false; return; }
      $("ro-summary").hidden = true;
      var running = d.state === "running", c = d.clock || {};
      var kind = d.table_size === 2 ? t("Pairs") : t("Tables of %(count)s", {count: d.table_size});
      var minutes = d.round_seconds % 60 ? TT.format(d.round_seconds * 1000) : t("%(minutes)s min", {minutes: d.round_seconds / 60});
      $("ro-round").textContent = d.state === "draft" ? T.tn("Planned: %(count)s round", "Planned: %(count)s rounds", d.rounds)
        : finished ? t("Finished after round %(n)s of %(total)s", {n: d.current, total: d.rounds})
        : t("Round %(n)s of %(total)s", {n: d.current, total: d.rounds});
      $("ro-round").dataset.round = d.current;
      $("ro-meta").textContent = [kind, t("%(duration)s per round", {duration: minutes}),
        T.tn("%(count)s meeting held", "%(count)s meetings held", d.meetings_held || 0)].join(" · ");
      $("ro-progress-fill").style.width = (d.rounds ? Math.min(100, (finished ? d.rounds : Math.max(0, d.current - 1)) / d.rounds * 100) : 0) + "%";
      TT.set(count, running ? c : null);
      $("ro-clock").hidden = !running;
      show("start", d.state === "draft");
      show("replan", d.state === "draft");
      show("pause", running && c.state === "running");
      show("resume", running && c.state === "paused");
      ["plus", "minus", "skip"].forEach(function (b) { show(b, running); });
      show("end", !finished);
      $("ro-controls").hidden = finished;
      quality(d.quality);
      tables(d);
      var absent = pendingAbsent();
      $("ro-absent").hidden = finished || !absent.length;
      var listed = absent.slice(0, 12).map(nameOf).join(", ") + (absent.length > 12 ? " " + t("and %(count)s more", {count: absent.length - 12}) : "");
      $("ro-absent-text").textContent = absent.length ? t("Seated but offline (%(count)s): %(names)s", {count: absent.length, names: listed}) : "";
      var excluded = (d.excluded || []).map(function (id) { return nameOf(people[id]); });
      $("ro-excluded").hidden = finished || !excluded.length;
      $("ro-excluded").textContent = excluded.length ? t("Left out of the next rounds: %(names)s", {names: excluded.join(", ")}) : "";
      replans(d);
    }
    showForm(false);
    return {render: render};
  }

  /* The room timer card. */
  function mountTimer(opts) {
    var form = $("rt-form"), shown = TT.mountRoomTimer($("rt-show"), {cls: "rt-dash"}), timer = null;
    function fail(err) { T.toast(T.errorText(err), "error"); }
    function start(args) {
      $("rt-error").hidden = true;
      opts.command("start_timer", args).catch(function (err) {
        $("rt-error").textContent = T.errorText(err);
        $("rt-error").hidden = false;
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var seconds = Math.round(Number(form.elements.minutes.value) * 60), label = form.elements.label.value.trim();
      if (!(seconds >= 1 && seconds <= 86400)) {
        $("rt-error").textContent = t("Enter a number of minutes.");
        $("rt-error").hidden = false;
        return;
      }
      start(label ? {seconds: seconds, label: label} : {seconds: seconds});
    });
    $("rt-pechakucha").addEventListener("click", function () {
      var label = form.elements.label.value.trim();
      start({seconds: 400, segments: 20, label: label || t("PechaKucha 20×20")});
    });
    $("rt-running").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-rt]");
      if (!button || !timer) return;
      var a = button.dataset.rt;
      if (a === "pause") opts.command("pause_timer", {}).catch(fail);
      if (a === "resume") opts.command("resume_timer", {}).catch(fail);
      if (a === "plus") opts.command("extend_timer", {seconds: 60}).catch(fail);
      if (a === "stop") opts.command("stop_timer", {}).catch(fail);
    });
    return {
      render: function (view) {
        timer = view || null;
        var on = shown.render(timer);
        form.hidden = on;
        $("rt-running").hidden = !on;
        if (!on) return;
        var paused = timer.clock.state === "paused";
        $("rt-running").querySelector("[data-rt=pause]").hidden = paused;
        $("rt-running").querySelector("[data-rt=resume]").hidden = !paused;
      }
    };
  }

  window.TavoloRotationDashboard = {mount: mount, mountTimer: mountTimer};
})();
