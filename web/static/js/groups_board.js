/* Dashboard groups, part two: pose a question set to all groups, then per question set (newest first) which groups
 * have answered or marked their answers final, the lock, whether groups see each other's sheets, the report-back
 * controls for the projector, and the live answers board: every group's contributions side by side per question. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, $ = T.$;

  function mount(opts) {
    var form = $("gq-form"), list = $("gq-sets"), cards = new Map(), data = null;

    function fail(err) { T.toast(T.errorText(err), "error"); }
    function run(name, args) { return opts.command(name, args).catch(fail); }
    function error(text) { $("gq-error").textContent = text; $("gq-error").hidden = !text; }

    /* Categories: separated by commas or one per line, distinct ignoring case, in order. */
    function categoriesOf(text) {
      var out = [], seen = {};
      text.split(/[,\n]/).map(function (c) { return c.trim(); }).filter(Boolean).forEach(function (c) {
        if (!seen[c.toLowerCase()]) { seen[c.toLowerCase()] = true; out.push(c); }
      });
      return out;
    }
    function someGroups() { return form.elements.to.value === "some"; }
    function syncTargets() {
      $("gq-targets").hidden = !someGroups();
      var n = form.querySelectorAll("#gq-targets input:checked").length;
      $("gq-pose").textContent = !someGroups() ? t("Pose to all groups")
        : T.tn("Pose to %(count)s group", "Pose to %(count)s groups", n);
    }
    /* The groups one can tick: those of the current split; ticks survive live updates. */
    function renderTargets() {
      var box = $("gq-targets"), groups = data && data.split ? data.split.groups : [];
      var sig = JSON.stringify(groups.map(function (g) { return [g.id, g.title, g.number, g.table]; }));
      if (box.dataset.sig !== sig) {
        var ticked = {};
        box.querySelectorAll("input:checked").forEach(function (i) { ticked[i.value] = true; });
        box.dataset.sig = sig;
        T.clear(box).appendChild(el("ul", {class: "gq-target-list"}, groups.map(function (g) {
          return el("li", null, el("label", {class: "check small"}, el("input", {type: "checkbox", name: "target", value: g.id, checked: !!ticked[g.id]}),
            " ", T.groupTitle(g) + (g.table ? " · " + t("Table %(n)s", {n: g.table}) : "")));
        })));
      }
      syncTargets();
    }
    form.addEventListener("change", syncTargets);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var s = data && data.split, f = form.elements;
      if (!s) return;
      var prompts = f.questions.value.split("\n").map(function (q) { return q.trim(); }).filter(Boolean);
      var minutes = f.minutes.value === "" ? null : Math.floor(Number(f.minutes.value));
      if (!prompts.length) return error(t("Write at least one question."));
      if (prompts.length > 30) return error(t("At most 30 questions at once."));
      if (prompts.some(function (q) { return q.length > 300; })) return error(t("A question can have at most 300 characters."));
      if (minutes !== null && !(minutes >= 1 && minutes <= 600)) return error(t("Enter a number from 1 to 600."));
      var categories = categoriesOf(f.categories.value);
      if (categories.length > 30) return error(t("At most 30 categories."));
      if (categories.some(function (c) { return c.length > 80; })) return error(t("A category can have at most 80 characters."));
      // answers.csv separates an answer's tags with "; ": the server refuses it (invalid_category), say so here first.
      if (categories.some(function (c) { return c.indexOf(";") >= 0; })) return error(t("A category cannot contain “;”. Separate categories with commas."));
      var targets = someGroups() ? Array.prototype.map.call(form.querySelectorAll("#gq-targets input:checked"), function (i) { return i.value; }) : [];
      if (someGroups() && !targets.length) return error(t("Tick at least one group, or pose to all groups."));
      error("");
      var args = {split_id: s.id, questions: prompts.map(function (q) { return minutes ? {prompt: q, time_box_min: minutes} : q; })};
      if (f.title.value.trim()) args.title = f.title.value.trim();
      if (categories.length) args.categories = categories;
      if (targets.length) args.groups = targets;
      $("gq-pose").disabled = true;
      opts.command("pose_questions", args).then(function () {
        form.reset();
        syncTargets();
        T.toast(targets.length ? T.tn("The questions are on the phones of %(count)s group.", "The questions are on the phones of %(count)s groups.", targets.length)
          : t("The questions are on every group's phones."));
      }, function (err) { error(T.errorText(err)); }).then(function () { $("gq-pose").disabled = false; });
    });

    /* The order groups report back in: by table number (groups without one last), then by number. */
    function order(qs) {
      var byId = {};
      data.split.groups.forEach(function (g) { byId[g.id] = g; });
      return qs.status.map(function (st) { return byId[st.group_id] || {id: st.group_id, number: 0, table: 0, title: st.title}; })
        .sort(function (a, b) { return (!a.table - !b.table) || (a.table - b.table) || (a.number - b.number); });
    }

    function build(qs) {
      var card = {
        title: el("h4", {class: "gq-title"}), meta: el("p", {class: "hint"}),
        status: el("ul", {class: "gq-status", "aria-label": t("Which groups have answered")}),
        controls: el("div", {class: "gq-controls"}), board: el("div", {class: "gq-board"})
      };
      card.node = el("li", {class: "gq-set", dataset: {id: qs.id}},
        el("div", {class: "gq-set-head"}, el("div", null, card.title, card.meta), card.controls), card.status, card.board);
      return card;
    }

    function controls(card, qs) {
      var c = T.clear(card.controls), groups = order(qs), at = -1;
      groups.forEach(function (g, i) { if (g.id === qs.report_back) at = i; });
      var select = el("select", {dataset: {action: "report"}, "aria-label": t("Group shown on the projector")},
        el("option", {value: ""}, t("Not on the projector")),
        groups.map(function (g) { return el("option", {value: g.id}, T.groupTitle(g) + (g.table ? " · " + t("Table %(n)s", {n: g.table}) : "")); }));
      select.value = qs.report_back || "";
      c.appendChild(el("div", {class: "gq-report", role: "group", "aria-label": t("Report back on the projector")},
        el("span", {class: "label"}, t("Report back")),
        el("button", {type: "button", class: "btn small", dataset: {action: "prev"}, disabled: at <= 0, "aria-label": t("Previous group")}, "‹"),
        select,
        // "Start ›" is named by its text (a name that differs from the visible text confuses voice control);
        // the bare "›" needs a name.
        el("button", at === -1 ? {type: "button", class: "btn small primary", dataset: {action: "next"}, disabled: at >= groups.length - 1}
          : {type: "button", class: "btn small", dataset: {action: "next"}, disabled: at >= groups.length - 1, "aria-label": t("Next group")},
          at === -1 ? t("Start") + " ›" : "›")));
      var locked = qs.locked.all;
      c.appendChild(el("label", {class: "check small"}, el("input", {type: "checkbox", dataset: {action: "visibility"}, checked: qs.visibility === "all"}),
        " ", t("Groups see each other's answers")));
      c.appendChild(el("button", {type: "button", class: "btn small " + (locked ? "" : "danger-outline"), dataset: {action: locked ? "unlock" : "lock"}},
        locked ? "🔓 " + t("Unlock answers") : "🔒 " + t("Lock answers")));
    }

    function status(card, qs) {
      var ul = T.clear(card.status);
      qs.status.forEach(function (st) {
        var state = st.final ? "final" : st.answered ? "answered" : "waiting";
        ul.appendChild(el("li", {class: "gq-chip " + state + (st.locked ? " locked" : ""), dataset: {group: st.group_id}},
          el("span", {class: "gq-chip-name"}, T.groupTitle({title: st.title, number: groupNumber(st.group_id)})),
          el("span", {class: "gq-chip-state"}, st.final ? "✓ " + t("Final") : st.answered ? T.tn("%(count)s answer", "%(count)s answers", st.contributions) : t("No answers yet")),
          st.locked ? el("span", {class: "gq-chip-lock", title: t("Locked")}, "🔒") : null));
      });
    }
    function groupNumber(id) {
      var g = data.split.groups.filter(function (x) { return x.id === id; })[0];
      return g ? g.number : "";
    }

    function renderBoard(card, qs) {
      var box = T.clear(card.board), finals = {};
      qs.status.forEach(function (st) { finals[st.group_id] = st; });
      qs.answers.forEach(function (q, i) {
        var question = qs.questions[i] || {};
        var cols = el("div", {class: "gq-columns"});
        box.appendChild(el("section", {class: "gq-question"},
          el("h5", null, el("span", {class: "gq-qn"}, (i + 1) + "."), " ", q.prompt,
            question.ends_at ? el("span", {class: "badge"}, "⏱ " + t("until %(time)s", {time: T.formatTime(question.ends_at)})) : null),
          cols));
        q.groups.forEach(function (g) {
          var st = finals[g.group_id] || {};
          var item = function (c) {
            return el("li", {dataset: {id: c.id}}, el("p", {class: "gq-text"}, c.text), T.tagList(c.tags, qs.categories),
              el("p", {class: "gq-author"}, c.author_name + (c.edited ? " · " + t("edited") : "")));
          };
          var items = el("ol", {class: "gq-contributions"}, g.contributions.map(item));
          if ((qs.categories || []).length && g.contributions.length) {
            // Grouped by category (a contribution with several tags shows under each), untagged ones last.
            items = el("div", {class: "gq-by-category"}, qs.categories.concat([""]).map(function (cat) {
              var mine = g.contributions.filter(function (c) { return cat ? (c.tags || []).indexOf(cat) !== -1 : !(c.tags || []).length; });
              if (!mine.length) return null;
              return el("section", {class: "gq-category", dataset: {category: cat}},
                el("p", {class: "gq-category-name"}, cat ? T.tagChip(cat, qs.categories) : t("Untagged"), " ", el("span", {class: "gq-category-count"}, String(mine.length))),
                el("ol", {class: "gq-contributions"}, mine.map(item)));
            }));
          }
          cols.appendChild(el("div", {class: "gq-column" + (st.final ? " final" : ""), dataset: {group: g.group_id}},
            el("h6", null, T.groupTitle({title: g.title, number: groupNumber(g.group_id)}), st.final ? el("span", {class: "badge final"}, "✓ " + t("Final")) : null),
            g.contributions.length ? items : el("p", {class: "empty"}, "–")));
        });
      });
    }

    function render(groups) {
      data = groups;
      var sets = groups && groups.split ? (groups.question_sets || []).slice().reverse() : [];
      $("gq-pose").disabled = !(groups && groups.split);
      renderTargets();
      cards.forEach(function (c, id) { if (!sets.some(function (qs) { return qs.id === id; })) { c.node.remove(); cards.delete(id); } });
      var cursor = list.firstChild;
      sets.forEach(function (qs, n) {
        var card = cards.get(qs.id);
        if (!card) { card = build(qs); cards.set(qs.id, card); }
        card.title.textContent = qs.title || t("Question set %(n)s", {n: sets.length - n});
        card.meta.textContent = [t("posed at %(time)s", {time: T.formatTime(qs.posed_at)}),
          T.tn("%(count)s question", "%(count)s questions", qs.questions.length),
          (qs.groups || []).length ? T.tn("to %(count)s group", "to %(count)s groups", qs.groups.length) : null,
          (qs.categories || []).length ? t("Categories: %(list)s", {list: qs.categories.join(", ")}) : null].filter(Boolean).join(" · ");
        var groupsSig = JSON.stringify(data.split.groups.map(function (g) { return [g.id, g.title, g.table]; }));
        var cSig = JSON.stringify([qs.report_back, qs.locked, qs.visibility, qs.status.length, groupsSig]);
        if (card.cSig !== cSig) { card.cSig = cSig; controls(card, qs); }
        var bSig = JSON.stringify([qs.status, qs.answers, groupsSig]);
        if (card.bSig !== bSig) { card.bSig = bSig; status(card, qs); renderBoard(card, qs); }
        if (card.node === cursor) cursor = cursor.nextSibling;
        else list.insertBefore(card.node, cursor);
      });
    }

    function setOf(node) {
      var li = node.closest("li.gq-set");
      return li && data && (data.question_sets || []).filter(function (qs) { return qs.id === li.dataset.id; })[0];
    }
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]"), qs = button && setOf(button);
      if (!qs) return;
      var groups = order(qs), at = -1;
      groups.forEach(function (g, i) { if (g.id === qs.report_back) at = i; });
      switch (button.dataset.action) {
        case "prev": if (at > 0) run("show_report_back", {question_set_id: qs.id, group_id: groups[at - 1].id}); return;
        case "next": if (at < groups.length - 1) run("show_report_back", {question_set_id: qs.id, group_id: groups[at + 1].id}); return;
        case "lock":
          return T.confirm(t("Lock every group's answers? Nobody can change them until you unlock them."), t("Lock answers"))
            .then(function (ok) { if (ok) run("lock_answers", {question_set_id: qs.id, locked: true}); });
        case "unlock": return run("lock_answers", {question_set_id: qs.id, locked: false});
      }
    });
    list.addEventListener("change", function (event) {
      var target = event.target, qs = setOf(target);
      if (!qs) return;
      if (target.dataset.action === "report") run("show_report_back", {question_set_id: qs.id, group_id: target.value || null});
      if (target.dataset.action === "visibility") run("set_sheet_visibility", {question_set_id: qs.id, visibility: target.checked ? "all" : "own"});
    });

    return {render: render};
  }

  window.TavoloGroupsBoard = {mount: mount};
})();
