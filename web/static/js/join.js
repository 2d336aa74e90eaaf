/* Join page: the profile form, then a `join` command over an anonymous websocket.
 *
 * The join in flight (its command id and arguments, including the token chosen here) is kept in storage under
 * tavolo:pending:{workshop id} until it is acknowledged: if this page is reloaded mid-join, the participant page
 * re-sends it with the same id rather than taking the token for a stranger's. */
(function () {
  "use strict";
  var T = window.Tavolo, P = window.TavoloProfile, t = T.t, $ = T.$;
  var root = $("join"), workshopId = root.dataset.workshopId;
  var KEY = "tavolo:me:" + workshopId, PENDING = "tavolo:pending:" + workshopId;
  var mePage = "/w/" + encodeURIComponent(workshopId) + "/me";
  var form = $("join-form"), button = $("join-submit");
  var conn = null, attempt = null;  // attempt: {id, token} of the join in flight, reused by every retry

  // Already joined (or joining) on this device: never make a second participant, go to the workshop.
  if (T.store.get(KEY)) {
    $("join-redirect").hidden = false;
    form.hidden = true;
    location.replace(mePage);
    return;
  }
  T.store.del(PENDING);  // without a token there is nothing to finish

  // No country is guessed (from the browser's locale, say): a phone set to US English is not an American.

  function busy(on) {
    button.disabled = on;
    button.textContent = on ? t("Joining…") : t("Join the workshop");
    if (!on) waiting(false);
  }
  // A venue's phones share one address, so a room joining at once meets the server's per-address limit: the join
  // is retried by itself after the wait the server names, as long as it takes, and the person is told to wait.
  function waiting(on) {
    var note = $("join-wait");
    note.textContent = on ? t("Many people are joining at once — keep this page open, you will be let in in a moment.") : "";
    note.hidden = !on;
  }
  function connection() {
    if (!conn || conn.isClosed()) {
      conn = T.connect({
        workshopId: workshopId, token: null, view: null,
        onStatus: function (state) {
          if (state === "reconnecting" && attempt) button.textContent = t("Reconnecting…");
        },
        onError: function (err) { if (attempt) failed(err); }
      });
    }
    return conn;
  }
  function failed(err) {
    if (!attempt) return;
    // Refused: nothing was applied, the stored token belongs to nobody.
    T.store.del(KEY);
    T.store.del(PENDING);
    attempt = null;
    busy(false);
    P.showServerError(err, "join-error");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (attempt) return;  // a join is in flight: its retries are automatic
    P.clearErrors("join-error");
    var args = P.values();
    if (!P.check(args, "join-error")) return;
    if (!args.role) delete args.role;
    attempt = {id: T.uuid(), token: T.newToken()};
    args.token = attempt.token;
    // Stored before sending: if this page is reloaded mid-join, the participant page finishes this very join.
    T.store.set(PENDING, JSON.stringify({id: attempt.id, args: args}));
    T.store.set(KEY, attempt.token);
    busy(true);
    connection().command("join", args, attempt.id, {patient: true, onWait: function () { waiting(true); }}).then(function () {
      T.store.del(PENDING);
      location.replace(mePage + "?lang=" + encodeURIComponent(args.language));
    }, failed);
  });
})();
