// Rollekort handset service worker: keeps the page's shell so the handset opens (and shows
// that it is offline, and keeps retrying) without a network. Served from /sw.js and registered
// with scope /handset. Network first: a connected handset always runs the newest page; the
// cache is only the fallback. The websocket and the API are never cached.
//
// Web Push (docs/push.md): a locked phone's page is suspended, so offers, lockdown notices and
// alarm closes also arrive here as encrypted pushes. Every push is confirmed to the service
// (POST /api/v1/push/receipts) with the handset token the page left in the Cache API, and an
// offer becomes a lock-screen notification whose Accept / Decline answer over HTTP without
// opening the page (POST /api/v1/handset/answers); tapping it opens the offer.

const CACHE = 'rollekort-handset-shell-v3';
const SHELL = [
  '/static/hs-push.js',
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
      .then((keys) => Promise.all(keys
        .filter((k) => k.startsWith('rollekort-') && k !== CACHE && k !== TOKEN_CACHE)
        .map((k) => caches.delete(k))))
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

// -- Web Push --------------------------------------------------------------------------------

const TOKEN_CACHE = 'rollekort-handset-token'; // written by the page (hs-push.js), never fetched
const TEXTS = {
  nb: {
    acute: 'AKUTT', alarm: 'Alarm', accept: 'Ta rollen', decline: 'Avslå', test: 'Testvarsel',
    testBody: 'Telefonen kan nå vekkes for alarmer.', closed: 'Alarmen er over',
    lockdown: 'Innelåsing: hold dørene låst', lifted: 'Innelåsingen er opphevet',
    taken: 'Du har rollen', refused: 'Svaret ble ikke tatt imot', offline: 'Ikke sendt: åpne appen',
  },
  en: {
    acute: 'ACUTE', alarm: 'Alarm', accept: 'Take the role', decline: 'Decline', test: 'Test push',
    testBody: 'This phone can be woken for alarms.', closed: 'The alarm is over',
    lockdown: 'Lockdown: keep doors locked', lifted: 'Lockdown lifted',
    taken: 'You have the role', refused: 'The answer was not taken', offline: 'Not sent: open the app',
  },
};

async function stored(key) {
  const hit = await (await caches.open(TOKEN_CACHE)).match(key);
  return hit ? hit.text() : null;
}

async function texts() {
  return TEXTS[await stored('/handset-lang')] || TEXTS.nb;
}

async function api(path, body) {
  const token = await stored('/handset-token');
  if (!token) return null;
  return fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

async function pageVisible() {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  return windows.some((w) => w.visibilityState === 'visible' && new URL(w.url).pathname === '/handset');
}

async function notify(msg) {
  const tx = await texts();
  const show = (title, options) => self.registration.showNotification(title, { data: msg, ...options });
  switch (msg.kind) {
    case 'offer':
      if (await pageVisible()) return undefined; // the open page shows it and sounds
      return show(`${msg.level === 'acute' ? tx.acute : tx.alarm}: ${msg.place}`, {
        body: `${msg.role_title} · ${msg.office_name}${msg.mode !== 'real' ? ` (${msg.mode})` : ''}`,
        tag: `offer:${msg.alarm_id}:${msg.role_id}`,
        requireInteraction: true,
        renotify: true,
        vibrate: [400, 200, 400, 200, 400],
        actions: [{ action: 'accept', title: tx.accept }, { action: 'decline', title: tx.decline }],
      });
    case 'lockdown':
    case 'lockdown_lifted':
      return show(msg.kind === 'lockdown' ? tx.lockdown : tx.lifted, {
        body: msg.office_name, tag: `lockdown:${msg.alarm_id}`, requireInteraction: msg.kind === 'lockdown',
      });
    case 'closed': {
      const open = await self.registration.getNotifications();
      for (const n of open) if (n.data && n.data.alarm_id === msg.alarm_id) n.close();
      return show(tx.closed, { tag: `closed:${msg.alarm_id}` });
    }
    case 'test':
      return show(tx.test, { body: `${msg.office_name}: ${tx.testBody}`, tag: 'test' });
    default:
      return undefined; // 'check': silent, only confirmed
  }
}

async function onPush(event) {
  let msg = null;
  try {
    msg = event.data ? event.data.json() : null;
  } catch {
    msg = null;
  }
  if (!msg || typeof msg.id !== 'string' || typeof msg.kind !== 'string') return;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const w of windows) w.postMessage({ type: 'push', push: msg });
  await Promise.all([
    notify(msg),
    api('/api/v1/push/receipts', { push_id: msg.id }).catch(() => null),
  ]);
}

async function answer(msg, action) {
  const tx = await texts();
  const body = { alarm_id: msg.alarm_id, role_id: msg.role_id, answer: action, via: 'push' };
  let response = null;
  try {
    response = await api('/api/v1/handset/answers', body);
  } catch {
    response = null;
  }
  if (response && response.ok) {
    if (action === 'accept') {
      await self.registration.showNotification(tx.taken, {
        body: `${msg.role_title} · ${msg.place}`, tag: `held:${msg.alarm_id}`, data: { ...msg, kind: 'held' },
      });
    }
    return;
  }
  let reason = tx.offline;
  if (response) {
    const error = await response.json().then((b) => b && b.error).catch(() => null);
    reason = (error && error.message) || tx.refused;
  }
  await self.registration.showNotification(tx.refused, {
    body: reason, tag: `offer:${msg.alarm_id}:${msg.role_id}`, data: msg,
  });
}

async function openOffer(msg) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const page = windows.find((w) => new URL(w.url).pathname === '/handset');
  if (page) return page.focus();
  const at = msg && msg.alarm_id ? `?alarm=${encodeURIComponent(msg.alarm_id)}` : '';
  return self.clients.openWindow(`/handset${at}`);
}

function extend(event, promise) {
  try {
    event.waitUntil(promise);
  } catch {
    // an event made by a script (a test) cannot be extended; the promise still runs
  }
  return promise;
}

self.addEventListener('push', (event) => extend(event, onPush(event)));

self.addEventListener('notificationclick', (event) => {
  const note = event.notification;
  const msg = note.data || {};
  note.close();
  if (msg.kind === 'offer' && (event.action === 'accept' || event.action === 'decline')) {
    extend(event, answer(msg, event.action));
    return;
  }
  extend(event, openOffer(msg));
});

// Exposed for tests and debugging only: what a push or a tap would do.
self.rollekortPush = { onPush, answer, openOffer };
