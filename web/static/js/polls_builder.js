/* Dashboard poll builder: title, kind, the question (or a survey's questions), secret ballot, time limit and results
 * visibility; creates a draft (create_poll), or creates and opens it, or saves changes to a draft (update_poll).
 *
 * A time limit counts from the opening, so a draft's minutes stay on this device (tavolo:pollmin:<poll id>) until the
 * poll is opened with closes_at = server time + minutes. */
(function () {
  "use strict";
  var T = window.Tavolo, C = window.TavoloCharts, t = T.t, $ = T.$;
  var WITH_OPTIONS = ["single", "multiple", "ranking", "dots"], MAX_QUESTIONS = 30, MAX_OPTIONS = 200;

  function minutesKey(pollId) { return "tavolo:pollmin:" + pollId; }
  function closesAt(minutes) { return minutes ? new Date(C.now() + minutes * 60000).toISOString() : null; }
  function lines(text) { return text.split("\n").map(function (s) { return s.trim(); }).filter(Boolean); }
  function int(input) { var v = input.value.trim(); return v === "" ? null : Number(v); }
  function whole(n, lo, hi) { return n !== null && Math.floor(n) === n && n >= lo && n <= hi; }

  function mount(opts) {
    var form = $("poll-builder"), list = $("pb-questions"), template = $("pb-question-template"), f = form.elements;
    var toggle = $("poll-new"), errorBox = $("pb-error"), editing = null, busy = false;

    function survey() { return f.kind.value === "survey"; }
    function blocks() { return Array.prototype.slice.call(list.children); }
    function kindOf(li) { return survey() ? li.querySelector("[name=qkind]").value : f.kind.value; }
    function field(li, name) { return li.querySelector("[name=" + name + "]"); }

    function addQuestion(q) {
      var li = template.content.firstElementChild.cloneNode(true);
      list.appendChild(li);
      q = q || {};
      field(li, "qkind").value = q.kind && q.kind !== "survey" ? q.kind : (survey() ? "single" : f.kind.value);
      field(li, "prompt").value = q.prompt || "";
      field(li, "options").value = (q.options || []).map(function (o) { return o.label; }).join("\n");
      if (q.max_choices && q.max_choices < (q.options || []).length) field(li, "max_choices").value = q.max_choices;
      if (q.scale) field(li, "scale").value = q.scale;
      field(li, "low_label").value = q.low_label || "";
      field(li, "high_label").value = q.high_label || "";
      if (q.dots) { field(li, "dots").value = q.dots; field(li, "max_per_item").value = q.max_per_item; }
      if (q.cloud) field(li, "cloud").value = q.cloud;
      sync();
      return li;
    }
    /* Show what the poll kind (and, in a survey, each question's kind) needs; a survey numbers its questions. */
    function sync() {
      var many = survey(), all = blocks();
      all.forEach(function (li, i) {
        li.hidden = !many && i > 0;
        li.classList.toggle("in-survey", many);
        li.querySelector(".pb-question-head").hidden = !many;
        li.querySelector(".pb-question-n").textContent = t("Question %(n)s", {n: i + 1});
        li.querySelector("[data-remove-question]").hidden = all.length < 2;
        li.querySelector(".pb-prompt").hidden = !many;
        li.querySelector(".pb-qkind").hidden = !many;
        var kind = kindOf(li);
        li.querySelectorAll("[data-kinds]").forEach(function (node) {
          node.hidden = node.dataset.kinds.split(" ").indexOf(kind) === -1;
        });
      });
      $("pb-add-wrap").hidden = !many || all.length >= MAX_QUESTIONS;
      $("pb-breakdown-field").hidden = !f.secret.checked;
    }

    function problem(li, name, message) { return {li: li, name: name, message: message}; }
    /* One question's spec for create_poll, or a problem to show. */
    function readQuestion(li) {
      var kind = kindOf(li), spec = {}, prompt = field(li, "prompt").value.trim();
      if (survey()) {
        if (!prompt) throw problem(li, "prompt", t("Write the question."));
        spec.kind = kind;
        spec.prompt = prompt;
      }
      if (WITH_OPTIONS.indexOf(kind) !== -1) {
        var options = lines(field(li, "options").value);
        if (options.length < 2) throw problem(li, "options", t("List at least two options, one per line."));
        if (options.length > MAX_OPTIONS) throw problem(li, "options", t("At most %(count)s options.", {count: MAX_OPTIONS}));
        if (options.some(function (o) { return o.length > 200; })) throw problem(li, "options", t("An option is at most %(count)s characters.", {count: 200}));
        spec.options = options;
      }
      var range = function (name, lo, hi) {
        var n = int(field(li, name));
        if (!whole(n, lo, hi)) throw problem(li, name, t("Enter a whole number from %(low)s to %(high)s.", {low: lo, high: hi}));
        return n;
      };
      if (kind === "multiple" && int(field(li, "max_choices")) !== null) spec.max_choices = range("max_choices", 1, spec.options.length);
      if (kind === "scale") {
        spec.scale = field(li, "scale").value;
        ["low_label", "high_label"].forEach(function (k) { var v = field(li, k).value.trim(); if (v) spec[k] = v; });
      }
      if (kind === "text") spec.cloud = field(li, "cloud").value;
      if (kind === "dots") {
        spec.dots = range("dots", 1, 100);
        spec.max_per_item = range("max_per_item", 1, spec.dots);
      }
      return spec;
    }
    function showError(message, input) {
      errorBox.textContent = message;
      errorBox.hidden = !message;
      if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    }
    function collect() {
      form.querySelectorAll("[aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); });
      showError("");
      var title = f.title.value.trim();
      if (!title) return showError(t("Give the poll a title."), f.title);
      var questions = [];
      try {
        (survey() ? blocks() : blocks().slice(0, 1)).forEach(function (li) { questions.push(readQuestion(li)); });
      } catch (p) {
        var where = survey() ? t("Question %(n)s", {n: blocks().indexOf(p.li) + 1}) + ": " : "";
        return showError(where + p.message, field(p.li, p.name));
      }
      var minutes = int(f.minutes);
      if (minutes !== null && !whole(minutes, 1, 1440)) return showError(t("Enter a whole number from %(low)s to %(high)s.", {low: 1, high: 1440}), f.minutes);
      var args = {title: title, kind: f.kind.value, questions: questions, secret: f.secret.checked};
      if (args.secret) args.breakdown = f.breakdown.value;
      if (f.scope.value) args.groups = [f.scope.value];
      return {args: args, minutes: minutes, visibility: form.querySelector("[name=visibility]:checked").value};
    }

    function reset() {
      form.reset();
      T.clear(list);
      editing = null;
      addQuestion();
      showError("");
      $("poll-builder-heading").textContent = t("New poll");
      $("pb-create-open").textContent = t("Create and open");
      $("pb-create").textContent = t("Save as draft");
    }
    function show(open) {
      form.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open) { form.scrollIntoView({block: "nearest", behavior: "smooth"}); f.title.focus(); }
    }
    function done(message) { busy = false; reset(); show(false); T.toast(message); }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      var open = (event.submitter || {}).value === "open", got = collect();
      if (!got) return;
      busy = true;
      var was = editing, saved;
      if (was) {
        var changes = Object.assign({poll_id: was.id}, got.args);
        saved = opts.command("update_poll", changes).then(function () {
          return got.visibility === was.visibility ? null
            : opts.command("set_results_visibility", {poll_id: was.id, visibility: got.visibility});
        }).then(function () { return was.id; });
      } else {
        saved = opts.command("create_poll", Object.assign({visibility: got.visibility}, got.args)).then(function (ack) { return ack.result.poll_id; });
      }
      saved.then(function (pollId) {
        if (got.minutes) T.store.set(minutesKey(pollId), String(got.minutes)); else T.store.del(minutesKey(pollId));
        if (!open) {
          done(was ? t("Changes saved") : t("Poll saved as a draft"));
          return opts.onSaved(pollId);
        }
        var args = {poll_id: pollId};
        if (got.minutes) args.closes_at = closesAt(got.minutes);
        // Saved either way: a failed opening leaves a draft in the list (opening it again is one click there).
        return opts.command("open_poll", args).then(function () { done(t("The poll is open")); }, function (err) {
          done(t("Poll saved as a draft"));
          T.toast(T.errorText(err), "error");
        }).then(function () { opts.onSaved(pollId); });
      }).catch(function (err) { busy = false; showError(T.errorText(err)); });
    });
    f.kind.addEventListener("change", sync);
    f.secret.addEventListener("change", sync);
    list.addEventListener("change", function (event) { if (event.target.name === "qkind") sync(); });
    list.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-remove-question]");
      if (!remove) return;
      remove.closest("li").remove();
      sync();
    });
    $("pb-add-question").addEventListener("click", function () { field(addQuestion(), "prompt").focus(); });
    toggle.addEventListener("click", function () {
      if (form.hidden) { reset(); show(true); } else show(false);
    });
    $("pb-cancel").addEventListener("click", function () { reset(); show(false); toggle.focus(); });
    reset();

    return {
      /* Load a draft into the builder to change it. */
      edit: function (poll) {
        reset();
        editing = poll;
        f.title.value = poll.title;
        f.kind.value = poll.kind;
        T.clear(list);
        poll.questions.forEach(function (q) { addQuestion(q); });
        f.secret.checked = poll.secret;
        f.breakdown.value = poll.breakdown || "";
        f.minutes.value = T.store.get(minutesKey(poll.id)) || "";
        form.querySelector("[name=visibility][value=" + (poll.visibility === "shown" ? "shown" : "hidden") + "]").checked = true;
        $("poll-builder-heading").textContent = t("Edit the draft");
        $("pb-create-open").textContent = t("Save and open");
        $("pb-create").textContent = t("Save changes");
        sync();
        show(true);
      },
      minutes: function (pollId) { var v = T.store.get(minutesKey(pollId)); return v ? Number(v) : null; },
      closesAt: closesAt
    };
  }

  /* The groups of the current split, offered as a poll's voters (the whole room stays the default). */
  function setGroups(groups) {
    var select = $("pb-scope"), keep = select.value, sig = JSON.stringify((groups || []).map(function (g) { return [g.id, T.groupTitle(g)]; }));
    if (select.dataset.sig === sig) return;
    select.dataset.sig = sig;
    while (select.options.length > 1) select.remove(1);
    (groups || []).forEach(function (g) { select.appendChild(T.el("option", {value: g.id}, T.groupTitle(g))); });
    select.value = (groups || []).some(function (g) { return g.id === keep; }) ? keep : "";
    $("pb-scope-field").hidden = !(groups && groups.length);
  }

  window.TavoloPollBuilder = {mount: mount, setGroups: setGroups};
})();
