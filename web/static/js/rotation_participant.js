/* Participant rotation card: "Round 3 of 10 — go to table 7 — you meet Ana Ferreira, Proplast (Italy, Plastics)"
 * (several partners at tables of k, or "You sit out this round"), the round's countdown, the next round, the people
 * met so far with a star to follow up with each, and a "Move now" banner when a round starts (a short beep if the
 * participant turned the sound on, a vibration where the phone can). The room timer card is here too.
 *
 * Everything about people comes from other participants: it is only ever set as text. */
(function () {
  "use strict";
  var T = window.Tavolo, TT = window.TavoloTimer, t = T.t, el = T.el, $ = T.$;
  var MOVE_MS = 10000, SOUND_KEY = "tavolo:sound";

  /* A short two-tone beep (WebAudio). The context is made on the toggle's click: browsers start audio only then. */
  var audio = null;
  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) { try { audio = new Ctx(); } catch (e) { audio = null; } }
    if (audio && audio.state === "suspended") audio.resume().catch(function () {});
  }
  function beep() {
    if (!audio) return;
    [0, 0.22].forEach(function (at, i) {
      var osc = audio.createOscillator(), gain = audio.createGain(), start = audio.currentTime + at;
      osc.frequency.value = i ? 1046 : 784;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(start);
      osc.stop(start + 0.2);
    });
  }

  function person(p) {
    var about = [T.countryName(p.country), p.sector].filter(Boolean).join(", ");
    return [el("strong", {class: "rp-name"}, p.name), p.organisation ? ", " + p.organisation : "", about ? " (" + about + ")" : ""];
  }
  function names(list) { return list.map(function (p) { return p.name; }).join(", "); }

  function mount(opts) {
    var card = $("my-rotation"), count = TT.countdownEl({id: "rp-countdown", class: "tv-countdown rp-countdown"});
    $("rp-clock").appendChild(count);
    var timer = TT.mountRoomTimer($("my-timer"), {cls: "rt-me"});
    var shared = null, mine = null, seenRound = null, alerted = null, metSig = null, pending = {};
    var sound = $("rp-sound");
    sound.checked = T.store.get(SOUND_KEY) === "on";
    sound.addEventListener("change", function () {
      T.store.set(SOUND_KEY, sound.checked ? "on" : "off");
      if (sound.checked) { unlockAudio(); beep(); }
    });
    if (sound.checked) {
      // Audio may start only after a gesture: the first tap anywhere on the page.
      document.addEventListener("pointerdown", unlockAudio, {once: true});
    }

    function moveWindow(c) { return Math.min(MOVE_MS, (c.duration_ms || 0) / 3); }
    TT.onFrame(function (now) {
      if (!shared || shared.state !== "running") return;
      var c = shared.clock || {}, seated = mine && mine.now && !mine.now.sitting_out;
      var moving = !!seated && c.state === "running" && TT.elapsed(c, now) < moveWindow(c) && TT.remaining(c, now) > 0;
      if ($("rp-move").hidden === moving) $("rp-move").hidden = !moving;
      card.classList.toggle("moving", moving);
      card.classList.toggle("warn", count.classList.contains("warn"));
    });
    /* A new round seen while the page is open: the signal (the banner shows by itself). */
    function signal(r) {
      if (seenRound !== null && r.current !== seenRound && alerted !== r.current && mine && mine.now && !mine.now.sitting_out) {
        alerted = r.current;
        if (sound.checked) { unlockAudio(); beep(); }
        if (navigator.vibrate) { try { navigator.vibrate([200, 100, 200]); } catch (e) { /* not allowed */ } }
      }
      seenRound = r.current;
    }

    function star(p, on) {
      pending[p.id] = true;
      renderMet(true);
      opts.command("mark_follow_up", {rotation_id: shared.id, participant_id: p.id, starred: on}).catch(function (err) {
        T.toast(T.errorText(err), "error");
      }).then(function () { delete pending[p.id]; renderMet(true); });
    }
    function renderMet(force) {
      var met = (mine && mine.met) || [], starred = (mine && mine.starred) || [];
      var sig = JSON.stringify([met, starred, Object.keys(pending)]);
      if (sig === metSig && !force) return;
      metSig = sig;
      $("rp-met-box").hidden = !met.length;
      $("rp-met-title").textContent = t("People you have met (%(count)s)", {count: met.length});
      var list = T.clear($("rp-met"));
      met.forEach(function (p) {
        var on = starred.indexOf(p.id) !== -1;
        list.appendChild(el("li", {class: "rp-met-item", dataset: {id: p.id}},
          el("button", {type: "button", class: "rp-star" + (on ? " on" : ""), "aria-pressed": String(on),
            disabled: !!pending[p.id],
            "aria-label": on ? t("Remove the star from %(name)s", {name: p.name}) : t("Star %(name)s to follow up", {name: p.name}),
            onclick: function () { star(p, !on); }}, on ? "★" : "☆"),
          el("span", {class: "rp-met-who"}, person(p)),
          el("span", {class: "rp-met-round"}, t("round %(n)s", {n: p.round}))));
      });
    }

    function renderNow(r) {
      var now = mine && mine.now, partners = $("rp-partners");
      T.clear(partners);
      $("rp-round").textContent = t("Round %(n)s of %(total)s", {n: r.current, total: r.rounds});
      $("rp-round").dataset.round = r.current;
      var table = $("rp-table"), label = $("rp-meet-label");
      if (!now) {
        table.textContent = mine && mine.next ? t("You join from the next round.") : t("You are not seated in this rotation.");
        delete table.dataset.table;
        label.textContent = "";
      } else if (now.sitting_out) {
        table.textContent = t("You sit out this round.");
        delete table.dataset.table;
        label.textContent = "";
      } else {
        table.textContent = t("Go to table %(n)s", {n: now.table});
        table.dataset.table = now.table;
        label.textContent = now.partners.length ? t("You meet") : t("Nobody else is at your table this round.");
        now.partners.forEach(function (p) { partners.appendChild(el("li", {class: "rp-partner", dataset: {id: p.id}}, person(p))); });
      }
      var next = mine && mine.next, line = $("rp-next");
      line.hidden = false;
      if (!next) line.textContent = r.current >= r.rounds ? t("This is the last round.") : "";
      else if (next.sitting_out) line.textContent = t("Next: you sit out round %(n)s.", {n: next.round});
      else if (!next.partners.length) line.textContent = t("Next: table %(table)s.", {table: next.table});
      else line.textContent = t("Next: table %(table)s with %(names)s", {table: next.table, names: names(next.partners)});
      line.hidden = !line.textContent;
    }

    return {
      render: function (view) {
        var r = view.rotation, me = view.me || {};
        shared = r || null;
        mine = me.rotation || null;
        timer.render(view.timer || null);
        card.hidden = !r || !mine;
        if (card.hidden) { TT.set(count, null); return; }
        card.dataset.state = r.state;
        var paused = r.state === "running" && (r.clock || {}).state === "paused";
        $("rp-label").textContent = (r.title || t("Rotation")) + (paused ? " · " + t("Paused") : "");
        if (r.state === "running") {
          $("rp-now").hidden = false;
          $("rp-clock").hidden = false;
          TT.set(count, r.clock);
          card.classList.toggle("paused", paused);
          renderNow(r);
          signal(r);
        } else {
          $("rp-now").hidden = true;
          $("rp-clock").hidden = true;
          $("rp-move").hidden = true;
          card.classList.remove("moving", "warn", "paused");
          TT.set(count, null);
          $("rp-round").textContent = t("The rotation is over");
          $("rp-next").hidden = false;
          $("rp-next").textContent = t("Thank you! Star the people you want to follow up with.");
        }
        renderMet(false);
        if (r.state !== "running") $("rp-met-box").open = true;
      }
    };
  }

  window.TavoloRotationParticipant = {mount: mount};
})();
