/* Participant polls: every opened poll as a card. While open: the ballot (ballots.js), then "Your answer" with a
 * button to change it; a secret poll says its ballot is stored without the voter's name. Results appear when the
 * facilitator shows them (charts.js); a closed poll says so.
 *
 * A card's ballot is drawn once and left alone while the participant fills it in (view updates only refresh its
 * header, countdown and results). Our own answer comes from me.ballots; a secret poll's answer is no longer there
 * after closing (the server cannot link it to us any more), so the page also keeps a copy on this device. */
(function () {
  "use strict";
  var T = window.Tavolo, C = window.TavoloCharts, B = window.TavoloBallots, t = T.t, el = T.el, $ = T.$;

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function mount(opts) {
    var list = $("polls-me"), cards = new Map(), ui = {}, view = null;
    function stateOf(id) { return ui[id] || (ui[id] = {}); }
    function localKey(id) { return "tavolo:ballot:" + opts.workshopId + ":" + id; }
    function kept(id) { try { return JSON.parse(T.store.get(localKey(id)) || "null"); } catch (e) { return null; } }
    /* Our answers to a poll: just sent, else from the view, else this device's copy. */
    function mine(id) {
      var s = stateOf(id), server = ((view.me || {}).ballots || {})[id];
      if (s.sent && server && same(s.sent, server)) delete s.sent;
      return s.sent || server || kept(id);
    }
    /* Open polls (newest first), then closed ones (most recently closed first). */
    function ordered(polls) {
      return Object.keys(polls).map(function (id) { return polls[id]; }).sort(function (a, b) {
        var pa = a.poll, pb = b.poll;
        if (pa.state !== pb.state) return pa.state === "open" ? -1 : 1;
        var ka = pa.state === "open" ? pa.opened_at : pa.closed_at, kb = pb.state === "open" ? pb.opened_at : pb.closed_at;
        return kb.localeCompare(ka);
      });
    }

    function build(id) {
      var card = {
        kind: el("p", {class: "label poll-kind"}), state: el("span", {class: "badge poll-state"}), countdown: C.countdownEl(),
        title: el("h2", {class: "poll-title"}), lock: el("p", {class: "lock-note"}, el("span", {"aria-hidden": "true"}, "🔒"), " ",
          t("Your vote is secret: it is stored without your name")),
        body: el("div", {class: "poll-me-body"}), later: el("p", {class: "hint results-later"}),
        results: el("div", {class: "poll-results"}), resultsHead: el("h3", {class: "results-head"}, t("Results"))
      };
      card.node = el("li", {class: "card poll-me", dataset: {id: id}},
        el("div", {class: "poll-me-head"}, card.kind, el("span", {class: "poll-me-status"}, card.countdown, card.state)),
        card.title, card.lock, card.body, card.later, card.resultsHead, card.results);
      return card;
    }

    function fill(card, v) {
      // The facilitator's text in the participant's language where they wrote it, else as written.
      var p = T.pollIn(v.poll, document.documentElement.lang) || v.poll;
      var s = stateOf(p.id), answers = mine(p.id), open = p.state === "open";
      var mode = open ? (answers && !s.editing ? "voted" : "ballot") : "closed";
      card.node.className = "card poll-me state-" + p.state;
      card.kind.textContent = C.kindLabel(p.kind);
      card.state.className = "badge poll-state " + p.state;
      card.state.textContent = open ? t("Live") : t("Closed");
      C.countdown(card.countdown, open ? p.closes_at : "");
      card.title.textContent = p.title;
      card.lock.hidden = !p.secret;
      var sig = JSON.stringify([mode, answers, p.questions, s.error]);
      if (mode !== "ballot" ? card.sig !== sig : card.mode !== "ballot") {
        T.clear(card.body).appendChild(mode === "ballot" ? ballot(p, answers, s) : summary(p, answers, mode, s));
        card.sig = sig;
      }
      card.mode = mode;
      var showResults = v.revealed && !!v.results && (mode !== "ballot" || !open);
      card.resultsHead.hidden = card.results.hidden = !showResults;
      if (showResults) C.results(card.results, p, v.results, {limit: 8, words: 30});
      card.later.hidden = !(mode === "voted" && !v.revealed);
      card.later.textContent = t("The results will appear here when the facilitator shows them.");
    }

    /* "Your answer" (or that the poll closed), and the button to change it while the poll is open. */
    function summary(p, answers, mode, s) {
      var box = el("div", {class: "my-answer"});
      if (mode === "closed") box.appendChild(el("p", {class: "closed-note"}, t("Voting has closed.")));
      // A ballot refused as the poll closed: the refusal stays in view (the ballot form it was shown in is gone).
      if (s.error && mode === "closed") box.appendChild(el("p", {class: "form-error", role: "alert"}, s.error));
      if (answers) {
        var dl = el("dl", {class: "my-answer-list"});
        p.questions.forEach(function (q, i) {
          if (answers[q.id] === undefined) return;
          // A dd needs its dt (screen readers announce the pair): with one question it is there, only not shown.
          var term = p.questions.length > 1 ? (i + 1) + ". " + (q.prompt || C.kindLabel(q.kind)) : (q.prompt || p.title);
          dl.appendChild(el("dt", p.questions.length > 1 ? null : {class: "visually-hidden"}, term));
          dl.appendChild(el("dd", null, C.describe(q, answers[q.id])));
        });
        box.appendChild(el("div", {class: "my-answer-box"}, el("p", {class: "label"}, "✓ " + t("Your answer")), dl));
      } else if (mode === "closed") {
        box.appendChild(el("p", {class: "hint"}, t("You did not answer this poll.")));
      }
      if (s.thanks && mode === "voted") box.appendChild(el("p", {class: "thanks", role: "status"}, t("Thank you! Your answer was saved.")));
      if (mode === "voted") {
        box.appendChild(el("button", {type: "button", class: "btn", dataset: {action: "change", id: p.id}}, t("Change my answer")));
      }
      return box;
    }

    function ballot(p, answers, s) {
      var many = p.questions.length > 1, widgets = [];
      var form = el("form", {class: "ballot", novalidate: true, dataset: {id: p.id}});
      if (many) form.appendChild(el("p", {class: "ballot-hint"}, t("Answer the questions you want: you can leave some out.")));
      p.questions.forEach(function (q, i) {
        var w = B.widget(q, answers ? answers[q.id] : undefined, "b-" + p.id + "-" + q.id);
        widgets.push({q: q, w: w});
        var legend = many ? el("legend", {class: "ballot-q"}, el("span", {class: "ballot-q-n"}, (i + 1) + "."), " ", q.prompt || C.kindLabel(q.kind))
          : q.prompt ? el("legend", {class: "ballot-q"}, q.prompt) : el("legend", {class: "visually-hidden"}, p.title);
        form.appendChild(el("fieldset", {class: "ballot-question q-" + q.kind}, legend, w.node));
      });
      var error = el("p", {class: "form-error", role: "alert", hidden: true});
      var send = el("button", {type: "submit", class: "btn primary block"}, answers ? t("Save my new answer") : t("Send my answer"));
      form.appendChild(error);
      form.appendChild(el("div", {class: "ballot-actions"}, send,
        s.editing ? el("button", {type: "button", class: "btn block", dataset: {action: "cancel", id: p.id}}, t("Keep my answer")) : null));
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var chosen = {};
        widgets.forEach(function (x) { var value = x.w.value(); if (value !== null) chosen[x.q.id] = value; });
        error.hidden = true;
        if (!Object.keys(chosen).length) {
          error.textContent = many ? t("Answer at least one question.") : t("Choose your answer first.");
          error.hidden = false;
          return;
        }
        var args = {poll_id: p.id};
        if (many) args.answers = chosen; else args.answer = chosen[p.questions[0].id];
        send.disabled = true;
        send.textContent = t("Sending…");
        opts.command("cast_ballot", args).then(function () {
          T.store.set(localKey(p.id), JSON.stringify(chosen));
          s.sent = chosen;
          s.editing = false;
          s.thanks = true;
          s.error = null;
          redraw(p.id);
        }, function (err) {
          send.disabled = false;
          send.textContent = answers ? t("Save my new answer") : t("Send my answer");
          error.textContent = T.errorText(err);
          error.hidden = false;
          if (err.code === "poll_closed" || err.code === "poll_key_missing") s.error = error.textContent;
        });
      });
      return form;
    }

    function redraw(id) {
      var card = cards.get(id), v = view && (view.polls || {})[id];
      if (card && v) { card.sig = card.mode = null; fill(card, v); }
    }
    list.addEventListener("click", function (event) {
      var b = event.target.closest("button[data-action]");
      if (!b || !b.dataset.id || (b.dataset.action !== "change" && b.dataset.action !== "cancel")) return;
      var s = stateOf(b.dataset.id);
      s.editing = b.dataset.action === "change";
      s.thanks = false;
      redraw(b.dataset.id);
      var first = cards.get(b.dataset.id).node.querySelector(s.editing ? ".ballot input, .ballot textarea, .ballot button" : "[data-action=change]");
      if (first) first.focus();
    });

    return {
      /* Leaving or removed: this device forgets our answers too. */
      forget: function () {
        try {
          Object.keys(localStorage).forEach(function (k) { if (k.indexOf(localKey("")) === 0) localStorage.removeItem(k); });
        } catch (e) { /* storage unavailable: nothing kept */ }
      },
      render: function (data) {
        view = data;
        var polls = data.polls || {}, cursor = list.firstChild;
        cards.forEach(function (card, id) { if (!polls[id]) { card.node.remove(); cards.delete(id); } });
        ordered(polls).forEach(function (v) {
          var id = v.poll.id, card = cards.get(id);
          if (!card) { card = build(id); cards.set(id, card); }
          fill(card, v);
          if (card.node === cursor) cursor = cursor.nextSibling;
          else list.insertBefore(card.node, cursor);
        });
        list.hidden = !list.firstChild;
      }
    };
  }

  window.TavoloPollsParticipant = {mount: mount};
})();
