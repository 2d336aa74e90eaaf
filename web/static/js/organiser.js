/* Organisers' page: list the server's workshops with the organiser key, and reopen one (a new facilitator link that
 * replaces the old one). The key is kept only in this page's memory. */
(function () {
  "use strict";
  var T = window.Tavolo, t = T.t, el = T.el, $ = T.$;
  var form = $("organiser-form");
  if (!form) return;

  function fail(err) {
    var box = $("organiser-error");
    box.textContent = err instanceof TypeError ? t("Could not reach the server. Check the connection and try again.") : T.errorText(err);
    box.hidden = false;
  }
  function call(method, path) {
    return fetch(path, {
      method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-Tavolo-Organiser-Key": $("o-key").value},
      body: method === "POST" ? JSON.stringify({id: T.uuid(), facilitator_token: T.newToken()}) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw (data && data.error) || {code: "internal_error", message: response.statusText};
        return data;
      });
    });
  }
  function reopen(w) {
    T.confirm(t("Reopen %(title)s? The current dashboard link stops working.", {title: w.title}), t("Reopen")).then(function (ok) {
      if (!ok) return;
      call("POST", "/api/workshops/" + encodeURIComponent(w.workshop_id) + "/reopen").then(function (r) {
        $("reopened-link").value = r.facilitator_url;
        $("open-reopened").href = r.facilitator_url;
        $("reopened").hidden = false;
        $("reopened-link").focus();
      }, fail);
    });
  }
  $("copy-reopened").addEventListener("click", function () { T.copyText($("reopened-link").value); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    $("organiser-error").hidden = true;
    call("GET", "/api/workshops").then(function (data) {
      var body = T.clear($("organiser-body"));
      data.workshops.forEach(function (w) {
        body.appendChild(el("tr", null,
          el("td", null, w.title), el("td", null, T.formatDate(w.date)), el("td", {class: "mono"}, w.code),
          el("td", null, (w.created_at || "").slice(0, 16).replace("T", " ")),
          el("td", null, el("button", {class: "btn small", type: "button", onclick: function () { reopen(w); }}, t("Reopen")))));
      });
      $("organiser-table").hidden = false;
    }, fail);
  });
})();
