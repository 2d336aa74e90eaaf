/* Projector report-back: while the facilitator shows a group (report_back.showing), that group's answers take the
 * whole screen, large enough to read from the back of the room: the group's name and table, its members, and every
 * question with the group's contributions. The type shrinks until everything fits on one screen. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, $ = T.$;

  function mount() {
    var section = $("proj-report"), body = $("pr-body"), lastSig = null;

    function draw(rb, g, at) {
      var qs = rb.question_set;
      $("pr-label").textContent = [t("Report back"), qs.title].filter(Boolean).join(" · ");
      $("pr-title").textContent = T.groupTitle(g) + (g.table ? " · " + t("Table %(n)s", {n: g.table}) : "");
      $("pr-members").textContent = g.members.map(function (m) {
        var name = T.flag(m.country) + " " + m.name;
        return g.rapporteur && g.rapporteur.id === m.id ? name + " (" + t("rapporteur") + ")" : name;
      }).join(" · ");
      $("pr-step").textContent = t("Group %(n)s of %(total)s", {n: at + 1, total: rb.order.length});
      T.clear(body);
      section.dataset.questions = Math.min(qs.questions.length, 4);
      qs.questions.forEach(function (q, i) {
        var list = (g.answers || {})[q.id] || [];
        body.appendChild(el("section", {class: "pr-question"},
          el("h3", {class: "pr-prompt"}, qs.questions.length > 1 ? (i + 1) + ". " + q.prompt : q.prompt),
          list.length ? el("ul", {class: "pr-answers"}, list.map(function (c) { return el("li", null, c.text, T.tagList(c.tags, qs.categories)); }))
            : el("p", {class: "pr-none"}, t("No answers yet"))));
      });
      fit();
    }
    /* Shrink the type until the answers fit on the screen. */
    function fit() {
      var main = $("pr-main"), size = 2.2;
      body.style.fontSize = size + "em";
      for (var i = 0; i < 18 && body.scrollHeight > main.clientHeight; i++) {
        size *= 0.9;
        body.style.fontSize = size.toFixed(3) + "em";
      }
    }

    return {
      /* Show the group the facilitator chose (true), or step aside (false). */
      render: function (view) {
        var rb = view.report_back, showing = rb && rb.showing;
        var g = showing ? rb.groups.filter(function (x) { return x.id === showing; })[0] : null;
        if (!g) {
          section.hidden = true;
          document.body.classList.remove("report-mode");
          lastSig = null;
          return false;
        }
        section.hidden = false;
        document.body.classList.add("report-mode");
        var sig = JSON.stringify([rb.question_set, g, rb.order]);
        if (sig !== lastSig) { lastSig = sig; draw(rb, g, rb.order.indexOf(g.id)); }
        return true;
      }
    };
  }

  window.TavoloGroupsProjector = {mount: mount};
})();
