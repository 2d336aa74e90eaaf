// Runs web/static/js/ui.js's wallISO in node (full ICU) for each zone given: prints one JSON line per case.
// Usage: node wall_iso.js UI_JS '[["Europe/Rome", "2026-03-29", "02:30"], ...]'
"use strict";
const fs = require("fs"), vm = require("vm");
const [uiPath, casesJSON] = process.argv.slice(2);
let zone = {timezone: "UTC", zone_label: "UTC", hour_cycles: {}};
const Tavolo = {t: (s) => s, el: () => null, clear: () => null, $: () => null, zone: () => zone};
const context = vm.createContext({window: {Tavolo}, document: {documentElement: {lang: "en"}, querySelectorAll: () => []}, Intl, Date, Math,
                                  String, Object, Array, JSON, isNaN, setTimeout, console});
vm.runInContext(fs.readFileSync(uiPath, "utf8"), context);
const out = JSON.parse(casesJSON).map(([tz, date, time]) => {
  zone = {timezone: tz, zone_label: tz, hour_cycles: {}};
  return Tavolo.wallISO(date, time);
});
console.log(JSON.stringify(out));
