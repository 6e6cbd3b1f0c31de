// Floorfeed's phone script: it enhances the plain form (which works without
// it) with an outbox that never loses a report, photos downscaled on the
// phone, a language switch that keeps what was typed, "already reported
// here" with "me too", and the "my reports" page. No framework, no other
// host. Every text comes from the page (data-i18n, both languages).
(function () {
  "use strict";
  var d = document, w = window, ls = safeStorage();
  var root = d.getElementById("ff");
  if (!root || !w.Promise || !w.indexedDB || !w.fetch) return;
  var DICT = JSON.parse(root.getAttribute("data-i18n") || "{}");
  var lang = d.documentElement.lang.indexOf("zh") === 0 ? "zh" : "en";
  var page = root.getAttribute("data-page");
  var MAX_PHOTOS = 3, MAX_SIDE = 1600, JPEG_Q = 0.85;
  var langHooks = [];

  function safeStorage() {
    try { w.localStorage.setItem("ff_t", "1"); return w.localStorage; } catch (e) { return null; }
  }
  function other(l) { return l === "zh" ? "en" : "zh"; }
  function t(k, n, l) {
    var s = (DICT[l || lang] || {})[k];
    if (s == null) s = k;
    return n == null ? s : s.replace("%d", n);
  }
  function $(id) { return d.getElementById(id); }
  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function each(sel, fn) { Array.prototype.forEach.call(d.querySelectorAll(sel), fn); }

  // ---- language -------------------------------------------------------
  function both(k) {
    var a = t(k), b = t(k, null, other(lang));
    return a === b ? a : a + " / " + b;
  }
  function applyLang(l) {
    lang = l;
    d.documentElement.lang = l === "zh" ? "zh-CN" : "en";
    if (DICT[l] && DICT[l].title) d.title = DICT[l].title;
    each("[data-t]", function (e) { e.textContent = t(e.getAttribute("data-t")); });
    each("[data-ta]", function (e) { e.textContent = t(e.getAttribute("data-ta"), null, other(l)); });
    each("[data-t2]", function (e) { e.textContent = both(e.getAttribute("data-t2")); });
    each("[data-tp]", function (e) { e.placeholder = t(e.getAttribute("data-tp")); });
    each("a.switch", function (a) {
      a.hreflang = a.lang = other(l);
      a.href = a.href.replace(/([?&]lang=)\w+/, "$1" + other(l));
    });
    each("input[name=lang]", function (e) { e.value = l; });
    langHooks.forEach(function (f) { f(); });
  }
  function rememberLang(l) {
    if (ls) ls.setItem("ff_lang", l);
    d.cookie = "ff_lang=" + l + "; path=/; max-age=31536000; samesite=lax";
  }
  function setupLang() {
    var fromURL = (/[?&]lang=(zh|en)/.exec(location.search) || [])[1];
    var stored = ls && ls.getItem("ff_lang");
    // A page kept by the service worker may be in another language than the
    // one asked for or chosen: it is one page for both.
    var want = fromURL || stored;
    if (fromURL) rememberLang(fromURL);
    if ((want === "zh" || want === "en") && want !== lang) applyLang(want);
    each("a.switch", function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        var l = other(lang);
        rememberLang(l);
        applyLang(l);
      });
    });
  }

  // ---- IndexedDB: the outbox and the receipts ----------------------------
  var dbp;
  function db() {
    if (!dbp) {
      dbp = new Promise(function (res, rej) {
        var r = indexedDB.open("floorfeed", 1);
        r.onupgradeneeded = function () {
          r.result.createObjectStore("outbox", { keyPath: "key" });
          r.result.createObjectStore("receipts", { keyPath: "receipt" });
        };
        r.onsuccess = function () { res(r.result); };
        r.onerror = function () { rej(r.error); };
      });
    }
    return dbp;
  }
  function store(name, mode, fn) {
    return db().then(function (x) {
      return new Promise(function (res, rej) {
        var tx = x.transaction(name, mode), out;
        var req = fn(tx.objectStore(name));
        if (req) req.onsuccess = function () { out = req.result; };
        tx.oncomplete = function () { res(out); };
        tx.onerror = tx.onabort = function () { rej(tx.error); };
      });
    });
  }
  function all(name) { return store(name, "readonly", function (s) { return s.getAll(); }); }
  function put(name, v) { return store(name, "readwrite", function (s) { return s.put(v); }); }
  function del(name, k) { return store(name, "readwrite", function (s) { return s["delete"](k); }); }

  function uuid() {
    if (w.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (var i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") + "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  // ---- sending ------------------------------------------------------------
  // send posts one outbox item and decides what becomes of it: "sent" (201 or
  // 200: removed, its receipt kept), "fix" (refused for a reason a retry
  // cannot mend: shown, kept, not retried), "wait" (no answer, 429, 5xx:
  // kept, retried later).
  function send(item) {
    var fd = new FormData();
    Object.keys(item.fields).forEach(function (k) { fd.append(k, item.fields[k]); });
    (item.photos || []).forEach(function (b, i) { fd.append("photo", b, "photo-" + (i + 1) + ".jpg"); });
    return fetch("/api/v1/reports", {
      method: "POST", body: fd, credentials: "same-origin",
      headers: { "Idempotency-Key": item.key, "Accept": "application/json" }
    }).then(function (r) {
      return r.json()["catch"](function () { return {}; }).then(function (body) {
        return decide(item, r.status, body, r.headers.get("Retry-After"));
      });
    }, function () {
      return later(item, 0, "m.net_error");
    });
  }
  function decide(item, status, body, retryAfter) {
    if (status === 200 || status === 201) {
      var rc = {
        receipt: body.receipt, code: body.code, id: body.id, status_url: body.status_url,
        title: item.fields.title, line: item.fields.line, sent: Date.now(), key: item.key, status: body.status
      };
      return put("receipts", rc).then(function () { return del("outbox", item.key); })
        .then(function () { return { state: "sent", receipt: rc }; });
    }
    if (status === 429) return later(item, (parseInt(retryAfter, 10) || 30) * 1000, "m.busy");
    if (status >= 400 && status < 500 && status !== 408) {
      var e = body.error || {};
      item.state = "fix";
      item.errors = e.fields || {};
      item.message = e.message || t("m.unknown_error", status);
      return put("outbox", item).then(function () { return { state: "fix", item: item }; });
    }
    return later(item, 0, status >= 500 ? "m.busy" : "m.net_error");
  }
  // later keeps item for a retry: after wait ms (Retry-After), else with an
  // exponential backoff (2 s, 4 s … at most 5 min, jittered).
  function later(item, wait, why) {
    item.attempts = (item.attempts || 0) + 1;
    var backoff = Math.min(300000, 2000 * Math.pow(2, item.attempts - 1)) * (0.75 + Math.random() / 2);
    item.next = Date.now() + (wait || backoff);
    item.why = why;
    return put("outbox", item).then(function () { return { state: "wait", item: item }; });
  }

  // flush sends every waiting item that is due (all of them when force),
  // one at a time, one flush at a time in this page and, where the browser
  // has Web Locks, across its tabs.
  var flushing = null;
  function flush(force) {
    if (flushing) return flushing;
    var run = function () {
      return all("outbox").then(function (items) {
        var now = Date.now();
        var due = items.filter(function (i) { return i.state === "waiting" && (force || !i.next || i.next <= now); });
        due.sort(function (a, b) { return a.created - b.created; });
        return due.reduce(function (p, i) { return p.then(function () { return send(i); }); }, Promise.resolve());
      });
    };
    var p = navigator.locks ? navigator.locks.request("ff-outbox", run) : run();
    flushing = p["catch"](function () {}).then(function () { flushing = null; return render(); });
    return flushing;
  }
  // online: what failed for want of a network is due now (a 429 keeps its wait).
  function wakeUp() {
    return all("outbox").then(function (items) {
      return Promise.all(items.filter(function (i) { return i.why === "m.net_error"; })
        .map(function (i) { i.next = 0; return put("outbox", i); }));
    }).then(function () { return flush(false); });
  }

  // ---- the outbox on the page -------------------------------------------
  var renderHooks = [];
  function render() {
    return all("outbox").then(function (items) {
      renderHooks.forEach(function (f) { f(items); });
      return items;
    });
  }
  function outboxView(items) {
    var box = $("outbox");
    if (!box) return;
    var waiting = items.filter(function (i) { return i.state === "waiting"; });
    var fix = items.filter(function (i) { return i.state === "fix" && i.key !== current.key; });
    box.textContent = "";
    box.hidden = !waiting.length && !fix.length;
    if (waiting.length) box.appendChild(el("p", "count", waiting.length === 1 ? t("m.waiting_one") : t("m.waiting_n", waiting.length)));
    if (fix.length) box.appendChild(el("p", "count fixc", fix.length === 1 ? t("m.fix_one") : t("m.fix_n", fix.length)));
    var ul = el("ul", "outbox-list");
    waiting.concat(fix).forEach(function (i) {
      var li = el("li");
      li.appendChild(el("span", "otitle", i.fields.title || t("m.no_title")));
      li.appendChild(el("span", "ostate", i.state === "fix" ? t("m.state_fix") + ": " + (i.message || "") : t("m.state_waiting")));
      if (i.state === "fix") {
        var b = el("button", "btn2", t("m.fix"));
        b.type = "button";
        b.addEventListener("click", function () { loadIntoForm(i); });
        li.appendChild(b);
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  // ---- the form -------------------------------------------------------------
  var form, current = { key: "", photos: [] }, busy = false, leaving = false;
  var FIELDS = ["line", "token", "category", "severity", "title", "body", "station", "role", "reporter", "contact", "lang"];

  function newReport() {
    current = { key: uuid(), photos: [] };
    form.elements.idempotency_key.value = current.key;
    showThumbs();
  }
  function collect() {
    var f = {}, fd = new FormData(form);
    FIELDS.forEach(function (k) { var v = fd.get(k); if (v != null && v !== "") f[k] = String(v); });
    f.lang = lang;
    return {
      key: current.key, created: current.created || Date.now(), fields: f,
      photos: current.photos.slice(), state: "waiting", attempts: 0, next: 0
    };
  }
  function setState(msg) { var s = $("sendstate"); if (s) s.textContent = msg || ""; }
  function clearErrors() {
    each("form .err, form .alert", function (e) { e.parentNode.removeChild(e); });
    each("form [aria-invalid]", function (e) { e.removeAttribute("aria-invalid"); e.removeAttribute("aria-describedby"); });
    var p = $("problems");
    if (p) p.parentNode.removeChild(p);
  }
  function showErrors(item) {
    clearErrors();
    var top = el("div", "alert");
    top.setAttribute("role", "alert");
    top.appendChild(el("p", null, item.message || t("m.fix_intro")));
    form.insertBefore(top, form.firstChild);
    Object.keys(item.errors || {}).forEach(function (name) {
      var field = form.elements[name], msg = el("p", "err", item.errors[name]);
      msg.id = "e-" + name;
      var at = field && (field.length && !field.tagName ? field[0].closest("fieldset") : field);
      if (!at || at.type === "hidden") { top.appendChild(msg); return; }
      if (at.tagName !== "FIELDSET") { at.setAttribute("aria-invalid", "true"); at.setAttribute("aria-describedby", msg.id); }
      at.parentNode.insertBefore(msg, at.nextSibling);
    });
    top.scrollIntoView && top.scrollIntoView();
  }
  function loadIntoForm(item) {
    Object.keys(item.fields).forEach(function (k) {
      var f = form.elements[k];
      if (!f || k === "lang") return;
      if (f.length && !f.tagName) Array.prototype.forEach.call(f, function (r) { r.checked = r.value === item.fields[k]; });
      else f.value = item.fields[k];
    });
    current = { key: item.key, photos: (item.photos || []).slice(), created: item.created };
    form.elements.idempotency_key.value = item.key;
    showThumbs();
    showErrors(item);
    render();
  }
  function resetForm() {
    var keep = {};
    ["line", "token", "lang", "station", "role", "reporter", "contact"].forEach(function (k) { if (form.elements[k]) keep[k] = form.elements[k].value; });
    form.reset();
    Object.keys(keep).forEach(function (k) { form.elements[k].value = keep[k]; });
    newReport();
  }
  function onSubmit(ev) {
    ev.preventDefault();
    if (busy) return; // a double tap: the first one is the report
    busy = true;
    var btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    clearErrors();
    setState(t("m.sending"));
    var item = collect();
    put("outbox", item).then(function () {
      return navigator.locks ? navigator.locks.request("ff-outbox", function () { return send(item); }) : send(item);
    }).then(function (res) {
      if (res.state === "sent") {
        setState(t("m.sent"));
        leaving = true; // a tap while the status page loads changes nothing
        location.assign(res.receipt.status_url + "?lang=" + lang);
        return;
      }
      if (res.state === "fix") { setState(""); showErrors(res.item); return; }
      setState(t("m.saved"));
      resetForm();
    })["catch"](function () {
      // IndexedDB refused (private mode, full disk): let the browser post
      // the form itself, as without JavaScript.
      form.removeEventListener("submit", onSubmit);
      form.submit();
    }).then(function () {
      busy = leaving;
      btn.disabled = leaving;
      return render();
    });
  }

  // ---- photos -------------------------------------------------------------
  // downscale makes a JPEG of at most MAX_SIDE px on its long side, upright
  // (the EXIF orientation applied), without the original's metadata.
  function downscale(file) {
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (img) {
      var s = Math.min(1, MAX_SIDE / Math.max(img.width, img.height));
      var c = el("canvas");
      c.width = Math.round(img.width * s);
      c.height = Math.round(img.height * s);
      c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
      if (img.close) img.close();
      return new Promise(function (res, rej) {
        c.toBlob(function (b) { if (b) res(b); else rej(new Error("encode")); }, "image/jpeg", JPEG_Q);
      });
    });
  }
  function addPhotos(ev) {
    var files = Array.prototype.slice.call(ev.target.files || []);
    ev.target.value = "";
    var chain = Promise.resolve();
    files.forEach(function (f) {
      chain = chain.then(function () {
        if (current.photos.length >= MAX_PHOTOS) { setState(t("m.too_many")); return; }
        return downscale(f).then(function (b) { current.photos.push(b); showThumbs(); }, function () { setState(t("m.photo_failed")); });
      });
    });
    return chain;
  }
  function showThumbs() {
    var ul = $("thumbs");
    if (!ul) return;
    ul.textContent = "";
    current.photos.forEach(function (b, i) {
      var li = el("li"), c = el("canvas");
      c.width = c.height = 96;
      c.setAttribute("role", "img");
      c.setAttribute("aria-label", t("m.photo_n", i + 1));
      createImageBitmap(b).then(function (img) {
        var s = Math.max(96 / img.width, 96 / img.height);
        c.getContext("2d").drawImage(img, (96 - img.width * s) / 2, (96 - img.height * s) / 2, img.width * s, img.height * s);
      }, function () {});
      var x = el("button", "rm", "×");
      x.type = "button";
      x.setAttribute("aria-label", t("m.remove_photo", i + 1));
      x.addEventListener("click", function () { current.photos.splice(i, 1); showThumbs(); });
      li.appendChild(c);
      li.appendChild(x);
      ul.appendChild(li);
    });
    var full = current.photos.length >= MAX_PHOTOS;
    each(".pickers input", function (e) { e.disabled = full; });
  }

  // ---- already reported here ------------------------------------------------
  function deviceId() {
    var id = ls && ls.getItem("ff_device");
    if (!id) { id = uuid(); if (ls) ls.setItem("ff_device", id); }
    return id;
  }
  var openReports = null;
  function loadOpen() {
    var line = form.elements.line.value, token = form.elements.token.value;
    return fetch("/api/v1/lines/" + encodeURIComponent(line) + "/open?t=" + encodeURIComponent(token), {
      headers: { "Accept": "application/json", "X-Device-Id": deviceId() }, credentials: "same-origin"
    }).then(function (r) {
      $("open").setAttribute("data-status", r.status);
      if (!r.ok) return null; // 404: not on this server; others: maybe later
      return r.json();
    }).then(function (j) {
      openReports = j && j.reports && j.reports.length ? j.reports : null;
      showOpen();
      // The server's own list (for phones without JavaScript, with a form
      // per "me too") gives way to the live one.
      var plain = $("open-reports");
      if (plain && j) plain.hidden = true;
    }, function () {});
  }
  function age(iso) {
    var m = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
    if (m < 60) return t("m.ago_min", m);
    if (m < 1440) return t("m.ago_hour", Math.round(m / 60));
    return t("m.ago_day", Math.round(m / 1440));
  }
  function showOpen() {
    var sec = $("open"), ul = $("open-list");
    if (!sec || !openReports) return;
    ul.textContent = "";
    openReports.forEach(function (r) {
      var li = el("li");
      li.appendChild(el("span", "otitle", r.title));
      li.appendChild(el("span", "ostate", [t("st." + r.status), age(r.created_at), t("m.votes", r.votes || 0)].join(" · ")));
      var b = el("button", "btn2 metoo", r.voted ? t("m.metoo_done") : t("m.metoo"));
      b.type = "button";
      b.setAttribute("aria-pressed", r.voted ? "true" : "false");
      b.disabled = !!r.voted;
      b.addEventListener("click", function () { vote(r, b); });
      li.appendChild(b);
      ul.appendChild(li);
    });
    sec.hidden = false;
  }
  function vote(r, b) {
    b.disabled = true;
    fetch("/api/v1/reports/" + encodeURIComponent(r.id) + "/votes", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ token: form.elements.token.value, device_id: deviceId() })
    }).then(function (res) {
      if (!res.ok) throw new Error("vote " + res.status);
      return res.json();
    }).then(function (j) {
      r.votes = j.votes; r.voted = j.voted !== false;
      showOpen();
    })["catch"](function () { b.disabled = false; });
  }

  // ---- my reports -------------------------------------------------------------
  var myRows = null;
  function loadMy() {
    return Promise.all([all("receipts"), all("outbox")]).then(function (r) {
      myRows = r;
      showMy();
      return Promise.all(r[0].map(function (rc) {
        return fetch("/api/v1/receipts/" + encodeURIComponent(rc.receipt), { headers: { "Accept": "application/json" } })
          .then(function (res) { return res.ok ? res.json() : null; })
          .then(function (j) {
            if (j) { rc.status = j.status; rc.checked = Date.now(); rc.code = j.code || rc.code; return put("receipts", rc); }
          }, function () { rc.offline = true; });
      }));
    }).then(showMy);
  }
  function showMy() {
    var ul = $("my-list"), st = $("my-state");
    if (!ul || !myRows) return;
    var rcs = myRows[0].slice().sort(function (a, b) { return b.sent - a.sent; });
    ul.textContent = "";
    myRows[1].forEach(function (i) {
      var li = el("li");
      li.appendChild(el("span", "otitle", i.fields.title || t("m.no_title")));
      li.appendChild(el("span", "ostate", i.state === "fix" ? t("m.state_fix") : t("m.state_waiting")));
      ul.appendChild(li);
    });
    var offline = false;
    rcs.forEach(function (rc) {
      var li = el("li"), a = el("a", "otitle", rc.title || rc.code);
      a.href = rc.status_url + "?lang=" + lang;
      li.appendChild(a);
      li.appendChild(el("span", "ostate", [rc.code, t("st." + (rc.status || "new")), t("line." + rc.line)].join(" · ")));
      if (rc.offline) offline = true;
      ul.appendChild(li);
    });
    st.textContent = !rcs.length && !myRows[1].length ? t("m.my_empty") : offline ? t("m.my_offline") : "";
  }

  // ---- start ----------------------------------------------------------------
  function start() {
    setupLang();
    each(".js-only", function (e) { e.hidden = false; });
    if (page === "form") {
      if (ls) ls.setItem("ff_form", location.pathname + location.search.replace(/[?&]lang=\w+/, ""));
      form = d.querySelector("form.card");
      var cam = $("f-camera"), gal = $("f-photo");
      cam.hidden = false;
      gal.className = "vh";
      gal.removeAttribute("name"); // the script sends the downscaled copies
      cam.addEventListener("change", addPhotos);
      gal.addEventListener("change", addPhotos);
      newReport();
      form.addEventListener("submit", onSubmit);
      renderHooks.push(outboxView);
      langHooks.push(render, showThumbs, showOpen);
      loadOpen();
    } else if (page === "my") {
      var back = ls && ls.getItem("ff_form"), a = $("my-back");
      if (back && a && back.indexOf("/r/") === 0) { a.href = back; a.parentNode.hidden = false; }
      renderHooks.push(function (items) { if (myRows) { myRows[1] = items; showMy(); } });
      langHooks.push(showMy);
      loadMy();
    }
    render();
    flush(false);
    w.addEventListener("online", wakeUp);
    w.addEventListener("focus", function () { flush(false); });
    d.addEventListener("visibilitychange", function () { if (d.visibilityState === "visible") flush(false); });
    setInterval(function () { flush(false); }, 10000);
    registerWorker();
  }
  function registerWorker() {
    if (!navigator.serviceWorker) return;
    navigator.serviceWorker.register("/sw.js").then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      // The first visit was not served by the worker: ask it to keep this
      // page for next time.
      if (reg.active) reg.active.postMessage({ keep: location.href });
    })["catch"](function () {});
  }
  start();
})();
