// 排摸通 service worker (issue 5). Served as /sw.js by blueprints/pwa.py, which prepends
// self.PAIMO = {version, shell, pages, offline}: the versioned static files and pages to precache.
//
// - Static files: cache first (their URLs carry a content hash), precached in a versioned cache.
// - Survey screens (/survey/*): network first, cached as they are visited, served from the cache offline.
// - Anything else it cannot serve offline: the /offline page.
// - Never touched: POSTs, /api/, /r (the public report page and poster links) and /check. They work
//   without this worker, exactly as in a browser that never installed it.
/* global self, caches, clients, fetch, URL, Response */
"use strict";

var CONFIG = self.PAIMO || { version: "dev", shell: [], pages: [], offline: "/offline" };
var STATIC_CACHE = "paimo-static-" + CONFIG.version;
var PAGES_CACHE = "paimo-pages";
// Pages fetched on the worker's own account say so: the server then leaves the session's flashed messages
// for the page the person is looking at (templating.page_messages).
var BACKGROUND = { credentials: "same-origin", redirect: "manual", headers: { "X-Paimo-Background": "1" } };
var NETWORK_TIMEOUT_MS = 6000; // a weak signal in a stairwell: serve the cached copy rather than wait
var MAX_PREFETCH = 200;

function isPublicOrApi(path) {
  return path.indexOf("/api/") === 0 || path === "/r" || path.indexOf("/r/") === 0 ||
    path === "/check" || path.indexOf("/check/") === 0 || path === "/sw.js";
}

function isSurveyPage(path) {
  return path === "/" || path.indexOf("/survey/") === 0 || path === "/offline";
}

function cacheablePage(response) {
  var type = response.headers.get("Content-Type") || "";
  return response.ok && response.type === "basic" && !response.redirected && type.indexOf("text/html") === 0;
}

function precachePages() {
  // Pages behind the login: fetched with the cookie, kept only when they are the real page (not the login).
  return caches.open(PAGES_CACHE).then(function (cache) {
    return Promise.all(CONFIG.pages.map(function (url) {
      return fetch(url, BACKGROUND).then(function (response) {
        if (cacheablePage(response)) return cache.put(url, response);
      }).catch(function () {});
    }));
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE)
      .then(function (cache) { return cache.addAll(CONFIG.shell); })
      .then(precachePages)
      .then(function () {
        // The first worker takes over at once; a new version waits until the worker accepts the reload.
        if (!self.registration.active) return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.map(function (name) {
        if (name.indexOf("paimo-static-") === 0 && name !== STATIC_CACHE) return caches.delete(name);
      }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "SKIP_WAITING") {
    self.skipWaiting();
  } else if (data.type === "LOGOUT") {
    // Pages of one worker are not kept for the next person using this phone.
    event.waitUntil(caches.delete(PAGES_CACHE));
  } else if (data.type === "PREFETCH" && Array.isArray(data.urls)) {
    event.waitUntil(prefetch(data.urls.slice(0, MAX_PREFETCH)));
  } else if (data.type === "PRECACHE_PAGES") {
    event.waitUntil(precachePages());
  }
});

function prefetch(urls) {
  // The record forms linked from a building page, one at a time, so that they open in a basement too.
  // A redirect means the session ended: stop at once (each answer to a logged-out request may rewrite the
  // session cookie, and must not race the worker logging in again).
  var stopped = false;
  return caches.open(PAGES_CACHE).then(function (cache) {
    return urls.reduce(function (chain, url) {
      var path = new URL(url, self.location.origin).pathname;
      if (!isSurveyPage(path)) return chain;
      return chain.then(function () {
        if (stopped) return;
        return cache.match(url).then(function (hit) {
          if (hit) return;
          return fetch(url, BACKGROUND).then(function (response) {
            if (response.type === "opaqueredirect") stopped = true;
            else if (cacheablePage(response)) return cache.put(url, response);
          }, function () { stopped = true; });
        });
      });
    }, Promise.resolve());
  });
}

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
      function (error) { clearTimeout(timer); reject(error); });
  });
}

function offlinePage() {
  return caches.match(CONFIG.offline, { ignoreSearch: true }).then(function (hit) {
    return hit || new Response("<!doctype html><meta charset=utf-8><title>没有网络</title><p>现在没有网络，请联网后再试。",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  });
}

function cachedPage(request) {
  var path = new URL(request.url).pathname;
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (hit) {
      if (hit) return hit;
      if (path === "/") return cache.match("/survey/", { ignoreVary: true });
      return undefined;
    });
  });
}

function surveyNavigation(event) {
  var request = event.request;
  var network = fetch(request);
  var update = network.then(function (response) {
    if (cacheablePage(response)) {
      var copy = response.clone();
      return caches.open(PAGES_CACHE).then(function (cache) { return cache.put(request, copy); })
        .then(function () { return response; });
    }
    return response;
  });
  event.waitUntil(update.catch(function () {}));
  return cachedPage(request).then(function (cached) {
    var attempt = cached ? withTimeout(update, NETWORK_TIMEOUT_MS) : update;
    return attempt.catch(function () { return cached || offlinePage(); });
  });
}

function otherNavigation(request) {
  return fetch(request).catch(offlinePage);
}

function staticFile(request) {
  return caches.match(request).then(function (hit) {
    if (hit) return hit;
    return fetch(request).catch(function () {
      // A page cached under an older version names older ?v= URLs: serve the current file.
      return caches.match(request, { ignoreSearch: true }).then(function (any) {
        return any || Response.error();
      });
    });
  });
}

function surveyFragment(request) {
  // htmx blocks such as /survey/form/trainings: network, else the cached copy of exactly this URL. htmx's
  // own requests carry the form's values and fail offline; outbox.js then asks for the bare, precached
  // block and renumbers it.
  return fetch(request).catch(function () {
    return caches.match(request, { ignoreVary: true }).then(function (hit) { return hit || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || isPublicOrApi(url.pathname)) return;

  if (request.mode === "navigate") {
    event.respondWith(isSurveyPage(url.pathname) ? surveyNavigation(event) : otherNavigation(request));
  } else if (url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest") {
    event.respondWith(staticFile(request));
  } else if (url.pathname.indexOf("/survey/form/") === 0) {
    event.respondWith(surveyFragment(request));
  }
});
