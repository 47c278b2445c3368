// Rollekort handset service worker: keeps the page's shell so the handset opens (and shows
// that it is offline, and keeps retrying) without a network. Served from /sw.js and registered
// with scope /handset. Network first: a connected handset always runs the newest page; the
// cache is only the fallback. The websocket and the API are never cached.

const CACHE = 'rollekort-handset-shell-v3';
const SHELL = [
  '/handset',
  '/static/handset.css',
  '/static/handset.js',
  '/static/hs-state.js',
  '/static/hs-conn.js',
  '/static/hs-frames.js',
  '/static/hs-alarm.js',
  '/static/hs-actions.js',
  '/static/hs-view.js',
  '/static/hs-card.js',
  '/static/hs-alert.js',
  '/static/hs-pair.js',
  '/static/i18n.js',
  '/static/texts-nb.json',
  '/static/texts-en.json',
  '/static/hs-text.js',
  '/static/dom.js',
  '/static/manifest.webmanifest',
  '/static/icon.svg',
  '/static/icon-192.png',
  '/static/icon-512.png',
];
const SHELL_PATHS = new Set(SHELL);

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('rollekort-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !SHELL_PATHS.has(url.pathname)) return;
  // /handset?token=… is the same page as /handset: one cache entry, never keyed by the token.
  const key = url.pathname;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(key, copy));
        }
        return response;
      })
      .catch(() => caches.match(key).then((hit) => hit || Response.error())),
  );
});
