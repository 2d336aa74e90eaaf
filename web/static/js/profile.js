/* The profile form shared by the join page and "Edit my profile": country filter, values, field errors. */
(function () {
  "use strict";
  var T = window.Tavolo, $ = T.$;
  var FIELDS = ["name", "organisation", "organisation_type", "country", "sector", "role", "language", "anonymous"];
  var REQUIRED = {
    name: T.t("Enter your name."), organisation: T.t("Enter your organisation."),
    country: T.t("Choose your country."), sector: T.t("Choose your sector.")
  };

  /* A plain <select> with a text filter above it: typing narrows the options (accents and case ignored). */
  function setupCountryFilter() {
    var select = $("p-country"), filter = $("p-country-filter");
    var all = Array.prototype.slice.call(select.options, 1).map(function (o) {
      return {code: o.value, name: o.textContent, key: T.fold(o.textContent) + " " + o.value.toLowerCase()};
    });
    var placeholder = select.options[0];
    filter.addEventListener("input", function () {
      var query = T.fold(filter.value.trim()), chosen = select.value;
      var matches = all.filter(function (c) { return !query || c.key.indexOf(query) !== -1; });
      T.clear(select).appendChild(placeholder);
      matches.forEach(function (c) { select.appendChild(T.el("option", {value: c.code}, T.flag(c.code) + " " + c.name)); });
      if (query && matches.length && !matches.some(function (c) { return c.code === chosen; })) select.value = matches[0].code;
      else select.value = chosen;
    });
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); select.focus(); }
    });
    all.forEach(function (c, i) { select.options[i + 1].textContent = T.flag(c.code) + " " + c.name; });
  }

  function values() {
    var out = {};
    FIELDS.forEach(function (f) {
      var input = $("p-" + f);
      out[f] = input.type === "checkbox" ? input.checked : input.value.trim();
    });
    return out;
  }
  function fill(me) {
    FIELDS.forEach(function (f) {
      var input = $("p-" + f);
      if (input.type === "checkbox") { input.checked = !!me[f]; return; }
      if (f === "country" && me.country && !input.querySelector('option[value="' + me.country + '"]')) {
        $("p-country-filter").value = "";
        $("p-country-filter").dispatchEvent(new Event("input"));
      }
      if (input.tagName === "SELECT" && me[f] && !Array.prototype.some.call(input.options, function (o) { return o.value === me[f]; })) {
        input.appendChild(T.el("option", {value: me[f]}, me[f]));  // a sector the facilitator has since renamed
      }
      input.value = me[f] || "";
    });
  }
  /* Keep the sector choices in step with the workshop's (the facilitator may edit them while people join). */
  var sectorsSig = null;
  function setSectors(sectors) {
    var select = $("p-sector"), chosen = select.value, sig = JSON.stringify(sectors || []);
    if (!sectors || sig === sectorsSig) return;
    sectorsSig = sig;
    var placeholder = select.options[0];
    T.clear(select).appendChild(placeholder);
    sectors.forEach(function (s) { select.appendChild(T.el("option", {value: s}, s)); });
    if (chosen && sectors.indexOf(chosen) === -1) select.appendChild(T.el("option", {value: chosen}, chosen));
    select.value = chosen;
  }
  function clearErrors(formError) {
    FIELDS.forEach(function (f) { $("err-" + f).hidden = true; $("p-" + f).removeAttribute("aria-invalid"); });
    T.clear($(formError)).hidden = true;
  }
  /* Every problem at once: each beside its field (aria-invalid, its error is in the field's aria-describedby) and
   * a summary at the top of the form linking to each, which takes the focus so a screen reader reads them all.
   * ``problems`` maps a field (or "" for the form as a whole) to its message. */
  function showErrors(problems, formError) {
    var box = $(formError), fields = FIELDS.filter(function (f) { return problems[f]; });
    fields.forEach(function (f) {
      $("err-" + f).textContent = problems[f];
      $("err-" + f).hidden = false;
      $("p-" + f).setAttribute("aria-invalid", "true");
    });
    T.clear(box);
    if (problems[""]) box.appendChild(T.el("p", null, problems[""]));
    if (fields.length > 1 || (fields.length && problems[""])) {
      box.appendChild(T.el("p", null, T.t("Please check these fields:")));
      box.appendChild(T.el("ul", {class: "error-summary"}, fields.map(function (f) {
        return T.el("li", null, T.el("a", {href: "#p-" + f, onclick: function (e) {
          e.preventDefault(); $("p-" + f).focus();
        }}, problems[f]));
      })));
    }
    box.hidden = !box.childNodes.length;
    if (!box.hidden) { box.setAttribute("tabindex", "-1"); box.focus(); }
    else if (fields.length) $("p-" + fields[0]).focus();
  }
  function showError(field, message, formError) {
    var problems = {};
    problems[field || ""] = message;
    showErrors(problems, formError);
  }
  /* Client-side check of the required fields; returns false (and shows every problem) when any is empty. */
  function check(vals, formError) {
    var problems = {};
    Object.keys(REQUIRED).forEach(function (f) { if (!vals[f]) problems[f] = REQUIRED[f]; });
    if (!Object.keys(problems).length) return true;
    showErrors(problems, formError);
    return false;
  }
  /* The field a server error is about: by code, else by the argument its message names ("'name' must…"). */
  function fieldOf(err) {
    var byCode = {unknown_country: "country", unknown_sector: "sector", unknown_language: "language"}[err.code];
    if (byCode) return byCode;
    var m = /'(\w+)'/.exec(err.message || "");
    return m && FIELDS.indexOf(m[1]) !== -1 ? m[1] : null;
  }
  /* A refusal from the server: every field it names in details.fields, each beside its field. */
  function showServerError(err, formError) {
    var fields = err && err.details && err.details.fields, problems = {};
    if (fields && typeof fields === "object") {
      Object.keys(fields).forEach(function (f) {
        problems[FIELDS.indexOf(f) !== -1 ? f : ""] = T.errorText(fields[f]);
      });
    } else {
      problems[fieldOf(err) || ""] = T.errorText(err);
    }
    showErrors(problems, formError);
  }

  setupCountryFilter();
  window.TavoloProfile = {
    values: values, fill: fill, clearErrors: clearErrors, showError: showError, showErrors: showErrors,
    showServerError: showServerError, check: check, fieldOf: fieldOf, setSectors: setSectors
  };
})();
