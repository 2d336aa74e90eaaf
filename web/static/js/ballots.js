/* Ballot inputs, one per question kind, for the participant page (mobile first: big tap targets, no dragging).
 *
 * TavoloBallots.widget(question, answer, name) → {node, value()}: `answer` prefills it (changing one's answer);
 * value() is the answer in the wire format of docs/polls.md, or null when the question is left unanswered. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, tn = T.tn, el = T.el, clear = T.clear;
  var TEXT_MAX = 500;

  function choice(q, answer, name) {
    var multiple = q.kind === "multiple", k = multiple ? q.max_choices || q.options.length : 1;
    var chosen = multiple ? (answer || []) : [answer];
    var note = el("p", {class: "ballot-hint", "aria-live": "polite"});
    var list = el("div", {class: "ballot-options", role: multiple ? "group" : "radiogroup"});
    q.options.forEach(function (o) {
      var input = el("input", {type: multiple ? "checkbox" : "radio", name: name, value: o.id});
      input.checked = chosen.indexOf(o.id) !== -1;
      list.appendChild(el("label", {class: "ballot-option"}, input, el("span", {class: "ballot-option-label"}, o.label)));
    });
    function inputs() { return Array.prototype.slice.call(list.querySelectorAll("input")); }
    function sync() {  // at most k: the other boxes are disabled once k are ticked
      if (!multiple) return;
      var n = inputs().filter(function (i) { return i.checked; }).length;
      inputs().forEach(function (i) { i.disabled = !i.checked && n >= k; i.parentNode.classList.toggle("disabled", i.disabled); });
      note.textContent = k < q.options.length ? t("Choose up to %(k)s · %(n)s chosen", {k: k, n: n}) : t("Choose as many as you like");
    }
    list.addEventListener("change", sync);
    sync();
    return {node: el("div", null, multiple ? note : null, list), value: function () {
      var ids = inputs().filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
      return multiple ? (ids.length ? ids : null) : ids[0] || null;
    }};
  }

  function scale(q, answer, name) {
    var range = q.scale === "0-10" ? [0, 10] : [1, 5], row = el("div", {class: "ballot-scale" + (range[0] === 0 ? " eleven" : ""), role: "radiogroup"});
    for (var v = range[0]; v <= range[1]; v++) {
      var input = el("input", {type: "radio", name: name, value: v, class: "visually-hidden"});
      input.checked = answer === v;
      row.appendChild(el("label", {class: "ballot-scale-step"}, input, el("span", null, v)));
    }
    var ends = q.low_label || q.high_label ? el("p", {class: "ballot-scale-ends"}, el("span", null, q.low_label || ""), el("span", null, q.high_label || "")) : null;
    return {node: el("div", null, row, ends), value: function () {
      var checked = row.querySelector("input:checked");
      return checked ? Number(checked.value) : null;
    }};
  }

  /* Ranking: tap options to put them in order; ↑ ↓ move, × takes one out again. Partial rankings are allowed. */
  function ranking(q, answer) {
    var labels = {}, order = (answer || []).slice();
    q.options.forEach(function (o) { labels[o.id] = o.label; });
    var ranked = el("ol", {class: "ballot-ranked"}), pool = el("div", {class: "ballot-pool"});
    var box = el("div", {class: "ballot-ranking"}, el("p", {class: "ballot-hint"}, t("Tap the options in order of preference, best first.")), ranked, pool);
    function small(text, action, id, extra) {
      return el("button", Object.assign({type: "button", class: "btn icon", dataset: {action: action, id: id}}, extra), text);
    }
    function draw() {
      clear(ranked);
      order.forEach(function (id, i) {
        ranked.appendChild(el("li", {class: "ballot-ranked-item"}, el("span", {class: "rank-n"}, i + 1),
          el("span", {class: "ballot-ranked-label"}, labels[id]),
          small("↑", "up", id, {"aria-label": t("Move up"), disabled: i === 0}),
          small("↓", "down", id, {"aria-label": t("Move down"), disabled: i === order.length - 1}),
          small("×", "out", id, {"aria-label": t("Take out of my ranking")})));
      });
      clear(pool);
      q.options.forEach(function (o) {
        if (order.indexOf(o.id) === -1) {
          pool.appendChild(el("button", {type: "button", class: "ballot-pool-item", dataset: {action: "in", id: o.id}},
            el("span", {class: "plus", "aria-hidden": "true"}, "+"), o.label));
        }
      });
      pool.hidden = !pool.firstChild;
    }
    box.addEventListener("click", function (event) {
      var b = event.target.closest("button[data-action]");
      if (!b) return;
      var id = b.dataset.id, i = order.indexOf(id), action = b.dataset.action;
      if (action === "in") order.push(id);
      else if (action === "out") order.splice(i, 1);
      else {
        var j = action === "up" ? i - 1 : i + 1;
        order.splice(j, 0, order.splice(i, 1)[0]);
      }
      draw();
      var again = box.querySelector('[data-id="' + id + '"][data-action="' + action + '"]:not(:disabled)') ||
        box.querySelector('[data-id="' + id + '"][data-action="out"]') || pool.querySelector("button");
      if (again) again.focus();
    });
    draw();
    return {node: box, value: function () { return order.length ? order.slice() : null; }};
  }

  function text(q, answer) {
    var area = el("textarea", {rows: 3, maxlength: TEXT_MAX, class: "ballot-text", "aria-label": q.prompt || t("Your answer")});
    var count = el("p", {class: "ballot-count", "aria-live": "polite"});
    area.value = answer || "";
    function sync() { count.textContent = t("%(n)s / %(max)s characters", {n: area.value.length, max: TEXT_MAX}); }
    area.addEventListener("input", sync);
    sync();
    return {node: el("div", null, area, count), value: function () { return area.value.trim() ? area.value.trim() : null; }};
  }

  /* Dot voting: ± per item, at most max_per_item on one, `dots` in all; a counter of the dots left. */
  function dots(q, answer) {
    var placed = Object.assign({}, answer || {}), total = q.dots, most = q.max_per_item || q.dots;
    var left = el("p", {class: "ballot-dots-left", "aria-live": "polite"}), list = el("ul", {class: "ballot-dots"});
    function used() { return Object.keys(placed).reduce(function (n, id) { return n + placed[id]; }, 0); }
    function draw() {
      var remaining = total - used();
      left.textContent = t("Dots left: %(left)s of %(total)s", {left: remaining, total: total});
      left.classList.toggle("none", remaining === 0);
      clear(list);
      q.options.forEach(function (o) {
        var n = placed[o.id] || 0;
        list.appendChild(el("li", {class: "ballot-dots-item" + (n ? " has" : "")},
          el("span", {class: "ballot-dots-label"}, o.label),
          el("span", {class: "ballot-dots-ctrl"},
            el("button", {type: "button", class: "btn icon", dataset: {action: "minus", id: o.id}, disabled: n === 0, "aria-label": t("Remove a dot from %(item)s", {item: o.label})}, "−"),
            el("span", {class: "ballot-dots-n", "aria-label": tn("%(count)s dot", "%(count)s dots", n)}, n ? "●".repeat(n) : "0"),
            el("button", {type: "button", class: "btn icon", dataset: {action: "plus", id: o.id}, disabled: n >= most || remaining === 0, "aria-label": t("Add a dot to %(item)s", {item: o.label})}, "+"))));
      });
    }
    list.addEventListener("click", function (event) {
      var b = event.target.closest("button[data-action]");
      if (!b) return;
      var id = b.dataset.id;
      placed[id] = (placed[id] || 0) + (b.dataset.action === "plus" ? 1 : -1);
      if (!placed[id]) delete placed[id];
      draw();
      var same = list.querySelector('[data-id="' + id + '"][data-action="' + b.dataset.action + '"]');
      (same && !same.disabled ? same : list.querySelector('[data-id="' + id + '"]:not(:disabled)') || left).focus();
    });
    left.tabIndex = -1;
    draw();
    var hint = most < total ? t("Place up to %(total)s dots, at most %(most)s on one item.", {total: total, most: most})
      : tn("Place %(count)s dot on the item you prefer.", "Place up to %(count)s dots on the items you prefer.", total);
    return {node: el("div", null, el("p", {class: "ballot-hint"}, hint), left, list), value: function () {
      return used() ? Object.assign({}, placed) : null;
    }};
  }

  var WIDGETS = {single: choice, multiple: choice, scale: scale, ranking: ranking, text: text, dots: dots};
  function widget(q, answer, name) { return WIDGETS[q.kind](q, answer === undefined ? null : answer, name); }

  window.TavoloBallots = {widget: widget};
})();
