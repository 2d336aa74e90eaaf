/* Projector polls: while a poll is open, or a closed poll's results are shown, the projector gives it the whole
 * screen: title, the live chart (charts.js), turnout, the countdown, and the join QR code and code in a corner while
 * people can still vote. Results appear only when the facilitator shows them (`revealed`); until then, the turnout.
 *
 * Which poll: the most recently opened open poll, else the most recently closed one with results shown, else none
 * (the projector's usual layout). A survey shows four questions at a time, turning the page every 12 seconds. */
(function () {
  "use strict";
  var T = window.Tavolo, C = window.TavoloCharts, t = T.t, $ = T.$;
  var PAGE = 4, PAGE_MS = 12000;

  /* The poll the room should see, or null. */
  function pick(polls) {
    var open = null, closed = null;
    Object.keys(polls || {}).forEach(function (id) {
      var v = polls[id], p = v.poll;
      if (p.state === "open" && (!open || p.opened_at > open.poll.opened_at)) open = v;
      if (p.state === "closed" && v.revealed && (!closed || p.closed_at > closed.poll.closed_at)) closed = v;
    });
    return open || closed;
  }

  function mount() {
    var section = $("proj-poll"), results = $("pp-results"), status = $("pp-status");
    var countdown = C.countdownEl(), turnout = C.turnoutEl();
    var shownId = null, page = 0, pageTimer = null, last = null;
    status.appendChild(countdown);
    status.appendChild(turnout);

    function questionsPage(v) {
      var all = v.results || [], pages = Math.ceil(all.length / PAGE);
      if (pages <= 1) { $("pp-page").hidden = true; return all; }
      page = page % pages;
      var from = page * PAGE, to = Math.min(all.length, from + PAGE);
      $("pp-page").hidden = false;
      $("pp-page").textContent = t("Questions %(from)s–%(to)s of %(total)s", {from: from + 1, to: to, total: all.length});
      return all.slice(from, to);
    }
    function turnPages(v) {
      var many = (v.results || []).length > PAGE;
      if (many && !pageTimer) {
        pageTimer = setInterval(function () { page += 1; if (last) draw(last); }, PAGE_MS);
      } else if (!many && pageTimer) {
        clearInterval(pageTimer);
        pageTimer = null;
      }
    }

    /* The projector's language and the second one (workshop settings): the facilitator's text in each where given. */
    function draw(v) {
      var ws = v.workshop || {}, main = document.documentElement.lang;
      var p = T.pollIn(v.poll, main) || v.poll, open = p.state === "open", list = v.revealed ? questionsPage(v) : [];
      var second = ws.second && ws.second !== main ? T.pollIn(v.poll, ws.second) : null;
      $("pp-label").textContent = [C.kindLabel(p.kind), p.secret ? "🔒 " + t("Secret ballot") : "",
        open ? t("Vote now on your phone") : t("Closed")].filter(Boolean).join(" · ");
      $("pp-title").textContent = p.title;
      var below = second ? [second.title].concat(second.questions.length === 1 && second.questions[0].prompt
        ? [second.questions[0].prompt] : []).filter(function (x, i, all) { return x && all.indexOf(x) === i; }) : [];
      $("pp-second").textContent = below.join(" — ");
      $("pp-second").hidden = !below.length;
      if (second) $("pp-second").lang = ws.second;
      C.countdown(countdown, open ? p.closes_at : "");
      C.turnout(turnout, v.turnout);
      turnout.hidden = !v.revealed;  // else the turnout is the big number in the middle
      $("pp-join").hidden = !open;
      section.classList.toggle("open", open);
      section.dataset.kind = p.kind;
      section.dataset.questions = Math.min(list.length, PAGE);
      $("pp-waiting").hidden = v.revealed;
      results.hidden = !v.revealed;
      if (v.revealed) {
        C.results(results, p, list, {limit: list.length > 1 ? 5 : 9, words: list.length > 1 ? 25 : 45, cloudScale: list.length > 1 ? 1.6 : 3.2});
      } else {
        $("pp-voted").textContent = v.turnout.voted;
        $("pp-voted-of").textContent = t("of %(present)s have voted", {present: v.turnout.present});
      }
      turnPages(v);
      fit(list.length > 1 ? 1.1 : 1.45);
    }
    /* Shrink the type until everything fits on the screen: long labels, many options, a big word cloud. */
    function fit(size) {
      var main = results.parentNode, tall = function () { return results.offsetHeight + $("pp-page").offsetHeight > main.clientHeight; };
      results.style.fontSize = size + "em";
      for (var i = 0; i < 14 && tall(); i++) {
        size *= 0.9;
        results.style.fontSize = size.toFixed(3) + "em";
      }
    }

    return {
      /* Show the chosen poll (true), or step aside for the usual layout (false). */
      render: function (view) {
        var v = pick(view.polls);
        if (!v) {
          shownId = last = null;
          section.hidden = true;
          document.body.classList.remove("poll-mode");
          turnPages({});
          return false;
        }
        if (v.poll.id !== shownId) {  // another poll: start from a clean chart and the first page
          shownId = v.poll.id;
          page = 0;
          T.clear(results);
        }
        last = Object.assign({workshop: {second: (view.workshop || {}).projector_second_language}}, v);
        section.hidden = false;
        document.body.classList.add("poll-mode");  // before drawing: fit() measures the poll's frame
        draw(last);
        return true;
      }
    };
  }

  window.TavoloPollsProjector = {mount: mount, pick: pick};
})();
