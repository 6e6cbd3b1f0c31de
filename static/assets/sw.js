// Floorfeed's service worker. The server puts VERSION (a hash over every
// asset of the release) and SHELL (the hashed URLs of the files every page
// needs) in front of this file, so a release that changes any file changes
// this script, and browsers install the new worker.
//
// Pages (the form /r/…, /my) are network first: a phone online always gets
// the current page, and the copy kept for offline use is refreshed each
// time. Hashed files are cache first (their content never changes). The API
// is never touched: the outbox in the page decides what to retry.
var SHELL_CACHE = "ff-shell-" + VERSION;
var PAGE_CACHE = "ff-pages";
var PAGE_TIMEOUT = 6000; // bad plant Wi-Fi: give up on the network after this
var MAX_PAGES = 30;

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(SHELL_CACHE).then(function (c) {
    return c.addAll(SHELL);
  }).then(function () {
    return self.skipWaiting(); // never keep a phone on the old release
  }));
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("ff-shell-") === 0 && k !== SHELL_CACHE;
    }).map(function (k) { return caches["delete"](k); }));
  }).then(function () {
    return self.clients.claim();
  }).then(refreshPages));
});

// refreshPages fetches the kept pages again: they name the old release's
// files, which are gone from the cache now.
function refreshPages() {
  return caches.open(PAGE_CACHE).then(function (c) {
    return c.keys().then(function (reqs) {
      return Promise.all(reqs.map(function (r) {
        return fetch(r.url, { credentials: "same-origin" }).then(function (res) {
          if (res.ok) return c.put(r, res);
        })["catch"](function () {});
      }));
    });
  });
}

// pageKey is the cache key of a page: its URL without the lang parameter
// (the page's script applies the language the phone chose).
function pageKey(url) {
  var u = new URL(url);
  u.searchParams["delete"]("lang");
  return u.toString();
}

function keepPage(url, res) {
  return caches.open(PAGE_CACHE).then(function (c) {
    return c.put(pageKey(url), res).then(function () {
      return c.keys();
    }).then(function (keys) {
      if (keys.length > MAX_PAGES) return c["delete"](keys[0]);
    });
  });
}

function isPage(url) {
  return url.pathname.indexOf("/r/") === 0 || url.pathname === "/my";
}

function networkFirst(req) {
  var net = new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, PAGE_TIMEOUT);
    fetch(req).then(function (res) { clearTimeout(timer); resolve(res); }, function (err) { clearTimeout(timer); reject(err); });
  });
  function kept(fallback) {
    return caches.open(PAGE_CACHE).then(function (c) {
      return c.match(pageKey(req.url)).then(function (hit) {
        return hit || c.match(req.url, { ignoreSearch: true });
      });
    }).then(function (hit) {
      return hit || fallback || Response.error();
    });
  }
  return net.then(function (res) {
    if (res.ok) keepPage(req.url, res.clone());
    // A server in trouble (5xx, a proxy's 502) is no reason to lose the
    // form: the kept copy can still fill the outbox.
    return res.status >= 500 ? kept(res) : res;
  }, function () {
    return kept(null);
  });
}

function cacheFirst(req) {
  return caches.match(req).then(function (hit) {
    return hit || fetch(req).then(function (res) {
      if (res.ok) {
        var copy = res.clone();
        caches.open(SHELL_CACHE).then(function (c) { c.put(req, copy); });
      }
      return res;
    });
  });
}

self.addEventListener("fetch", function (e) {
  var req = e.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    e.respondWith(cacheFirst(req));
  } else if (req.mode === "navigate" && isPage(url)) {
    e.respondWith(networkFirst(req));
  }
});

// A page opened before this worker controlled it asks to be kept.
self.addEventListener("message", function (e) {
  var url = e.data && e.data.keep;
  if (!url) return;
  var u = new URL(url);
  if (u.origin !== self.location.origin || !isPage(u)) return;
  e.waitUntil(fetch(url, { credentials: "same-origin" }).then(function (res) {
    if (res.ok) return keepPage(url, res);
  })["catch"](function () {}));
});
