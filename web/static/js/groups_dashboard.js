/* Dashboard groups: split the participants present (random, balanced, by sector or country; by number of groups or
 * group size), then every group of the current split as a card kept up to date in place: name, table, rapporteur,
 * members with flag and organisation, a menu (or drag and drop) to move someone, and the balance figures.
 * The question sets and the answers board are groups_board.js. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, $ = T.$;
  var ATTRS = {country: t("Country"), sector: t("Sector"), organisation: t("Organisation")};

  function mount(opts) {
    var form = $("gs-form"), list = $("gs-groups"), cards = new Map(), data = null, formOpen = false, dragged = null;
    var board = window.TavoloGroupsBoard.mount({command: opts.command});

    function fail(err) { T.toast(T.errorText(err), "error"); }
    function run(name, args) { return opts.command(name, args).catch(fail); }
    function split() { return data && data.split; }

    /* The form: by:FIELD strategies take a maximum size, never a number of groups. */
    function syncForm() {
      var byField = form.elements.strategy.value.indexOf("by:") === 0;
      var groupsRadio = form.querySelector("input[name=by][value=groups]");
      groupsRadio.disabled = byField;
      if (byField) form.querySelector("input[name=by][value=size]").checked = true;
      var bySize = form.elements.by.value === "size";
      $("gs-count-label").textContent = byField ? t("At most this many per group") : bySize ? t("People per group") : t("Number of groups");
    }
    form.addEventListener("change", syncForm);
    function showForm(open) {
      formOpen = open;
      form.hidden = !open && !!split();
      $("gs-new").setAttribute("aria-expanded", String(open));
      $("gs-cancel").hidden = !split();
      $("gs-error").hidden = true;
    }
    $("gs-new").addEventListener("click", function () { showForm(form.hidden); if (!form.hidden) form.elements.count.focus(); });
    $("gs-cancel").addEventListener("click", function () { showForm(false); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var f = form.elements, n = Math.floor(Number(f.count.value)), args = {strategy: f.strategy.value};
      if (!(n >= 1 && n <= 500)) {
        $("gs-error").textContent = t("Enter a number from 1 to 500.");
        $("gs-error").hidden = false;
        return;
      }
      args[f.by.value === "size" ? "size" : "groups"] = n;
      var go = function () {
        $("gs-split").disabled = true;
        opts.command("split_groups", args).then(function () {
          showForm(false);
          T.toast(t("The room is split into groups."));
        }, function (err) {
          $("gs-error").textContent = T.errorText(err);
          $("gs-error").hidden = false;
        }).then(function () { $("gs-split").disabled = false; });
      };
      if (!split()) return go();
      T.confirm(t("Split the room again? The current groups are replaced (they stay in the history), and their questions close."), t("Split again"))
        .then(function (ok) { if (ok) go(); });
    });

    function quality(q, s) {
      var box = T.clear($("gs-quality"));
      q = q || {};
      var item = function (term, value, title) {
        box.appendChild(el("div", {class: "gs-figure", title: title || null}, el("dt", null, term), el("dd", null, value)));
      };
      var sizes = q.sizes || s.groups.map(function (g) { return g.members.length; });
      var lo = Math.min.apply(null, sizes), hi = Math.max.apply(null, sizes);
      item(t("Group sizes"), lo === hi ? String(lo) : lo + "–" + hi);
      Object.keys(ATTRS).forEach(function (a) {
        if (!q.deviation || q.deviation[a] === undefined) return;
        item(ATTRS[a], "± " + t("%(points)s pts", {points: (q.deviation[a] * 100).toLocaleString(document.documentElement.lang, {minimumFractionDigits: 1, maximumFractionDigits: 1})}),
          t("Largest gap between a group's share and the room's share; spread %(spread)s", {spread: (q.spread || {})[a]}));
      });
      if (q.same_organisation_pairs !== undefined) {
        item(t("Same-organisation pairs"), q.same_organisation_pairs + (q.unavoidable_pairs ? " (" + t("%(count)s unavoidable", {count: q.unavoidable_pairs}) + ")" : ""));
      }
    }

    function unplaced(s) {
      var box = $("gs-unplaced"), sig = JSON.stringify([s.unplaced, s.placements, s.groups.map(function (g) { return g.title; })]);
      if (box.dataset.sig === sig) return;  // its buttons stay put between updates: a click is never swallowed
      box.dataset.sig = sig;
      box.hidden = !s.unplaced.length;
      T.clear(box);
      if (!s.unplaced.length) return;
      box.appendChild(el("p", {class: "label"}, t("Not in a group")));
      box.appendChild(el("ul", null, s.unplaced.map(function (p) {
        return el("li", null, el("span", null, T.flag(p.country) + " " + p.name),
          el("button", {type: "button", class: "btn small", dataset: {place: p.id}}, t("Place")));
      })));
      var moves = (s.placements || []).slice(-3).reverse().map(function (p) {
        var g = s.groups.filter(function (x) { return x.id === p.group_id; })[0];
        return t("%(name)s → %(group)s", {name: p.name, group: T.groupTitle(g)});
      });
      $("gs-placements").hidden = !moves.length;
      $("gs-placements").textContent = moves.length ? t("Latest placements: %(list)s", {list: moves.join(", ")}) : "";
    }

    function build(g) {
      var card = {
        node: el("li", {class: "gs-group", dataset: {id: g.id}}),
        name: el("input", {type: "text", maxlength: 80, class: "gs-name", dataset: {field: "name"}, "aria-label": t("Group name")}),
        table: el("input", {type: "number", min: 1, max: 999, inputmode: "numeric", class: "gs-table", dataset: {field: "table"}, placeholder: "–"}),
        rapporteur: el("select", {dataset: {field: "rapporteur"}}),
        count: el("span", {class: "gs-count-badge"}),
        members: el("ul", {class: "gs-members"})
      };
      card.node.appendChild(el("div", {class: "gs-head"}, card.name, card.count));
      card.node.appendChild(el("div", {class: "gs-settings"},
        el("label", {class: "inline"}, t("Table"), " ", card.table), card.rapporteur));
      card.node.appendChild(card.members);
      return card;
    }
    function setValue(input, value) { if (document.activeElement !== input) input.value = value; }
    function fill(card, g, s) {
      card.name.placeholder = T.groupTitle({number: g.number, title: g.label});
      setValue(card.name, g.name);
      card.table.setAttribute("aria-label", t("Table number of %(group)s", {group: T.groupTitle(g)}));
      card.rapporteur.setAttribute("aria-label", t("Rapporteur of %(group)s", {group: T.groupTitle(g)}));
      setValue(card.table, g.table ? String(g.table) : "");
      card.count.textContent = T.tn("%(count)s person", "%(count)s people", g.members.length);
      var sig = JSON.stringify([g.members, g.rapporteur && g.rapporteur.id, s.groups.map(function (x) { return [x.id, x.title, x.number]; })]);
      if (card.sig === sig) return;
      card.sig = sig;
      T.clear(card.rapporteur).appendChild(el("option", {value: ""}, t("No rapporteur")));
      g.members.forEach(function (m) { card.rapporteur.appendChild(el("option", {value: m.id}, t("Rapporteur: %(name)s", {name: m.name}))); });
      card.rapporteur.value = g.rapporteur ? g.rapporteur.id : "";
      T.clear(card.members);
      if (!g.members.length) card.members.appendChild(el("li", {class: "empty"}, t("Nobody in this group")));
      g.members.forEach(function (m) {
        var move = el("select", {class: "gs-move", dataset: {move: m.id}, "aria-label": t("Move %(name)s to another group", {name: m.name})},
          el("option", {value: ""}, t("Move to…")),
          s.groups.filter(function (x) { return x.id !== g.id; }).map(function (x) { return el("option", {value: x.id}, T.groupTitle(x)); }));
        card.members.appendChild(el("li", {class: "gs-member" + (m.present ? "" : " away"), draggable: "true", dataset: {pid: m.id}},
          el("span", {class: "gs-who"},
            el("span", {class: "gs-member-name"}, el("span", {class: "flag", "aria-hidden": "true", title: T.countryName(m.country)}, T.flag(m.country)), " ", m.name,
              g.rapporteur && g.rapporteur.id === m.id ? el("span", {class: "badge rapporteur"}, t("Rapporteur")) : null,
              m.present ? null : el("span", {class: "badge"}, t("Away"))),
            el("span", {class: "gs-member-org"}, [m.organisation, m.sector].filter(Boolean).join(" · "))),
          move));
      });
    }

    function render(groups) {
      data = groups || null;
      var s = split();
      $("gs-current").hidden = !s;
      $("gs-new").hidden = !s;
      form.hidden = !!s && !formOpen;
      $("gs-cancel").hidden = !s;
      $("gs-summary").textContent = s ? [t("Split %(n)s", {n: s.number}), strategyLabel(s.strategy),
        T.tn("%(count)s group", "%(count)s groups", s.groups.length)].join(" · ") : t("Split the participants present into small groups.");
      if (!s) { cards.forEach(function (c) { c.node.remove(); }); cards.clear(); board.render(null); return; }
      quality(s.quality, s);
      unplaced(s);
      var ids = s.groups.map(function (g) { return g.id; });
      cards.forEach(function (c, id) { if (ids.indexOf(id) === -1) { c.node.remove(); cards.delete(id); } });
      var cursor = list.firstChild;
      s.groups.forEach(function (g) {
        var card = cards.get(g.id);
        if (!card) { card = build(g); cards.set(g.id, card); }
        fill(card, g, s);
        if (card.node === cursor) cursor = cursor.nextSibling;
        else list.insertBefore(card.node, cursor);
      });
      board.render(data);
    }
    function strategyLabel(s) {
      if (s === "random") return t("Random");
      if (s === "balanced") return t("Balanced");
      if (s === "manual") return t("Manual");
      if (s.indexOf("by:") === 0) return t("By %(field)s", {field: ATTRS[s.slice(3)] || s.slice(3)});
      return s;
    }

    function groupOf(node) { var li = node.closest("li.gs-group"); return li && li.dataset.id; }
    list.addEventListener("change", function (event) {
      var target = event.target, s = split(), gid = groupOf(target);
      if (!s || !gid) return;
      var args = {split_id: s.id, group_id: gid};
      if (target.dataset.move) {
        if (!target.value) return;
        args.participant_id = target.dataset.move;
        args.group_id = target.value;
        target.disabled = true;
        return run("move_participant", args);
      }
      switch (target.dataset.field) {
        case "name": args.name = target.value.trim(); return run("rename_group", args);
        case "table": {
          var n = target.value === "" ? null : Math.floor(Number(target.value));
          if (n !== null && !(n >= 1 && n <= 999)) { fail({code: "", message: t("Enter a number from 1 to 999.")}); return; }
          args.table = n;
          return run("set_table", args);
        }
        case "rapporteur": args.participant_id = target.value || null; return run("set_rapporteur", args);
      }
    });
    list.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.dataset.field) event.target.blur();
    });
    // Drag a member onto another group's card.
    list.addEventListener("dragstart", function (event) {
      var li = event.target.closest && event.target.closest("li.gs-member");
      if (!li) return;
      dragged = {pid: li.dataset.pid, from: groupOf(li)};
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", li.dataset.pid);
      li.classList.add("dragging");
    });
    list.addEventListener("dragend", function (event) {
      if (event.target.classList) event.target.classList.remove("dragging");
      list.querySelectorAll(".drop-target").forEach(function (n) { n.classList.remove("drop-target"); });
      dragged = null;
    });
    list.addEventListener("dragover", function (event) {
      var gid = groupOf(event.target);
      if (!dragged || !gid || gid === dragged.from) return;
      event.preventDefault();
      list.querySelectorAll(".drop-target").forEach(function (n) { n.classList.remove("drop-target"); });
      event.target.closest("li.gs-group").classList.add("drop-target");
    });
    list.addEventListener("drop", function (event) {
      var gid = groupOf(event.target), s = split();
      if (!dragged || !gid || !s || gid === dragged.from) return;
      event.preventDefault();
      run("move_participant", {split_id: s.id, participant_id: dragged.pid, group_id: gid});
    });
    $("gs-unplaced").addEventListener("click", function (event) {
      var button = event.target.closest("button[data-place]"), s = split();
      if (!button || !s) return;
      button.disabled = true;
      run("place_participant", {split_id: s.id, participant_id: button.dataset.place});
    });
    syncForm();

    return {render: render};
  }

  window.TavoloGroupsDashboard = {mount: mount};
})();
