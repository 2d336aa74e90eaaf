/* Dashboard notes: the facilitator adds a note or a correction for the minutes (command "annotate": text, an
 * optional agenda item, optionally what it corrects) and sees the notes so far (GET …/notes, read after each
 * change and when the dashboard connects). Notes never change recorded events. Text is shown with textContent. */
(function () {
  "use strict";
  var T = window.Tavolo, el = T.el, $ = T.$, clear = T.clear;

  function mount(opts) {
    var form = $("notes-form");
    if (!form) return {render: function () {}, refresh: function () {}};
    var S = form.dataset, itemsSig = null, titles = {};
    var api = "/api/workshops/" + encodeURIComponent(opts.workshopId) + "/notes";

    function time(iso) { return T.formatTime(iso); }
    function show(notes) {
      var list = clear($("notes-list"));
      notes.forEach(function (n) {
        var what = n.corrects ? S.correction + " (" + n.corrects + ")" : S.note;
        var where = n.item || titles[n.item_id] || S.whole;
        list.appendChild(el("li", {class: "note-row", dataset: {noteId: n.id}},
          el("strong", null, what), el("span", {class: "hint"}, " · " + where + " · " + time(n.at)),
          el("p", {class: "text"}, n.text)));
      });
      $("notes-empty").hidden = notes.length > 0;
    }
    function refresh() {
      return fetch(api, {headers: {Authorization: "Bearer " + opts.token}, cache: "no-store"}).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      }).then(function (data) { show(data.notes || []); }, function () {});
    }
    function error(text) { $("note-error").textContent = text; $("note-error").hidden = !text; }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var f = form.elements, text = f.text.value.trim();
      if (!text) { error(S.emptyText); return; }
      var args = {text: text};
      if (f.item_id.value) args.item_id = f.item_id.value;
      if (f.corrects.value.trim()) args.corrects = f.corrects.value.trim();
      $("note-add").disabled = true;
      opts.command("annotate", args).then(function () {
        error("");
        form.reset();
        T.toast(S.added);
        return refresh();
      }, function (err) { error(T.errorText(err)); }).then(function () { $("note-add").disabled = false; });
    });

    /* The agenda items a note can be about (kept as the facilitator chose while the agenda changes). */
    function render(agenda) {
      var sig = JSON.stringify((agenda || []).map(function (i) { return [i.id, i.title]; }));
      if (sig === itemsSig) return;
      itemsSig = sig;
      var select = $("note-item"), chosen = select.value;
      while (select.options.length > 1) select.remove(1);
      titles = {};
      (agenda || []).forEach(function (i) {
        titles[i.id] = i.title;
        select.appendChild(el("option", {value: i.id}, i.title));
      });
      select.value = titles[chosen] !== undefined ? chosen : "";
    }
    return {render: render, refresh: refresh};
  }

  window.TavoloNotesDashboard = {mount: mount};
})();
