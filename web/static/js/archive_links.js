/* The dashboard's downloads of minutes, data and the event export: fetched with the facilitator token in the
 * Authorization header (never in a URL), then saved under the name the server gives. */
(function () {
  "use strict";
  var T = window.Tavolo, el = T.el, $ = T.$;
  var box = $("archive-links");
  if (!box) return;
  var workshopId = box.dataset.workshopId, token = T.fromHash({k: "tavolo:fac:" + workshopId}).k;
  var api = "/api/workshops/" + encodeURIComponent(workshopId) + "/";
  Array.prototype.forEach.call(box.querySelectorAll("[data-download]"), function (button) {
    button.disabled = !token;
    button.addEventListener("click", function () {
      button.disabled = true;
      // The minutes in the language the dashboard is read in (the server's default would be the workshop's).
      var minutes = /^minutes\.(md|html|pdf)$/.test(button.dataset.download);
      var query = minutes ? "?lang=" + encodeURIComponent(document.documentElement.lang) : "";
      fetch(api + button.dataset.download + query, {headers: {Authorization: "Bearer " + token}, cache: "no-store"}).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        var match = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
        return r.blob().then(function (blob) {
          var url = URL.createObjectURL(blob), link = el("a", {href: url, download: match ? match[1] : button.dataset.download, class: "offscreen"});
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        });
      }).catch(function () { button.classList.add("danger-ghost"); }).then(function () { button.disabled = false; });
    });
  });
})();
