/* Dashboard polls: the builder (polls_builder.js), then every poll, newest first, as a card kept up to date in
 * place: state, kind and secrecy badges, turnout, countdown, actions (open, close, reopen, duplicate, show or hide
 * results, extend the time limit, CSV), live charts (charts.js) and breakdowns by country, sector or organisation type where allowed.
 *
 * CSV files come from the HTTP API with the facilitator token in the Authorization header (never in a URL), and
 * are saved through a Blob. */
(function () {
  "use strict";
  var T = window.Tavolo, C = window.TavoloCharts, t = T.t, el = T.el, $ = T.$;
  var STATES = {draft: t("Draft"), open: t("Live"), closed: t("Closed")};
  var DIMENSIONS = {
    country: t("Country"), sector: t("Sector"), organisation_type: t("Organisation type"), organisation: t("Organisation")
  };

  function mount(opts) {
    var list = $("poll-list"), cards = new Map(), ui = {}, polls = {}, highlight = null;
    var builder = window.TavoloPollBuilder.mount({command: opts.command, onSaved: function (id) {
      var card = cards.get(id);
      highlight = id;
      ui[id] = {open: true};
      if (card) card.sig = card.actionsSig = null;  // the draft's time limit may have changed
      render(polls);
    }});
    var api = "/api/workshops/" + encodeURIComponent(opts.workshopId);

    function fail(err) { T.toast(T.errorText(err), "error"); }
    function run(name, args) { return opts.command(name, args).catch(fail); }
    function stateOf(id) { return ui[id] || (ui[id] = {}); }

    function download(path, fallback, button) {
      button.disabled = true;
      fetch(api + path, {headers: {Authorization: "Bearer " + opts.token}, cache: "no-store"}).then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return {}; }).then(function (body) { throw (body.error || {code: "internal_error"}); });
        }
        var match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
        return response.blob().then(function (blob) {
          var url = URL.createObjectURL(blob), link = el("a", {href: url, download: match ? match[1] : fallback, class: "offscreen"});
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        });
      }).catch(function (err) {
        fail(err && err.code ? err : {code: "", message: t("Could not reach the server. Check the connection and try again.")});
      }).then(function () { button.disabled = false; });
    }
    $("polls-csv").addEventListener("click", function () { download("/polls.csv", "tavolo-polls.csv", this); });

    function button(text, action, cls) {
      return el("button", {type: "button", class: "btn small" + (cls ? " " + cls : ""), dataset: {action: action}}, text);
    }
    function build(id) {
      var card = {
        title: el("h3", {class: "poll-title"}), badges: el("p", {class: "poll-badges"}),
        countdown: C.countdownEl(), turnout: C.turnoutEl(), actions: el("div", {class: "poll-actions"}),
        visibility: el("p", {class: "hint poll-visibility"}), body: el("div", {class: "poll-body"}),
        results: el("div", {class: "poll-results"}), breakdown: el("div", {class: "poll-breakdown"}),
        expand: el("button", {type: "button", class: "btn small ghost poll-expand", dataset: {action: "expand"}})
      };
      card.body.appendChild(card.results);
      card.body.appendChild(card.breakdown);
      card.node = el("li", {class: "poll-card", dataset: {id: id}},
        el("div", {class: "poll-head"}, el("div", {class: "poll-titles"}, card.title, card.badges),
          el("div", {class: "poll-live"}, card.countdown, card.turnout)),
        el("div", {class: "poll-bar"}, card.actions, card.expand), card.visibility, card.body);
      return card;
    }

    function fill(card, v) {
      var p = v.poll, s = stateOf(p.id), shown = p.visibility === "shown";
      if (s.open === undefined) s.open = p.state === "open";
      card.node.className = "poll-card state-" + p.state + (s.open ? " expanded" : "");
      card.title.textContent = p.title;
      T.clear(card.badges).appendChild(el("span", {class: "badge poll-state " + p.state}, STATES[p.state]));
      card.badges.appendChild(el("span", {class: "badge"}, C.kindLabel(p.kind)));
      if (p.secret) card.badges.appendChild(el("span", {class: "badge secret"}, "🔒 " + t("Secret")));
      card.badges.appendChild(el("span", {class: "badge " + (shown ? "shown" : "hidden-results")}, shown ? t("Results shown") : t("Results hidden")));
      C.countdown(card.countdown, p.state === "open" ? p.closes_at : "");
      C.turnout(card.turnout, v.turnout);
      card.turnout.hidden = p.state === "draft";
      card.visibility.textContent = shown ? t("Participants and the projector see the results.")
        : t("Only you see the results. The projector shows the turnout.");

      // Buttons are replaced only when they change: a live poll updates many times a second, and a button swapped
      // between mousedown and mouseup would swallow the click (and the keyboard focus).
      var actionsSig = [p.state, p.visibility, !!p.closes_at].join();
      if (card.actionsSig !== actionsSig) { card.actionsSig = actionsSig; actions(card, p, s, shown); }
      card.expand.textContent = s.open ? t("Hide details") : t("Show details");
      card.expand.setAttribute("aria-expanded", String(!!s.open));
      card.body.hidden = !s.open;
      if (s.open) {
        C.results(card.results, p, v.results || [], {answers: true});
        renderBreakdown(card, v, s);
      }
    }

    function actions(card, p, s, shown) {
      var a = T.clear(card.actions);
      if (p.state === "draft") {
        var minutes = el("input", {type: "number", min: 1, max: 1440, inputmode: "numeric", class: "minutes", placeholder: "–",
          dataset: {minutes: p.id}});
        minutes.value = s.minutes || builder.minutes(p.id) || "";
        a.appendChild(button(t("Open"), "open", "primary"));
        a.appendChild(el("label", {class: "inline-minutes"}, t("Time limit"), " ", minutes, " ", t("min")));
        a.appendChild(button(t("Edit"), "edit"));
      } else if (p.state === "open") {
        a.appendChild(button(t("Close"), "close", "danger-outline"));
        a.appendChild(button(p.closes_at ? t("+1 min") : t("Close in 1 min"), "extend"));
        if (p.closes_at) a.appendChild(button(t("No time limit"), "no-limit", "ghost"));
      }
      // A secret poll's key is gone once it closes: it is duplicated, not reopened (docs/polls.md).
      if (p.state === "closed" && !p.secret) a.appendChild(button(t("Reopen"), "reopen"));
      a.appendChild(button(shown ? t("Hide results") : t("Show results"), shown ? "hide" : "show", shown || p.state === "draft" ? "" : "primary-outline"));
      if (p.state !== "draft") a.appendChild(button(t("Download CSV"), "csv", "ghost"));
      a.appendChild(button(t("Duplicate"), "duplicate", "ghost"));
    }

    function renderBreakdown(card, v, s) {
      var box = card.breakdown, offered = Object.keys(v.breakdowns || {}).filter(function (k) { return v.breakdowns[k]; });
      box.hidden = !offered.length || v.poll.state === "draft";
      if (box.hidden) return;
      if (offered.indexOf(s.by) === -1) s.by = "";
      var select = box.querySelector("select");
      if (!select || select.dataset.offer !== offered.join()) {
        T.clear(box);
        select = el("select", {dataset: {breakdown: v.poll.id, offer: offered.join()}, "aria-label": t("Break down by")},
          el("option", {value: ""}, t("No breakdown")),
          offered.map(function (k) { return el("option", {value: k}, DIMENSIONS[k] || k); }));
        box.appendChild(el("div", {class: "breakdown-head"}, el("label", null, t("Break down by")), select, el("p", {class: "hint breakdown-note"})));
        box.appendChild(el("div", {class: "breakdown-cells"}));
      }
      select.value = s.by;
      var view = s.by ? v.breakdowns[s.by] : null, cells = box.querySelector(".breakdown-cells");
      box.querySelector(".breakdown-note").textContent = view && view.threshold
        ? t("Secret ballot: groups of fewer than %(count)s voters are merged into “Other”.", {count: view.threshold}) : "";
      T.clear(cells);
      if (!view) return;
      if (!view.cells.length) cells.appendChild(el("p", {class: "empty"}, t("No answers yet")));
      view.cells.forEach(function (cell) {
        var name = cell.other ? t("Other") : view.by === "country" ? T.countryLabel(cell.value)
          : view.by === "organisation_type" ? T.orgTypeName(cell.value) : cell.value;
        var charts = el("div", {class: "breakdown-charts"});
        cells.appendChild(el("section", {class: "breakdown-cell"},
          el("h4", null, el("span", {class: "cell-name"}, name), el("span", {class: "cell-voters"}, C.voters(cell.voters))), charts));
        C.results(charts, v.poll, cell.results, {limit: 6, words: 20});
      });
    }

    function render(all) {
      polls = all || {};
      var ids = Object.keys(polls).reverse();  // the view lists polls in order of creation: newest first here
      $("polls-empty").hidden = ids.length > 0;
      $("polls-csv").disabled = !ids.some(function (id) { return polls[id].poll.state !== "draft"; });
      cards.forEach(function (card, id) { if (!polls[id]) { card.node.remove(); cards.delete(id); } });
      var cursor = list.firstChild;
      ids.forEach(function (id) {
        var v = polls[id], card = cards.get(id), p = v.poll, s = stateOf(id);
        var sig = JSON.stringify([v.position, v.turnout, p.state, p.visibility, p.closes_at, s.open, s.by]);
        if (!card) { card = build(id); cards.set(id, card); }
        if (card.sig !== sig) {
          card.sig = sig;
          fill(card, v);
        }
        if (card.node === cursor) cursor = cursor.nextSibling;
        else list.insertBefore(card.node, cursor);
      });
      if (highlight && cards.get(highlight)) {
        var node = cards.get(highlight).node;
        highlight = null;
        node.classList.add("flash");
        node.scrollIntoView({block: "nearest", behavior: "smooth"});
        setTimeout(function () { node.classList.remove("flash"); }, 1600);
      }
    }

    list.addEventListener("click", function (event) {
      var target = event.target.closest("button[data-action]"), li = target && target.closest("li.poll-card");
      if (!li) return;
      var id = li.dataset.id, v = polls[id];
      if (!v) return;
      var p = v.poll, s = stateOf(id), redraw = function () { cards.get(id).sig = null; render(polls); };
      switch (target.dataset.action) {
        case "expand": s.open = !s.open; return redraw();
        case "edit": return builder.edit(p);
        case "open": {
          var minutes = Number(li.querySelector("[data-minutes]").value) || null, args = {poll_id: id};
          if (minutes && minutes >= 1 && minutes <= 1440) args.closes_at = builder.closesAt(Math.floor(minutes));
          s.open = true;
          return run("open_poll", args);
        }
        case "close":
          return T.confirm(t("Close “%(title)s”? Nobody can vote after that, unless you reopen it.", {title: p.title}), t("Close"))
            .then(function (ok) { if (ok) run("close_poll", {poll_id: id}); });
        case "reopen": s.open = true; return run("reopen_poll", {poll_id: id});
        case "duplicate":
          return run("duplicate_poll", {poll_id: id}).then(function (ack) {
            var copy = ack && ack.result && ack.result.poll_id;
            if (copy) { highlight = copy; ui[copy] = {open: true}; render(polls); }
          });
        case "extend": {
          var left = C.remaining(p.closes_at), from = left !== null && left > 0 ? C.now() + left : C.now();
          return run("set_poll_deadline", {poll_id: id, closes_at: new Date(from + 60000).toISOString()});
        }
        case "no-limit": return run("set_poll_deadline", {poll_id: id, closes_at: null});
        case "show": case "hide":
          return run("set_results_visibility", {poll_id: id, visibility: target.dataset.action === "show" ? "shown" : "hidden"});
        case "csv": return download("/polls/" + encodeURIComponent(id) + "/results.csv", "tavolo-poll.csv", target);
      }
    });
    list.addEventListener("change", function (event) {
      var target = event.target;
      if (target.dataset.breakdown) { stateOf(target.dataset.breakdown).by = target.value; render(polls); }
      if (target.dataset.minutes) stateOf(target.dataset.minutes).minutes = target.value;
    });

    return {render: render};
  }

  window.TavoloPollsDashboard = {mount: mount};
})();
