/* Switchboard messenger: window.Intercom(method, ...) for the customer's own pages.
   Install: set window.intercomSettings (app_id and the user's fields), then load this script
   (Settings > Messenger > Install has the snippet). Calls made before it loads wait in
   Intercom.q and are replayed. No cookies: a visitor id is kept in localStorage. */
(function () {
  "use strict";

  var script = document.currentScript;
  var scriptBase = script && script.src ? script.src.replace(/\/messenger\/messenger[^/]*\.js.*$/, "") : "";
  var existing = window.Intercom;
  var queued = existing && existing.q ? existing.q.slice() : [];
  if (existing && existing.switchboard) return; // loaded twice: the first copy serves

  var VISITOR_KEY = "switchboard-messenger-visitor";
  var UPDATE_LIMIT = 20; // Intercom's: 20 updates per 30 minutes per page load
  var UPDATE_WINDOW_MS = 30 * 60 * 1000;
  var RETRIES = [1000, 2000, 4000, 8000, 16000];

  var settings = {};
  var booted = false;
  var updateTimes = [];
  var pendingUpdate = null; // updates past the limit, merged: the latest values always win
  var pendingTimer = null;
  var handlers = { show: [], hide: [], unread: [] };

  function apiBase() {
    return (settings.api_base || scriptBase || "").replace(/\/$/, "");
  }

  function visitorId() {
    try {
      var id = window.localStorage.getItem(VISITOR_KEY);
      if (!id) {
        id = (window.crypto && window.crypto.randomUUID) ? window.crypto.randomUUID()
          : String(Date.now()) + Math.random().toString(16).slice(2);
        window.localStorage.setItem(VISITOR_KEY, id);
      }
      return id;
    } catch (e) {
      return null; // storage refused: a visitor is then one page load
    }
  }

  function copy(source) {
    var out = {};
    for (var key in source) if (Object.prototype.hasOwnProperty.call(source, key)) out[key] = source[key];
    return out;
  }

  function merge(into, from) {
    for (var key in from) if (Object.prototype.hasOwnProperty.call(from, key)) into[key] = from[key];
    return into;
  }

  // Calls go out one after another, in the order they were made: an event queued right after
  // the boot reaches the server after the boot that makes its user.
  var inOrder = Promise.resolve();
  function send(path, body) {
    var next = inOrder.then(function () { return post(path, body); });
    inOrder = next.catch(function () { return null; });
    return next;
  }

  // POST JSON; network failures and 5xx retry with backoff, other answers are final.
  function post(path, body, attempt) {
    attempt = attempt || 0;
    if (!window.fetch) return Promise.resolve(null);
    return window.fetch(apiBase() + "/messenger/api/" + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      keepalive: true
    }).then(function (response) {
      if (response.status >= 500 && attempt < RETRIES.length) return retry(path, body, attempt);
      return response.json().catch(function () { return null; }).then(function (answer) {
        if (!response.ok && window.console) {
          var error = answer && answer.errors && answer.errors[0];
          window.console.warn("Switchboard messenger: " + (error ? error.message : response.status));
        }
        return answer;
      });
    }, function () {
      return attempt < RETRIES.length ? retry(path, body, attempt) : null;
    });
  }

  function retry(path, body, attempt) {
    return new Promise(function (resolve) {
      window.setTimeout(function () { resolve(post(path, body, attempt + 1)); }, RETRIES[attempt]);
    });
  }

  function payload() {
    var body = copy(settings);
    body.visitor_id = visitorId();
    return body;
  }

  function boot(values) {
    settings = copy(values || window.intercomSettings || {});
    booted = true;
    updateTimes = [];
    return send("boot", payload());
  }

  function update(values) {
    if (!booted) return boot(merge(copy(window.intercomSettings || {}), values || {}));
    merge(settings, values || {});
    var now = Date.now();
    updateTimes = updateTimes.filter(function (t) { return now - t < UPDATE_WINDOW_MS; });
    if (updateTimes.length < UPDATE_LIMIT && !pendingUpdate) {
      updateTimes.push(now);
      return send("boot", payload());
    }
    // Past the limit: keep the latest values and send them once the window allows.
    pendingUpdate = true;
    if (!pendingTimer) {
      var wait = UPDATE_WINDOW_MS - (now - updateTimes[0]);
      pendingTimer = window.setTimeout(function () {
        pendingTimer = null;
        pendingUpdate = null;
        update({});
      }, Math.max(wait, 0));
    }
    return Promise.resolve(null);
  }

  function identity() {
    var keys = ["app_id", "user_id", "email", "user_hash", "intercom_user_jwt"];
    var out = {};
    keys.forEach(function (key) { if (settings[key] !== undefined) out[key] = settings[key]; });
    return out;
  }

  var methods = {
    boot: boot,
    update: update,
    shutdown: function () {
      settings = {};
      booted = false;
      pendingUpdate = null;
      if (pendingTimer) window.clearTimeout(pendingTimer);
      pendingTimer = null;
      try { window.localStorage.removeItem(VISITOR_KEY); } catch (e) { /* nothing kept */ }
      handlers.hide.forEach(function (f) { f(); });
    },
    trackEvent: function (name, metadata) {
      var body = identity();
      body.event_name = name;
      body.metadata = metadata || {};
      body.created_at = Math.floor(Date.now() / 1000);
      return send("events", body);
    },
    getVisitorId: visitorId,
    show: function () { handlers.show.forEach(function (f) { f(); }); },
    hide: function () { handlers.hide.forEach(function (f) { f(); }); },
    showNewMessage: function () { handlers.show.forEach(function (f) { f(); }); },
    onShow: function (f) { if (typeof f === "function") handlers.show.push(f); },
    onHide: function (f) { if (typeof f === "function") handlers.hide.push(f); },
    onUnreadCountChange: function (f) { if (typeof f === "function") handlers.unread.push(f); }
  };

  function Intercom(method) {
    var call = methods[method];
    if (!call) {
      if (window.console) window.console.warn("Switchboard messenger: unknown method " + method);
      return undefined;
    }
    return call.apply(null, Array.prototype.slice.call(arguments, 1));
  }
  Intercom.switchboard = true;
  window.Intercom = Intercom;

  // As with Intercom: settings on the page and no boot waiting, it boots with them first;
  // then the calls made before this script loaded run in order.
  var bootQueued = queued.some(function (args) { return args[0] === "boot"; });
  if (!bootQueued && window.intercomSettings && window.intercomSettings.app_id) boot(window.intercomSettings);
  queued.forEach(function (args) { Intercom.apply(null, Array.prototype.slice.call(args)); });
})();
