/* Facilitator dashboard: live room overview, participants table, agenda editor, workshop settings. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, $ = T.$;
  var root = $("dashboard"), workshopId = root.dataset.workshopId;
  var FAC_KEY = "tavolo:fac:" + workshopId, PROJ_KEY = "tavolo:proj:" + workshopId;
  var BARS = 12;
  // The facilitator link is /w/{id}/dashboard#k={facilitator token}&p={projector token}.
  var secrets = T.fromHash({k: FAC_KEY, p: PROJ_KEY});
  T.reloadOnNewSecrets({k: FAC_KEY, p: PROJ_KEY});
  var token = secrets.k, projectorToken = secrets.p;
  var view = null, position = null, conn = null, agendaUI = null, agendaSig = null, pollsUI = null, groupsUI = null;
  var rotationUI = null, timerUI = null, matchUI = null;
  var notesUI = null;
  var rows = new Map();  // participant id -> {tr, sig, key}: the table is updated in place, keyed by id

  function locked(which) {
    $(which).hidden = false;
    $("dash-body").hidden = true;
    T.showStatus("closed");
  }
  if (!token) return locked("no-token");

  var base = location.origin;
  var path = "/w/" + encodeURIComponent(workshopId);
  var openProjector = $("open-projector");
  if (projectorToken) {
    openProjector.href = path + "/projector#k=" + encodeURIComponent(projectorToken);
  } else {
    // Never the facilitator token: the projector screen is public, anyone in the room could read the link.
    openProjector.removeAttribute("href");
    openProjector.setAttribute("aria-disabled", "true");
    openProjector.setAttribute("aria-describedby", "projector-missing");
    openProjector.classList.add("disabled");
    openProjector.title = $("projector-missing").textContent.trim();
    $("projector-missing").hidden = false;
  }
  $("copy-facilitator").addEventListener("click", function () {
    var link = base + path + "/dashboard#k=" + encodeURIComponent(token);
    if (projectorToken) link += "&p=" + encodeURIComponent(projectorToken);
    T.copyText(link);
  });
  $("copy-join").addEventListener("click", function () { T.copyText($("join-link").href); });

  var render = T.throttleFrame(function () {
    if (!view) return;
    var ws = view.workshop || {}, counts = view.counts || {};
    $("ws-title").textContent = ws.title || "";
    document.title = (ws.title || "") + " — " + t("Dashboard") + " — Tavolo";
    $("ws-date").textContent = T.formatDate(ws.date);
    $("ws-venue").textContent = ws.venue || "";
    $("ws-venue-sep").hidden = !ws.venue;
    if (ws.code) $("join-code").textContent = ws.code;
    $("stat-joined").textContent = counts.joined || 0;
    $("stat-online").textContent = counts.online || 0;
    $("stat-left").textContent = view.left || 0;
    $("stat-removed").textContent = view.removed || 0;
    var more = function (n) { return t("and %(count)s more", {count: n}); };
    T.renderBars($("by-country"), counts.by_country || [], T.countryLabel, BARS, more);
    T.renderBars($("by-organisation"), counts.by_organisation || [], String, BARS, more);
    T.renderBars($("by-sector"), counts.by_sector || [], String, BARS, more);
    T.renderBars($("by-organisation-type"), counts.by_organisation_type || [], T.orgTypeName, BARS, more);
    var sig = JSON.stringify([view.agenda, view.current_item]);
    if (sig !== agendaSig) { agendaSig = sig; agendaUI.render(view.agenda, view.current_item, position); }
    else agendaUI.seen(position);
    renderPeople();
    renderDoor();
    pollsUI.render(view.polls);
    window.TavoloPollBuilder.setGroups(view.groups && view.groups.split ? view.groups.split.groups : []);
    groupsUI.render(view.groups || null);
    rotationUI.render(view.rotation || null, view.participants);
    timerUI.render(view.timer || null);
    notesUI.render(view.agenda);
    matchUI.render(view.matchmaking || null, view.participants);
  });

  function cell(cls) { return el("td", {class: cls}); }
  function buildRow(p) {
    var tr = el("tr", {dataset: {id: p.id}},
      el("td", {class: "who"}, el("span", {class: "presence"}), el("span", {class: "name"})),
      cell("org"), cell("country"), cell("sector"), cell("role"),
      el("td", {class: "cell-actions"}, el("button", {type: "button", class: "btn small danger-ghost", dataset: {remove: p.id}}, t("Remove")),
        el("button", {type: "button", class: "btn small danger-ghost", dataset: {erase: p.id}}, t("Erase data"))));
    fillRow(tr, p);
    return tr;
  }
  function fillRow(tr, p) {
    var c = tr.cells, presence = c[0].firstChild;
    presence.className = "presence " + (p.online ? "on" : "off");
    presence.title = p.online ? t("Online") : t("Offline");
    T.clear(presence).appendChild(el("span", {class: "visually-hidden"}, presence.title));
    c[0].lastChild.textContent = p.name;
    c[1].textContent = p.organisation;
    T.clear(c[2]).appendChild(el("span", null, T.countryLabel(p.country)));
    c[3].textContent = p.sector;
    c[4].textContent = p.role || "";
    c[5].firstChild.setAttribute("aria-label", t("Remove %(name)s", {name: p.name}));
  }
  function renderPeople() {
    var people = view.participants || {}, body = $("people-body");
    var query = T.fold($("people-filter").value.trim());
    rows.forEach(function (row, id) { if (!people[id]) { row.tr.remove(); rows.delete(id); } });
    var all = Object.keys(people).map(function (id) { return people[id]; });
    // Newest first: during arrivals, the facilitator sees who just came in.
    all.sort(function (a, b) { return (b.joined_at || "").localeCompare(a.joined_at || "") || a.name.localeCompare(b.name); });
    var cursor = body.firstChild, shown = 0;
    all.forEach(function (p) {
      var row = rows.get(p.id), sig = [p.name, p.organisation, p.country, p.sector, p.role, p.online].join("\u0000");
      if (!row) {
        row = {tr: buildRow(p), sig: sig};
        rows.set(p.id, row);
      } else if (row.sig !== sig) {
        fillRow(row.tr, p);
        row.sig = sig;
        row.key = null;
      }
      row.key = row.key || T.fold([p.name, p.organisation, p.country, T.countryName(p.country), p.sector, p.role].join(" "));
      if (query && row.key.indexOf(query) === -1) return;
      shown += 1;
      if (row.tr === cursor) cursor = cursor.nextSibling;
      else body.insertBefore(row.tr, cursor);
    });
    while (cursor) { var next = cursor.nextSibling; body.removeChild(cursor); cursor = next; }
    var departed = (view.left || 0) + (view.removed || 0);
    $("people-empty").hidden = all.length > 0 || departed > 0;
    $("people-gone").hidden = all.length > 0 || departed === 0;
    $("people-summary").textContent = query && all.length ? t("Showing %(shown)s of %(total)s", {shown: shown, total: all.length}) : "";
  }
  /* The door: lock the workshop to new joins, and see the latest joins (a burst from one script, say) to remove
   * several at once. Built here so its strings come from the page's catalogue like the rest of the script. */
  var RECENT = 50;  // the newest joins listed for select-and-remove
  var door = {root: $("joins-door"), sig: null, picked: new Set()};
  (function buildDoor() {
    door.state = el("p", {class: "hint", id: "joins-state", "aria-live": "polite"});
    door.lock = el("button", {type: "button", class: "btn small", id: "joins-lock"});
    door.list = el("ul", {class: "recent-joins-list", id: "recent-joins-list"});
    door.all = el("button", {type: "button", class: "btn small ghost", id: "recent-select-all"}, t("Select all"));
    door.remove = el("button", {type: "button", class: "btn small danger-ghost", id: "recent-remove"}, t("Remove selected"));
    door.details = el("details", {class: "recent-joins", id: "recent-joins"},
      el("summary", null, t("Recent joins")), door.list, el("p", {class: "actions"}, door.all, " ", door.remove));
    door.root.appendChild(el("p", {class: "actions"}, door.lock, " ", door.state));
    door.root.appendChild(door.details);
    door.lock.addEventListener("click", function () {
      var locked = !!(view && view.joins_locked);
      door.lock.disabled = true;
      conn.command(locked ? "unlock_joins" : "lock_joins", {}).then(function () {
        T.toast(locked ? t("The workshop is open to new participants.") : t("The workshop is closed to new participants."));
      }, function (err) { T.toast(T.errorText(err), "error"); }).then(function () { door.lock.disabled = false; });
    });
    door.list.addEventListener("change", function (event) {
      var box = event.target.closest("input[data-pick]");
      if (!box) return;
      if (box.checked) door.picked.add(box.dataset.pick); else door.picked.delete(box.dataset.pick);
      door.remove.disabled = door.picked.size === 0;
    });
    door.all.addEventListener("click", function () {
      door.list.querySelectorAll("input[data-pick]").forEach(function (box) { box.checked = true; door.picked.add(box.dataset.pick); });
      door.remove.disabled = door.picked.size === 0;
    });
    door.remove.addEventListener("click", function () {
      var people = (view && view.participants) || {};
      var ids = Array.from(door.picked).filter(function (id) { return people[id]; });
      if (!ids.length) return;
      T.confirm(T.tn("Remove the selected participant? They will need the join code to come back.", "Remove the %(count)s selected participants? They will need the join code to come back.", ids.length), t("Remove"))
        .then(function (ok) {
          if (!ok) return;
          conn.command("remove_participants", {participant_ids: ids}).then(function () {
            ids.forEach(function (id) { door.picked.delete(id); });
            T.toast(t("%(count)s participants were removed.", {count: ids.length}));
          }, function (err) { T.toast(T.errorText(err), "error"); });
        });
    });
  })();
  function renderDoor() {
    var locked = !!view.joins_locked, people = view.participants || {};
    door.lock.textContent = locked ? t("Open to new joins") : t("Close to new joins");
    door.lock.setAttribute("aria-pressed", locked ? "true" : "false");
    door.state.textContent = locked ? t("Closed: nobody new can join.") : t("Open: anyone with the code can join.");
    var recent = Object.keys(people).map(function (id) { return people[id]; })
      .sort(function (a, b) { return (b.joined_at || "").localeCompare(a.joined_at || ""); }).slice(0, RECENT);
    var sig = JSON.stringify(recent.map(function (p) { return [p.id, p.name, p.organisation, p.joined_at]; }));
    door.picked.forEach(function (id) { if (!people[id]) door.picked.delete(id); });
    door.remove.disabled = door.picked.size === 0;
    if (sig === door.sig) return;
    door.sig = sig;
    T.clear(door.list);
    recent.forEach(function (p) {
      var when = T.formatTime(p.joined_at, true);  // the workshop's zone and hour cycle, as every time shown
      door.list.appendChild(el("li", null, el("label", {class: "check small"},
        el("input", {type: "checkbox", dataset: {pick: p.id}, checked: door.picked.has(p.id)}), " ",
        el("span", {class: "time"}, when), " ", el("span", {class: "name"}, p.name),
        p.organisation ? el("span", {class: "meta"}, " · " + p.organisation) : null)));
    });
  }
  $("people-filter").addEventListener("input", render);
  $("people-body").addEventListener("click", function (event) {
    var erase = event.target.closest("button[data-erase]");
    var who = erase && (view.participants || {})[erase.dataset.erase];
    if (who) {
      T.confirm(t("Erase %(name)s's name, organisation and role for good? Their answers stay, without a name. This cannot be undone.", {name: who.name}), t("Erase data"))
        .then(function (ok) {
          if (!ok) return;
          conn.command("erase_participant", {participant_id: who.id}).then(function () {
            T.toast(t("Their personal data was erased."));
          }, function (err) { T.toast(T.errorText(err), "error"); });
        });
      return;
    }
    var button = event.target.closest("button[data-remove]");
    if (!button) return;
    var p = (view.participants || {})[button.dataset.remove];
    if (!p) return;
    T.confirm(t("Remove %(name)s from the workshop? They will need the join code to come back.", {name: p.name}), t("Remove"))
      .then(function (ok) {
        if (!ok) return;
        conn.command("remove_participant", {participant_id: p.id}).then(function () {
          T.toast(t("%(name)s was removed.", {name: p.name}));
        }, function (err) { T.toast(T.errorText(err), "error"); });
      });
  });

  /* Replace a link's secret (the browser chooses it, so a retry is the same command): the old link stops working. */
  function rotate(role) {
    var question = role === "facilitator"
      ? t("Replace the facilitator link? Everyone using the current one, co-facilitators included, loses access; this page moves to the new link.")
      : t("Replace the projector link? Screens using the current one close; open the projector again from this page.");
    T.confirm(question, t("Replace")).then(function (ok) {
      if (!ok) return;
      var fresh = T.newToken();
      conn.command("rotate_link", {role: role, token: fresh}).then(function () {
        var k = role === "facilitator" ? fresh : token, p = role === "projector" ? fresh : projectorToken;
        T.store.set(FAC_KEY, k);
        if (p) T.store.set(PROJ_KEY, p);
        location.replace(path + "/dashboard#k=" + encodeURIComponent(k) + (p ? "&p=" + encodeURIComponent(p) : ""));
        location.reload();
      }, function (err) { T.toast(T.errorText(err), "error"); });
    });
  }
  $("rotate-facilitator").addEventListener("click", function () { rotate("facilitator"); });
  $("rotate-projector").addEventListener("click", function () { rotate("projector"); });

  // Workshop settings, in a dialog.
  var dialog = $("settings-dialog"), settings = $("settings-form");

  /* Delete the workshop: the facilitator types its join code, as the server asks. */
  var deleteInput = $("delete-confirm"), deleteButton = $("delete-workshop");
  function typedCode() { return deleteInput.value.replace(/\s+/g, "").toUpperCase(); }
  function deleted() {
    T.store.del(FAC_KEY);
    T.store.del(PROJ_KEY);
    if (dialog.open) dialog.close();
    locked("deleted");
  }
  deleteInput.addEventListener("input", function () {
    deleteButton.disabled = !typedCode() || typedCode() !== ((view && view.workshop && view.workshop.code) || "");
  });
  deleteInput.addEventListener("keydown", function (event) { if (event.key === "Enter") event.preventDefault(); });
  deleteButton.addEventListener("click", function () {
    deleteButton.disabled = true;
    conn.command("delete_workshop", {confirm: typedCode()}).then(deleted, function (err) {
      if (err.code === "not_found") return deleted();  // gone already (its ack was lost, or another tab did it)
      deleteButton.disabled = false;
      $("settings-error").textContent = T.errorText(err);
      $("settings-error").hidden = false;
    });
  });

  $("open-settings").addEventListener("click", function () {
    deleteInput.value = "";
    deleteButton.disabled = true;
    var ws = view.workshop || {};
    settings.elements.title.value = ws.title || "";
    settings.elements.date.value = ws.date || "";
    settings.elements.venue.value = ws.venue || "";
    settings.elements.language.value = ws.language || "en";
    settings.elements.timezone.value = ws.timezone || "UTC";
    settings.elements.projector_language.value = ws.projector_language || "";
    settings.elements.projector_second_language.value = ws.projector_second_language || "";
    var zones = $("s-timezones");
    if (!zones.children.length && Intl.supportedValuesOf) {
      Intl.supportedValuesOf("timeZone").forEach(function (z) { zones.appendChild(el("option", {value: z})); });
    }
    settings.elements.sectors.value = (ws.sectors || []).join("\n");
    $("settings-error").hidden = true;
    dialog.showModal();
  });
  $("settings-cancel").addEventListener("click", function () { dialog.close(); });
  settings.addEventListener("submit", function (event) {
    event.preventDefault();
    var ws = view.workshop || {}, f = settings.elements, changes = {};
    ["title", "date", "venue", "language", "timezone", "projector_language", "projector_second_language"].forEach(function (k) {
      var v = f[k].value.trim();
      if (v !== (ws[k] || "")) changes[k] = v;
    });
    var sectors = f.sectors.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
    if (sectors.join("\n") !== (ws.sectors || []).join("\n")) changes.sectors = sectors;
    if (!Object.keys(changes).length) return dialog.close();
    conn.command("update_workshop", changes).then(function () {
      dialog.close();
      T.toast(t("Settings saved"));
    }, function (err) {
      $("settings-error").textContent = T.errorText(err);
      $("settings-error").hidden = false;
    });
  });

  conn = T.connect({
    workshopId: workshopId, token: token, view: "dashboard",
    onWelcome: function (msg) { window.TavoloCharts.syncClock(msg.server_time); },
    onSnapshot: function (data, msg) {
      view = data; position = msg.position; $("open-settings").disabled = false; render(); notesUI.refresh();
    },
    onUpdate: function (data, msg) { view = data; position = msg.position; render(); },
    onError: function (err) {
      if (err.code === "unauthorized") {
        T.store.del(FAC_KEY);
        locked("bad-token");
      } else if (err.code === "not_found") {
        deleted();
      } else {
        T.toast(T.errorText(err), "error");
      }
    }
  });
  agendaUI = window.TavoloAgenda.mount(conn.command);
  pollsUI = window.TavoloPollsDashboard.mount({command: conn.command, token: token, workshopId: workshopId});
  groupsUI = window.TavoloGroupsDashboard.mount({command: conn.command});
  rotationUI = window.TavoloRotationDashboard.mount({command: conn.command, token: token, workshopId: workshopId});
  timerUI = window.TavoloRotationDashboard.mountTimer({command: conn.command});
  notesUI = window.TavoloNotesDashboard.mount({command: conn.command, token: token, workshopId: workshopId});
  matchUI = window.TavoloMatchDashboard.mount({
    command: conn.command, token: token, workshopId: workshopId, workshop: function () { return view && view.workshop; }
  });
})();
