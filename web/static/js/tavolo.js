/* Tavolo: shared browser helpers. Plain script, no build step; exposes window.Tavolo.
 *
 * Everything participant-written is untrusted: it is only ever inserted with textContent (see el()),
 * never as HTML. */
(function () {
  "use strict";

  function readJSON(id, fallback) {
    var node = document.getElementById(id);
    if (!node) return fallback;
    try { return JSON.parse(node.textContent); } catch (e) { return fallback; }
  }

  var I18N = readJSON("i18n", {});
  var STRINGS = I18N.strings || {};

  function fill(text, vars) {
    if (!vars) return text;
    return text.replace(/%\((\w+)\)s/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(vars, key) ? String(vars[key]) : m;
    });
  }
  /* Translate an English msgid and fill %(name)s placeholders. */
  function t(msgid, vars) {
    return fill(Object.prototype.hasOwnProperty.call(STRINGS, msgid) ? STRINGS[msgid] : msgid, vars);
  }
  /* The plural form for n, looked up by the English singular. The server sends every form in the catalogue's
   * order and which form each CLDR plural category takes (plural_categories, read off the catalogue's own rule):
   * Intl.PluralRules picks the category of n in the page's language (Polish 22 "few", 25 "many"; Slovenian 102
   * "two"), so no plural rule is evaluated here. %(count)s is n, formatted for the language. */
  var PLURAL_RULES = null;
  function pluralIndex(n) {
    var cats = I18N.plural_categories || {one: 0, other: 1};
    if (!PLURAL_RULES) {
      try { PLURAL_RULES = new Intl.PluralRules(document.documentElement.lang || "en"); }
      catch (e) { PLURAL_RULES = {select: function (x) { return x === 1 ? "one" : "other"; }}; }
    }
    var cat = PLURAL_RULES.select(n);
    // A category the catalogue's integers never reach (Polish "other" is for fractions): the last form.
    return Object.prototype.hasOwnProperty.call(cats, cat) ? cats[cat] : 99;
  }
  function tn(singular, plural, n, vars) {
    var plurals = I18N.plurals || {};
    var forms = Object.prototype.hasOwnProperty.call(plurals, singular) ? plurals[singular] : [singular, plural];
    return fill(forms[Math.min(pluralIndex(n), forms.length - 1)], Object.assign({count: formatNumber(n)}, vars || {}));
  }
  /* A number as the page's language writes it (1.234 in German, 1 234 in French). */
  function formatNumber(n, options) {
    if (typeof n !== "number") return n;
    try { return new Intl.NumberFormat(document.documentElement.lang || "en", options).format(n); }
    catch (e) { return String(n); }
  }
  /* A share (0.42) as a percentage in the page's language: "42 %" in German and French, "42%" in English. */
  function formatPercent(share, digits) {
    return formatNumber(share, {style: "percent", maximumFractionDigits: digits || 0});
  }
  /* A poll as a reader of `lang` sees it: the facilitator's text in that language where they gave it (translations:
   * title, prompts, options and scale labels in the poll's order), else the original. null when the poll has none. */
  function pollIn(p, lang) {
    var tr = p && (p.translations || {})[lang];
    if (!tr) return null;
    var copy = Object.assign({}, p, {title: tr.title || p.title});
    copy.questions = (p.questions || []).map(function (q, i) {
      var tq = (tr.questions || [])[i] || {}, out = Object.assign({}, q, {prompt: tq.prompt || q.prompt});
      if (tq.low_label) out.low_label = tq.low_label;
      if (tq.high_label) out.high_label = tq.high_label;
      if (q.options) out.options = q.options.map(function (o, j) {
        var text = (tq.options || [])[j];
        return text ? Object.assign({}, o, {label: text}) : o;
      });
      return out;
    });
    return copy;
  }
  function label(group, key) { var g = I18N[group] || {}; return g[key] || key; }
  function errorText(err) {
    if (!err) return "";
    return (I18N.errors || {})[err.code] || err.message || String(err.code || err);
  }

  /* el("p", {class: "x", onclick: fn, dataset: {id: 1}}, "text", child, [more]) */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key === "dataset") Object.keys(value).forEach(function (k) { node.dataset[k] = value[k]; });
        else if (key.slice(0, 2) === "on" && typeof value === "function") node.addEventListener(key.slice(2), value);
        else if (value === true) node.setAttribute(key, "");
        else node.setAttribute(key, String(value));
      });
    }
    append(node, Array.prototype.slice.call(arguments, 2));
    return node;
  }
  function append(node, children) {
    children.forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      if (Array.isArray(child)) append(node, child);
      else node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function $(id) { return document.getElementById(id); }

  /* Regional-indicator emoji for an ISO 3166-1 alpha-2 code. */
  function flag(code) {
    if (!/^[A-Za-z]{2}$/.test(code || "")) return "";
    var up = code.toUpperCase();
    return String.fromCodePoint(0x1f1e6 + up.charCodeAt(0) - 65, 0x1f1e6 + up.charCodeAt(1) - 65);
  }
  var COUNTRIES = null;
  function countryName(code) {
    if (!COUNTRIES) {
      COUNTRIES = {};
      readJSON("countries", []).forEach(function (pair) { COUNTRIES[pair[0]] = pair[1]; });
    }
    return COUNTRIES[code] || code || "";
  }
  /* The organisation types a profile may give (domain/values.py ORGANISATION_TYPES), in the page's language. */
  var ORG_TYPES = {
    cluster: "Cluster", company: "Company", research: "Research body", public: "Public body",
    other: "Other kind of organisation"
  };
  function orgTypeName(code) { return code ? (ORG_TYPES[code] ? t(ORG_TYPES[code]) : code) : t("Not given"); }
  /* Accent- and case-insensitive form for filtering ("Cote" finds "Côte d'Ivoire"). */
  function fold(text) {
    return String(text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function randomBytes(n) { var a = new Uint8Array(n); crypto.getRandomValues(a); return a; }
  /* crypto.randomUUID exists only on https/localhost; a workshop LAN server may be plain http. */
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = randomBytes(16), h = [];
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    for (var i = 0; i < 16; i++) h.push((b[i] + 0x100).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") + "-" +
      h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }
  /* 32 random bytes as URL-safe base64 without padding: 43 characters. */
  function newToken() {
    var s = "";
    randomBytes(32).forEach(function (x) { s += String.fromCharCode(x); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /* localStorage may be unavailable (private modes, storage disabled): degrade to this tab's memory. */
  var memory = {};
  var store = {
    get: function (key) { try { return localStorage.getItem(key); } catch (e) { return memory[key] || null; } },
    set: function (key, value) { memory[key] = value; try { localStorage.setItem(key, value); } catch (e) { /* memory */ } },
    del: function (key) { delete memory[key]; try { localStorage.removeItem(key); } catch (e) { /* memory */ } }
  };
  /* Secrets from the URL fragment ("#k=…&p=…"), saved under the given storage keys and then hidden from the address
   * bar; a key missing from the fragment comes from storage. fromHash({k: "tavolo:fac:…"}) → {k: token or null}. */
  function fromHash(keys) {
    var params = new URLSearchParams(location.hash.slice(1)), out = {}, found = false;
    Object.keys(keys).forEach(function (name) {
      var value = params.get(name);
      if (value) { store.set(keys[name], value); found = true; }
      out[name] = value || store.get(keys[name]);
    });
    if (found) history.replaceState(null, "", location.pathname + location.search);
    return out;
  }
  function tokenFromHash(storageKey) { return fromHash({k: storageKey}).k; }
  /* A link with new secrets pasted over the open page changes only the fragment (no reload): take them, start over. */
  function reloadOnNewSecrets(keys) {
    window.addEventListener("hashchange", function () {
      var params = new URLSearchParams(location.hash.slice(1));
      if (!Object.keys(keys).some(function (name) { return params.get(name); })) return;
      fromHash(keys);
      location.reload();
    });
  }

  function statusLabel(state) {
    switch (state) {
      case "connected": return t("Connected");
      case "reconnecting": return t("Reconnecting…");
      case "closed": return t("Disconnected");
      default: return t("Connecting…");
    }
  }
  /* Keep a <div class="conn" id="conn-status"><span class="dot"></span><span class="label"></span></div> current. */
  function showStatus(state) {
    var node = $("conn-status");
    if (!node) return;
    node.dataset.state = state;
    node.querySelector(".conn-label").textContent = statusLabel(state);
  }


  /* Apply an update's ops (["set", path, value] / ["del", path]) to the view data; returns the new root. */
  var UNSAFE = ["__proto__", "constructor", "prototype"];
  function applyOps(root, ops) {
    (ops || []).forEach(function (op) {
      var path = op[1] || [];
      if (!path.length) { root = op[0] === "set" ? op[2] : {}; return; }
      if (path.some(function (key) { return UNSAFE.indexOf(String(key)) !== -1; })) return;
      var parent = root;
      for (var i = 0; i < path.length - 1; i++) {
        if (parent[path[i]] === null || typeof parent[path[i]] !== "object") parent[path[i]] = {};
        parent = parent[path[i]];
      }
      var last = path[path.length - 1];
      if (op[0] === "set") parent[last] = op[2];
      else if (Array.isArray(parent)) parent.splice(+last, 1);
      else delete parent[last];
    });
    return root;
  }

  /* The server's clock, estimated NTP-style so that every screen counts down to the same instant: each sample (the
   * welcome after hello, and every pong) gives offset = server_time − (sent + rtt / 2) on this page's monotonic
   * clock (performance.now(): Date may be wrong, or jump); of the last few samples the one with the smallest round
   * trip wins. now() is the server's time in ms since the epoch. */
  var clock = (function () {
    var WINDOW = 12, samples = [], base = null, best = null;
    function perf() { return performance.now(); }
    function sample(serverTime, sentAt, receivedAt) {
      if (typeof serverTime !== "number" || !isFinite(serverTime) || typeof sentAt !== "number") return;
      var rtt = Math.max(0, receivedAt - sentAt), s = {rtt: rtt, base: serverTime - (sentAt + rtt / 2)};
      // A jump of over a second (the device slept, and its monotonic clock with it): the old samples are void.
      if (base !== null && Math.abs(s.base - base) > 1000 + rtt) samples = [];
      samples.push(s);
      if (samples.length > WINDOW) samples.shift();
      best = samples.reduce(function (a, b) { return b.rtt < a.rtt ? b : a; });
      base = best.base;
    }
    return {
      sample: sample,
      perf: perf,
      /* The server's time now (ms since the epoch); this device's own until the first sample. */
      now: function () { return base === null ? Date.now() : perf() + base; },
      /* Server minus this device's Date, in ms (for display and tests). */
      offset: function () { return base === null ? 0 : perf() + base - Date.now(); },
      rtt: function () { return best ? best.rtt : null; },
      /* Set the clock to a moment (ms since the epoch), from which it runs on: a replayed screen's "now". */
      pin: function (ms) { samples = []; best = {rtt: 0, base: ms - perf()}; base = best.base; },
      samples: function () { return samples.length; },
      synced: function () { return base !== null; }
    };
  })();

  var RETRYABLE = {unavailable: 1, rate_limited: 1};
  /* One live websocket to a workshop: hello → snapshot → updates, commands acknowledged once, automatic
   * reconnection (0.5 s → 10 s, with jitter) that resends unacknowledged commands with the same ids. */
  /* The workshop's clock: every time shown is in its zone, in the hour cycle its language has there (computed on the
   * server from CLDR: projections/clock.py) -- never the browser's own zone or locale. Set from each view. */
  var zone = {timezone: "UTC", zone_label: "UTC", hour_cycles: {}};
  function useZone(ws) {
    if (ws && ws.timezone) zone = {timezone: ws.timezone, zone_label: ws.zone_label || ws.timezone, hour_cycles: ws.hour_cycles || {}};
  }
  function currentZone() { return zone; }

  function connect(opts) {
    var ws = null, ready = false, stopped = false, attempt = 0, timer = null, lastSeen = 0;
    var position = null, data = null, pending = new Map(), refusal = null;
    var helloAt = 0, burst = null;
    var noop = function () {};
    var onStatus = opts.onStatus || showStatus, onError = opts.onError || noop;

    function send(frame) {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    }
    function open() {
      clearTimeout(timer);
      if (stopped) return;
      onStatus(attempt ? "reconnecting" : "connecting");
      var url = (location.protocol === "https:" ? "wss" : "ws") + "://" + location.host + "/ws/" + encodeURIComponent(opts.workshopId);
      var socket = ws = new WebSocket(url);
      socket.onopen = function () {
        var hello = {type: "hello"};
        if (opts.token) hello.token = opts.token;
        if (opts.view) hello.view = opts.view;
        if (position !== null) hello.position = position;
        lastSeen = Date.now();
        helloAt = clock.perf();
        send(hello);
      };
      socket.onmessage = function (event) {
        if (socket !== ws) return;
        lastSeen = Date.now();
        var msg;
        try { msg = JSON.parse(event.data); } catch (e) { return; }
        receive(msg);
      };
      socket.onclose = function (event) {
        if (socket !== ws) return;
        ready = false;
        if (stopped) return;
        // 1008 is final (bad token, Origin refused, no such workshop, participant gone), and so is 4404 (the
        // workshop was deleted): the error sent just before it names the reason.
        if (event.code === 1008 || event.code === 4404) {
          return refusal ? fail(refusal, true) : fail({code: "unauthorized", message: event.reason || "unauthorized"});
        }
        attempt += 1;
        var ceiling = Math.min(10000, 500 * Math.pow(2, attempt - 1));
        timer = setTimeout(open, ceiling / 2 + Math.random() * ceiling / 2);
        onStatus("reconnecting");
      };
    }
    function fail(err, told) {  // told: onError has already seen err
      stopped = true;
      clearTimeout(timer);
      onStatus("closed");
      pending.forEach(function (p) { p.reject(err); });
      pending.clear();
      if (!told) onError(err);
      if (ws) ws.close();
    }
    function receive(msg) {
      switch (msg.type) {
        case "welcome":
          ready = true; attempt = 0; refusal = null;
          clock.sample(msg.server_time, helloAt, clock.perf());
          syncBurst();
          onStatus("connected");
          if (opts.onWelcome) opts.onWelcome(msg);
          pending.forEach(function (p) { send(p.frame); });
          break;
        case "snapshot":
          position = msg.position; data = msg.data;
          if (data) useZone(data.workshop);
          if (opts.onSnapshot) opts.onSnapshot(data, msg);
          break;
        case "update":
          if (data === null || (position !== null && msg.position < position)) return;
          position = msg.position;
          data = applyOps(data, msg.ops);
          if (data) useZone(data.workshop);
          if (opts.onUpdate) opts.onUpdate(data, msg);
          break;
        case "pong":
          clock.sample(msg.server_time, msg.t, clock.perf());
          break;
        case "ack":
          settle(msg.id, "resolve", msg);
          break;
        case "error":
          if (msg.id && pending.has(msg.id)) {
            var p = pending.get(msg.id);
            // A patient command (a join: a venue's phones share one address) waits out rate_limited as long as
            // it takes; others retry five times. Never sooner than the server's details.retry_after (seconds),
            // plus jitter so a room's phones refused together do not come back together.
            var patient = p.opts.patient && msg.code === "rate_limited";
            if (RETRYABLE[msg.code] && (patient || p.tries < 5)) {
              p.tries += 1;
              var after = (msg.details && +msg.details.retry_after) || 0;
              var delay = patient ? after * 1000 + Math.random() * Math.max(1000, after * 200)
                                  : Math.max(800 * Math.min(p.tries, 5), after * 1000);
              if (patient && p.opts.onWait) p.opts.onWait(after);
              setTimeout(function () { if (ready && pending.get(msg.id) === p) send(p.frame); }, delay);
              return;
            }
            settle(msg.id, "reject", {code: msg.code, message: msg.message, details: msg.details || null});
          } else if (msg.code === "unauthorized" || msg.code === "not_found" || msg.code === "not_joined") {
            // Definitive: the server closes the socket (1008) next; reconnecting would only be refused again.
            fail({code: msg.code, message: msg.message});
          } else {
            var err = {code: msg.code, message: msg.message};
            if (!msg.id) refusal = err;  // a 1008 close may follow (a refused Origin, say)
            onError(err);
          }
          break;
      }
    }
    function settle(id, how, value) {
      var p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      p[how](value);
    }
    /* opts.patient: retry rate_limited without a cap, calling opts.onWait(seconds) at each refusal. */
    function command(name, args, commandId, opts) {
      var frame = {type: "command", id: commandId || uuid(), name: name, args: args || {}};
      return new Promise(function (resolve, reject) {
        pending.set(frame.id, {frame: frame, resolve: resolve, reject: reject, tries: 0, opts: opts || {}});
        if (ready) send(frame);
      });
    }
    /* Five pings 200 ms apart after every welcome: the clock's first samples (the heartbeat adds one every 20 s). */
    function syncBurst() {
      clearInterval(burst);
      var left = 5;
      burst = setInterval(function () {
        if (!ready || stopped || left-- <= 0) { clearInterval(burst); return; }
        send({type: "ping", t: clock.perf()});
      }, 200);
    }
    function wake() {
      if (stopped) return;
      if (!ws || ws.readyState === WebSocket.CLOSED) { attempt = Math.max(attempt, 1); open(); }
    }
    /* Phones sleep and change networks: a silent socket for 45 s is treated as dead. */
    var heartbeat = setInterval(function () {
      if (!ready) return;
      if (Date.now() - lastSeen > 45000) { ws.close(); return; }
      send({type: "ping", t: clock.perf()});
    }, 20000);
    window.addEventListener("online", wake);
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) return;
      wake();
      if (ready) syncBurst();  // back from sleep: measure the clock again
    });
    open();

    return {
      command: command,
      data: function () { return data; },
      position: function () { return position; },
      isClosed: function () { return stopped; },
      close: function () { stopped = true; clearTimeout(timer); clearInterval(heartbeat); clearInterval(burst); if (ws) ws.close(); }
    };
  }

  window.Tavolo = {
    useZone: useZone, zone: currentZone,
    readJSON: readJSON, t: t, tn: tn, formatNumber: formatNumber, formatPercent: formatPercent, pollIn: pollIn, label: label, errorText: errorText, el: el, clear: clear, $: $, flag: flag,
    countryName: countryName, orgTypeName: orgTypeName, fold: fold, uuid: uuid, newToken: newToken, store: store, fromHash: fromHash, tokenFromHash: tokenFromHash,
    reloadOnNewSecrets: reloadOnNewSecrets,
    showStatus: showStatus, connect: connect, applyOps: applyOps, clock: clock
  };
})();
