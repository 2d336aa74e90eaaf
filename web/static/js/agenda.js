/* Dashboard agenda editor: add, edit inline, delete, reorder (arrows or drag and drop), start and finish items.
 * The list is redrawn from the view on every update; the row being edited is kept as it is.
 *
 * Reordering is optimistic: a move is drawn at once and sent as the whole new order, and the next move starts from
 * what is drawn (so two quick ↑ clicks move an item two places). The local order is shown until the view has caught
 * up with every acknowledged reorder; a refused one (say `invalid_order`) drops it and redraws from the view. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, $ = T.$;

  function mount(command) {
    var list = $("agenda-list"), form = $("agenda-add"), errorBox = $("agenda-error");
    var agenda = [], currentId = null, editing = null, refocus = null, dragId = null;
    // server: the latest view's agenda; local: the optimistic order, the reorders in flight, and the position
    // the view must reach to include all of them.
    var server = {items: [], position: null};
    var local = {order: null, inflight: 0, until: 0};

    function fail(err) { T.toast(T.errorText(err), "error"); }
    function run(name, args) { return command(name, args).catch(fail); }
    function ids() { return agenda.map(function (item) { return item.id; }); }
    function sameSet(a, b) {
      return a.length === b.length && a.slice().sort().join("\n") === b.slice().sort().join("\n");
    }
    /* What to draw: the view's items, in the local order while reorders are unconfirmed. */
    function shown() {
      var serverIds = server.items.map(function (item) { return item.id; });
      if (!local.order || !sameSet(local.order, serverIds)) return server.items;
      var byId = {};
      server.items.forEach(function (item) { byId[item.id] = item; });
      return local.order.map(function (id) { return byId[id]; });
    }
    /* Drop the local order once the view includes every acknowledged reorder; true if that changed the order. */
    function settle() {
      if (!local.order || local.inflight > 0 || server.position === null || server.position < local.until) return false;
      local.order = null;
      var before = ids().join();
      agenda = shown();
      return ids().join() !== before;
    }
    function reorder(order, focus) {
      refocus = focus || null;
      if (order.join() === ids().join()) return;
      local.order = order;
      local.inflight += 1;
      agenda = shown();
      draw();
      command("reorder_agenda", {item_ids: order}).then(function (ack) {
        local.inflight -= 1;
        local.until = Math.max(local.until, ack && ack.position || 0);
        if (settle()) draw();
      }, function (err) {
        local.inflight -= 1;
        local.order = null;  // e.g. invalid_order: someone added or removed an item meanwhile
        agenda = shown();
        draw();
        fail(err);
      });
    }
    function move(id, delta, action) {
      var order = ids(), i = order.indexOf(id), j = i + delta;
      if (i === -1 || j < 0 || j >= order.length) return;
      order.splice(j, 0, order.splice(i, 1)[0]);
      reorder(order, {id: id, action: j === 0 || j === order.length - 1 ? "edit" : action});
    }

    function kindSelect(value) {
      var select = el("select", {name: "kind", "aria-label": t("Kind")});
      $("a-kind").querySelectorAll("option").forEach(function (o) { select.appendChild(el("option", {value: o.value}, o.textContent)); });
      select.value = value;
      return select;
    }
    function button(text, action, id, extra) {
      return el("button", Object.assign({type: "button", class: "btn small", dataset: {action: action, id: id}}, extra || {}), text);
    }

    function row(item, index, nextId) {
      var running = item.status === "running";
      return el("li", {class: "agenda-row status-" + item.status, draggable: "true", dataset: {id: item.id}},
        el("span", {class: "drag-handle", "aria-hidden": "true"}, "⠿"),
        el("span", {class: "move"},
          button("↑", "up", item.id, {class: "btn icon", "aria-label": t("Move up"), disabled: index === 0}),
          button("↓", "down", item.id, {class: "btn icon", "aria-label": t("Move down"), disabled: index === agenda.length - 1})),
        el("span", {class: "time"}, T.plannedLabel(item) || "–"),
        el("span", {class: "title"}, el("span", {class: "title-text"}, item.title),
          el("span", {class: "badge kind-" + item.kind}, T.label("kinds", item.kind))),
        el("span", {class: "duration"}, item.duration_min ? t("%(minutes)s min", {minutes: item.duration_min}) : ""),
        el("span", {class: "badge status-" + item.status}, T.label("statuses", item.status)),
        el("span", {class: "row-actions"},
          running ? button(t("Finish"), "finish", item.id, {class: "btn small"})
            : button(t("Start"), "start", item.id, {class: item.id === nextId ? "btn small primary" : "btn small"}),
          button(t("Edit"), "edit", item.id),
          button(t("Delete"), "delete", item.id, {class: "btn small danger-ghost"})));
    }

    function editor(item) {
      var title = el("input", {name: "title", type: "text", required: true, maxlength: 200, "aria-label": t("Title")});
      var start = el("input", {name: "planned_start", type: "time", step: 300, "aria-label": t("Start time")});
      var day = el("input", {name: "planned_day", type: "date", "aria-label": t("Day (for a programme over several days)")});
      var duration = el("input", {name: "duration_min", type: "number", min: 1, max: 1440, "aria-label": t("Minutes")});
      var kind = kindSelect(item.kind);
      title.value = item.title; start.value = (item.planned_start || "").slice(-5); day.value = (item.planned_start || "").length > 5 ? item.planned_start.slice(0, 10) : ""; duration.value = item.duration_min || "";
      var edit = el("form", {class: "agenda-row editing", dataset: {id: item.id}},
        title, kind, day, start, duration,
        el("span", {class: "row-actions"},
          el("button", {type: "submit", class: "btn small primary"}, t("Save")),
          button(t("Cancel"), "cancel", item.id)));
      edit.addEventListener("submit", function (event) {
        event.preventDefault();
        var args = {item_id: item.id}, minutes = duration.value ? parseInt(duration.value, 10) : null;
        if (!title.value.trim()) { title.focus(); return; }
        if (title.value.trim() !== item.title) args.title = title.value.trim();
        if (kind.value !== item.kind) args.kind = kind.value;
        var planned = start.value && day.value ? day.value + "T" + start.value : start.value;
        if (planned !== (item.planned_start || "")) args.planned_start = planned;
        if (minutes !== (item.duration_min || null)) args.duration_min = minutes;
        var done = function () { editing = null; refocus = {id: item.id, action: "edit"}; draw(); };
        if (Object.keys(args).length === 1) return done();
        command("update_agenda_item", args).then(done, fail);
      });
      var wrapper = el("li", {class: "agenda-edit-row", dataset: {id: item.id}}, edit);
      setTimeout(function () { title.focus(); }, 0);
      return wrapper;
    }

    function draw() {
      var keep = editing && list.querySelector('li.agenda-edit-row[data-id="' + editing + '"]');
      if (editing && !agenda.some(function (item) { return item.id === editing; })) { editing = null; keep = null; }
      var next = T.currentAndNext({agenda: agenda, current_item: currentId}).next;
      T.clear(list);
      agenda.forEach(function (item, index) {
        if (item.id === editing) list.appendChild(keep || editor(item));
        else list.appendChild(row(item, index, next && next.id));
      });
      $("agenda-empty").hidden = agenda.length > 0;
      $("agenda-zone").textContent = t("All times are %(zone)s", {zone: T.zone().zone_label});
      list.classList.toggle("has-current", !!currentId);
      if (refocus) {
        var target = list.querySelector('[data-id="' + refocus.id + '"][data-action="' + refocus.action + '"]');
        if (target && !target.disabled) target.focus();
        refocus = null;
      }
    }

    list.addEventListener("click", function (event) {
      var target = event.target.closest("button[data-action]");
      if (!target) return;
      var id = target.dataset.id, item = agenda.filter(function (i) { return i.id === id; })[0];
      switch (target.dataset.action) {
        case "up": return move(id, -1, "up");
        case "down": return move(id, 1, "down");
        case "start": refocus = {id: id, action: "finish"}; return run("start_agenda_item", {item_id: id});
        case "finish": refocus = {id: id, action: "start"}; return run("finish_agenda_item", {item_id: id});
        case "edit": editing = id; return draw();
        case "cancel": editing = null; refocus = {id: id, action: "edit"}; return draw();
        case "delete":
          return T.confirm(t("Delete “%(title)s” from the agenda?", {title: item ? item.title : ""}), t("Delete")).then(function (ok) {
            if (ok) run("remove_agenda_item", {item_id: id});
          });
      }
    });

    // Drag and drop: the row under the pointer shows where the dragged item will land (above or below it).
    function dropTarget(event) {
      var over = event.target.closest("li.agenda-row");
      if (!over || !dragId || over.dataset.id === dragId) return null;
      var box = over.getBoundingClientRect();
      return {li: over, after: event.clientY > box.top + box.height / 2};
    }
    function clearMarks() { list.querySelectorAll(".drop-before, .drop-after").forEach(function (n) { n.classList.remove("drop-before", "drop-after"); }); }
    list.addEventListener("dragstart", function (event) {
      var li = event.target.closest("li.agenda-row");
      if (!li) return;
      dragId = li.dataset.id;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragId);
      li.classList.add("dragging");
    });
    list.addEventListener("dragover", function (event) {
      var target = dropTarget(event);
      if (!target) return;
      event.preventDefault();
      clearMarks();
      target.li.classList.add(target.after ? "drop-after" : "drop-before");
    });
    list.addEventListener("drop", function (event) {
      var target = dropTarget(event);
      clearMarks();
      if (!target) return;
      event.preventDefault();
      var order = ids().filter(function (id) { return id !== dragId; });
      order.splice(order.indexOf(target.li.dataset.id) + (target.after ? 1 : 0), 0, dragId);
      reorder(order);
    });
    list.addEventListener("dragend", function () {
      dragId = null;
      clearMarks();
      list.querySelectorAll(".dragging").forEach(function (n) { n.classList.remove("dragging"); });
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errorBox.hidden = true;
      var title = $("a-title").value.trim(), start = $("a-start").value, minutes = $("a-duration").value;
      if (!title) { errorBox.textContent = t("Give the item a title."); errorBox.hidden = false; $("a-title").focus(); return; }
      var args = {title: title, kind: $("a-kind").value};
      if (start) args.planned_start = $("a-day").value ? $("a-day").value + "T" + start : start;
      if (minutes) args.duration_min = parseInt(minutes, 10);
      var submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      command("add_agenda_item", args).then(function () {
        submit.disabled = false;
        $("a-title").value = "";
        // The next item most likely starts when this one ends.
        if (start && args.duration_min) {
          var end = (parseInt(start.slice(0, 2), 10) * 60 + parseInt(start.slice(3), 10) + args.duration_min) % 1440;
          $("a-start").value = String(Math.floor(end / 60)).padStart(2, "0") + ":" + String(end % 60).padStart(2, "0");
        }
        $("a-title").focus();
      }, function (err) {
        submit.disabled = false;
        errorBox.textContent = T.errorText(err);
        errorBox.hidden = false;
      });
    });

    return {
      /* A new agenda from the view (at `position`). */
      render: function (items, current, position) {
        server = {items: items || [], position: position === undefined ? null : position};
        currentId = current;
        settle();
        agenda = shown();
        draw();
      },
      /* The view moved on without changing the agenda: maybe the last reorder is now confirmed. */
      seen: function (position) {
        if (position === undefined || position === null) return;
        server.position = position;
        if (settle()) draw();
      }
    };
  }

  window.TavoloAgenda = {mount: mount};
})();
