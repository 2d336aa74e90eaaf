/* Participant page: "Your group" (name, table, members, rapporteur) and the group's shared answer sheet per question.
 * Everyone adds, edits (from the version they saw: base_version) and removes contributions; others' edits arrive
 * live. An edit refused with edit_conflict shows both texts, and the writer keeps theirs, keeps their own or merges
 * the two: nobody's text is lost. The rapporteur (anyone while there is none) marks the answers final; locked or
 * final sheets are read-only. Contributions are kept in place by id, so an open edit box survives live updates. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, $ = T.$;

  function mount(opts) {
    var sheets = $("my-sheets"), cards = new Map(), edits = new Map(), group = null, me = {};

    function fail(err) { T.toast(T.errorText(err), "error"); }
    function nameOf(id) {
      var m = (group && group.group.members || []).filter(function (x) { return x.id === id; })[0];
      return m ? m.name : "";
    }

    function renderGroup() {
      var g = group && group.group;
      $("my-group").hidden = !g;
      if (!g) return;
      $("mg-title").textContent = T.groupTitle(g);
      $("mg-table").hidden = !g.table;
      $("mg-table").textContent = g.table ? t("Table %(n)s", {n: g.table}) : "";
      var sig = JSON.stringify([g.members, g.rapporteur && g.rapporteur.id, me.id]);
      if ($("my-group").dataset.sig === sig) return;
      $("my-group").dataset.sig = sig;
      T.clear($("mg-members"));
      g.members.forEach(function (m) {
        var rapporteur = g.rapporteur && g.rapporteur.id === m.id;
        $("mg-members").appendChild(el("li", {class: m.id === me.id ? "me" : null},
          el("span", {class: "mg-name"}, el("span", {class: "flag", "aria-hidden": "true"}, T.flag(m.country)), " ", m.name,
            m.id === me.id ? el("span", {class: "mg-you"}, " (" + t("you") + ")") : null,
            rapporteur ? el("span", {class: "badge rapporteur"}, t("Rapporteur")) : null),
          el("span", {class: "mg-org"}, m.organisation)));
      });
      var select = T.clear($("mg-rapporteur"));
      select.appendChild(el("option", {value: ""}, t("Nobody yet")));
      g.members.forEach(function (m) { select.appendChild(el("option", {value: m.id}, m.id === me.id ? t("Me (%(name)s)", {name: m.name}) : m.name)); });
      select.value = g.rapporteur ? g.rapporteur.id : "";
    }
    $("mg-rapporteur").addEventListener("change", function () {
      if (!group) return;
      opts.command("set_rapporteur", {split_id: group.split_id, group_id: group.group.id, participant_id: this.value || null}).catch(function (err) {
        fail(err);
        renderGroup();
      });
    });

    function buildSet(qs) {
      var card = {questions: new Map(), state: el("p", {class: "sheet-state"}), finalBox: el("div", {class: "sheet-final"}),
        title: el("h2", {class: "sheet-title"}), list: el("div", {class: "sheet-questions"}), others: el("details", {class: "sheet-others"})};
      card.node = el("section", {class: "card sheet", dataset: {id: qs.id}, "aria-label": t("Your group's answer sheet")},
        el("p", {class: "label"}, t("Your group's answers")), card.title, card.state, card.list, card.finalBox, card.others);
      return card;
    }
    function buildQuestion(qs, q, n) {
      var block = {items: new Map(), list: el("ol", {class: "sheet-list"}), due: el("span", {class: "badge due"}),
        add: el("textarea", {rows: 2, maxlength: 2000, "aria-label": t("Your contribution to question %(n)s", {n: n}), placeholder: t("Add a contribution…")})};
      block.form = el("form", {class: "sheet-add", dataset: {question: q.id}}, block.add, toggles(qs.categories, []),
        el("button", {type: "submit", class: "btn primary small"}, t("Add")));
      block.node = el("section", {class: "sheet-question", dataset: {question: q.id}},
        el("h3", null, el("span", {class: "sheet-qn"}, n + "."), " ", q.prompt, " ", block.due), block.list, block.form);
      return block;
    }

    /* Tag toggles: one pressed-or-not chip per category of the question set (none when it has no categories). */
    function toggles(categories, tags) {
      if (!categories || !categories.length) return null;
      return el("div", {class: "sheet-tags", role: "group", "aria-label": t("Tags")},
        el("span", {class: "sheet-tags-label"}, t("Tag:")),
        categories.map(function (cat, i) {
          return el("button", {type: "button", class: "tag-toggle tag-c" + (i % 6), dataset: {tag: cat}, "aria-pressed": String(tags.indexOf(cat) !== -1)}, cat);
        }));
    }
    function pressed(node) {
      return Array.prototype.map.call(node.querySelectorAll(".tag-toggle[aria-pressed=true]"), function (b) { return b.dataset.tag; });
    }

    function key(qs, cid) { return qs.id + "|" + cid; }
    /* One's own contributions; the rapporteur anyone's in the group (the server refuses the rest). */
    function mayChange(c) {
      var r = group && group.group && group.group.rapporteur;
      return c.author === me.id || !!(r && r.id === me.id);
    }

    /* After a removal, "Undo" for a minute (the server's limit; it refuses later with undo_expired). */
    function offerUndo(w, c) {
      var bar = el("p", {class: "sheet-undo", role: "status"}, t("Contribution removed."), " ");
      var button = el("button", {type: "button", class: "btn small"}, t("Undo"));
      var gone = setTimeout(function () { bar.remove(); }, 60000);
      button.addEventListener("click", function () {
        button.disabled = true;
        opts.command("restore_contribution", Object.assign({contribution_id: c.id}, w.args)).then(function () {
          clearTimeout(gone); bar.remove();
        }, function (err) { clearTimeout(gone); bar.remove(); fail(err); });
      });
      bar.appendChild(button);
      w.block.node.appendChild(bar);
    }

    function fillItem(item, qs, c, readOnly) {
      var e = edits.get(key(qs, c.id));
      var may = mayChange(c);
      var sig = JSON.stringify([c.text, c.tags, c.version, c.author_name, readOnly, may, e && e.mode, e && e.details]);
      if (e && e.mode === "edit" && item.sig && item.li.querySelector("textarea")) {
        // Keep the open edit box; say when someone else changed the text underneath.
        item.li.querySelector(".sheet-changed").hidden = c.version === e.base;
        return;
      }
      if (item.sig === sig) return;
      item.sig = sig;
      var li = T.clear(item.li);
      li.className = "sheet-item" + (c.author === me.id ? " mine" : "") + (e ? " " + e.mode : "");
      if (!e) {
        li.appendChild(el("p", {class: "sheet-text"}, c.text));
        var tags = T.tagList(c.tags, qs.categories);
        if (tags) li.appendChild(tags);
        li.appendChild(el("p", {class: "sheet-meta"}, (c.author === me.id ? t("you") : c.author_name) + (c.edited ? " · " + t("edited") : "")));
        if (!readOnly && may) {
          li.appendChild(el("div", {class: "sheet-actions"},
            el("button", {type: "button", class: "btn small ghost", dataset: {act: "edit"}}, t("Edit")),
            el("button", {type: "button", class: "btn small danger-ghost", dataset: {act: "remove"}, "aria-label": t("Remove this contribution")}, t("Remove"))));
        }
      } else if (e.mode === "edit") {
        var area = el("textarea", {rows: 3, maxlength: 2000, "aria-label": t("Edit the contribution")});
        area.value = e.text;
        area.addEventListener("input", function () { e.text = area.value; });
        li.appendChild(area);
        var tagBox = toggles(qs.categories, e.tags || []);
        if (tagBox) li.appendChild(tagBox);
        li.appendChild(el("p", {class: "hint warn sheet-changed", hidden: c.version === e.base}, t("Someone changed this meanwhile. Saving will show you both texts.")));
        li.appendChild(el("div", {class: "sheet-actions"},
          el("button", {type: "button", class: "btn small primary", dataset: {act: "save"}}, t("Save")),
          el("button", {type: "button", class: "btn small ghost", dataset: {act: "cancel"}}, t("Cancel"))));
        setTimeout(function () { if (document.activeElement === document.body) area.focus(); });
      } else if (e.mode === "conflict") {
        var theirs = e.details.theirs || {}, yours = e.details.yours || {};
        li.appendChild(el("p", {class: "sheet-conflict-title", role: "alert"}, t("Someone changed this while you were editing. Nothing is lost: choose what to keep.")));
        li.appendChild(el("div", {class: "sheet-both"},
          el("div", {class: "sheet-version yours"}, el("p", {class: "label"}, t("Your text")), el("p", {class: "sheet-text"}, yours.text || "")),
          el("div", {class: "sheet-version theirs"}, el("p", {class: "label"}, t("Their text") + (nameOf(theirs.editor) ? " · " + nameOf(theirs.editor) : "")),
            el("p", {class: "sheet-text"}, theirs.text || ""))));
        li.appendChild(el("div", {class: "sheet-actions"},
          el("button", {type: "button", class: "btn small", dataset: {act: "theirs"}}, t("Keep theirs")),
          el("button", {type: "button", class: "btn small", dataset: {act: "mine"}}, t("Keep mine")),
          el("button", {type: "button", class: "btn small primary", dataset: {act: "merge"}}, t("Merge"))));
      } else if (e.mode === "removed") {
        li.appendChild(el("p", {class: "sheet-conflict-title", role: "alert"}, t("This contribution was removed meanwhile. Your text:")));
        li.appendChild(el("p", {class: "sheet-text"}, e.text));
        li.appendChild(el("div", {class: "sheet-actions"},
          el("button", {type: "button", class: "btn small primary", dataset: {act: "readd"}, disabled: readOnly}, t("Add it again")),
          el("button", {type: "button", class: "btn small ghost", dataset: {act: "discard"}}, t("Discard"))));
      }
    }

    function renderQuestion(block, qs, q, contributions, readOnly) {
      var seen = {};
      contributions.forEach(function (c) { seen[c.id] = c; });
      // A contribution being edited stays even if it was removed meanwhile: saving hands the text back.
      block.items.forEach(function (item, cid) {
        if (!seen[cid] && !edits.has(key(qs, cid))) { item.li.remove(); block.items.delete(cid); }
      });
      var cursor = block.list.firstChild;
      contributions.concat(Array.from(block.items.values()).filter(function (item) { return !seen[item.c.id]; }).map(function (item) { return item.c; }))
        .forEach(function (c) {
          var item = block.items.get(c.id);
          if (!item) { item = {li: el("li", {dataset: {id: c.id}})}; block.items.set(c.id, item); }
          item.c = c;
          fillItem(item, qs, c, readOnly);
          if (item.li === cursor) cursor = cursor.nextSibling;
          else block.list.insertBefore(item.li, cursor);
        });
      var ends = q.ends_at ? Date.parse(q.ends_at) : NaN;
      block.due.hidden = isNaN(ends);
      /* Time boxes run one after another: a later question's box may not have begun yet. */
      var starts = q.starts_at ? Date.parse(q.starts_at) : NaN, now = T.clock.now();
      block.due.textContent = isNaN(ends) ? "" : now > ends ? "⏱ " + t("Time is up")
        : now < starts ? "⏱ " + t("from %(start)s to %(time)s", {start: T.formatTime(q.starts_at), time: T.formatTime(q.ends_at)})
        : "⏱ " + t("until %(time)s", {time: T.formatTime(q.ends_at)});
      block.form.hidden = readOnly;
      block.list.dataset.empty = contributions.length ? "" : t("No contributions yet");
    }

    function renderSet(card, qs) {
      var sheet = qs.sheet, readOnly = sheet.locked || sheet.final, g = group.group;
      card.title.textContent = qs.title || t("Questions for your group");
      card.state.className = "sheet-state" + (sheet.locked ? " locked" : sheet.final ? " final" : "");
      card.state.textContent = sheet.locked ? "🔒 " + t("The facilitator has locked the answers.") : sheet.final ? "✓ " + t("Your group's answers are final.") : "";
      card.state.hidden = !readOnly;
      var ids = qs.questions.map(function (q) { return q.id; });
      card.questions.forEach(function (b, id) { if (ids.indexOf(id) === -1) { b.node.remove(); card.questions.delete(id); } });
      qs.questions.forEach(function (q, i) {
        var block = card.questions.get(q.id);
        if (!block) { block = buildQuestion(qs, q, i + 1); card.questions.set(q.id, block); card.list.appendChild(block.node); }
        renderQuestion(block, qs, q, sheet.answers[q.id] || [], readOnly);
      });
      var canFinal = !sheet.locked && (!g.rapporteur || g.rapporteur.id === me.id);
      var fSig = JSON.stringify([canFinal, sheet.final, !!g.rapporteur]);
      if (card.fSig !== fSig) {
        card.fSig = fSig;
        T.clear(card.finalBox);
        if (canFinal) {
          card.finalBox.appendChild(el("button", {type: "button", class: "btn " + (sheet.final ? "" : "primary-outline"), dataset: {act: "final"}},
            sheet.final ? t("Reopen our answers") : "✓ " + t("Mark our answers as final")));
          card.finalBox.appendChild(el("p", {class: "hint"}, g.rapporteur ? t("As rapporteur, you say when the answers are ready.")
            : t("No rapporteur yet: anyone in the group can mark the answers final.")));
        }
      }
      renderOthers(card, qs);
    }
    function renderOthers(card, qs) {
      var others = qs.others, sig = JSON.stringify(others);
      card.others.hidden = !others || !others.length;
      if (card.oSig === sig) return;
      card.oSig = sig;
      T.clear(card.others);
      if (!others) return;
      card.others.appendChild(el("summary", null, t("The other groups' answers")));
      others.forEach(function (o) {
        card.others.appendChild(el("section", {class: "sheet-other"}, el("h4", null, T.groupTitle(o)),
          qs.questions.map(function (q, i) {
            var list = o.answers[q.id] || [];
            return el("div", null, el("p", {class: "sheet-other-q"}, (i + 1) + ". " + q.prompt),
              list.length ? el("ul", null, list.map(function (c) { return el("li", null, c.text, T.tagList(c.tags, qs.categories)); })) : el("p", {class: "hint"}, "–"));
          })));
      });
    }

    function render(view) {
      me = view.me || {};
      group = me.group && me.group.group ? me.group : null;
      renderGroup();
      var sets = group ? group.question_sets.slice().reverse() : [];
      cards.forEach(function (c, id) { if (!sets.some(function (qs) { return qs.id === id; })) { c.node.remove(); cards.delete(id); } });
      var cursor = sheets.firstChild;
      sets.forEach(function (qs) {
        var card = cards.get(qs.id);
        if (!card) { card = buildSet(qs); cards.set(qs.id, card); }
        renderSet(card, qs);
        if (card.node === cursor) cursor = cursor.nextSibling;
        else sheets.insertBefore(card.node, cursor);
      });
    }

    /* Find the question set, question block and contribution of a click inside a sheet. */
    function where(node) {
      var section = node.closest("section.sheet"), qs = section && group && group.question_sets.filter(function (x) { return x.id === section.dataset.id; })[0];
      var qnode = node.closest("section.sheet-question"), li = node.closest("li.sheet-item");
      var card = qs && cards.get(qs.id), block = card && qnode && card.questions.get(qnode.dataset.question);
      var item = block && li && block.items.get(li.dataset.id);
      return qs && {qs: qs, card: card, block: block, item: item, args: {question_set_id: qs.id, group_id: group.group.id}};
    }
    function redraw() { if (opts.view()) render(opts.view()); }
    function refused(w, c, e, text, err) {
      if (err.code === "edit_conflict" && err.details) edits.set(key(w.qs, c.id), {mode: "conflict", details: err.details, tags: e && e.tags});
      else if (err.code === "contribution_removed") edits.set(key(w.qs, c.id), {mode: "removed", text: text, tags: e && e.tags});
      else { fail(err); if (e) e.busy = false; return; }
      w.item.sig = null;
      redraw();
    }
    function saveEdit(w, c, text, base, tags) {
      var k = key(w.qs, c.id), e = edits.get(k);
      if (!text.trim()) return T.toast(t("Write something first, or remove the contribution."), "error");
      var args = {contribution_id: c.id, text: text, base_version: base};
      if ((w.qs.categories || []).length && tags) args.tags = tags;
      opts.command("edit_contribution", Object.assign(args, w.args)).then(function () {
        edits.delete(k);
        w.item.sig = null;
        redraw();
      }, function (err) { refused(w, c, e, text, err); });
    }
    sheets.addEventListener("click", function (event) {
      var toggle = event.target.closest("button.tag-toggle");
      if (toggle) {
        toggle.setAttribute("aria-pressed", String(toggle.getAttribute("aria-pressed") !== "true"));
        var tw = where(toggle), te = tw && tw.item && edits.get(key(tw.qs, tw.item.c.id));
        if (te && te.mode === "edit") te.tags = pressed(toggle.parentNode);
        return;
      }
      var button = event.target.closest("button[data-act]"), w = button && where(button);
      if (!w) return;
      var act = button.dataset.act, c = w.item && w.item.c, k = c && key(w.qs, c.id), e = k && edits.get(k);
      if (act === "final") return opts.command("mark_final", Object.assign({final: !w.qs.sheet.final}, w.args)).catch(fail);
      if (!c) return;
      switch (act) {
        case "edit": edits.set(k, {mode: "edit", text: c.text, base: c.version, tags: (c.tags || []).slice()}); break;
        case "cancel": case "theirs": case "discard": edits.delete(k); break;
        case "save": return saveEdit(w, c, e.text, e.base, e.tags);
        case "mine": return saveEdit(w, c, e.details.yours.text, e.details.theirs.version, e.details.yours.tags || e.tags);
        case "merge": {
          var theirs = e.details.theirs || {}, merged = (theirs.tags || []).concat((e.tags || []).filter(function (x) { return (theirs.tags || []).indexOf(x) === -1; }));
          edits.set(k, {mode: "edit", text: (theirs.text || "") + "\n\n" + (e.details.yours.text || ""), base: theirs.version, tags: merged});
          break;
        }
        case "readd": {
          var again = {question_id: w.block.node.dataset.question, text: e.text};
          if ((w.qs.categories || []).length && e.tags && e.tags.length) again.tags = e.tags;
          return opts.command("add_contribution", Object.assign(again, w.args)).then(function () {
            edits.delete(k); redraw();
          }, fail);
        }
        case "remove":
          return T.confirm(t("Remove this contribution for everyone in your group?"), t("Remove")).then(function (ok) {
            if (!ok) return;
            opts.command("remove_contribution", Object.assign({contribution_id: c.id, base_version: c.version}, w.args)).then(function () {
              offerUndo(w, c);
            }, function (err) {
              fail(err.code === "edit_conflict" ? {code: "", message: t("Someone changed this contribution meanwhile: read the new text before removing it.")} : err);
            });
          });
      }
      w.item.sig = null;
      redraw();
    });
    sheets.addEventListener("submit", function (event) {
      event.preventDefault();
      var w = where(event.target), area = event.target.querySelector("textarea"), text = area.value;
      if (!w || !text.trim()) return;
      var button = event.target.querySelector("button[type=submit]"), tags = pressed(event.target);
      var args = {question_id: event.target.dataset.question, text: text.trim()};
      if ((w.qs.categories || []).length) args.tags = tags;
      button.disabled = true;
      opts.command("add_contribution", Object.assign(args, w.args)).then(function () {
        if (area.value === text) {
          area.value = "";
          event.target.querySelectorAll(".tag-toggle").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
        }
      }, fail).then(function () { button.disabled = false; });
    });
    sheets.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
      var form = event.target.closest("form.sheet-add");
      if (form) { event.preventDefault(); form.requestSubmit(); }
      else if (event.target.closest("li.sheet-item.edit")) { event.preventDefault(); event.target.closest("li").querySelector("[data-act=save]").click(); }
    });

    return {render: render};
  }

  window.TavoloGroupsSheet = {mount: mount};
})();
