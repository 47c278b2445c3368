// Web Push for the locked phone (docs/push.md): the page asks for notification permission on a
// tap, subscribes with the service's VAPID key and stores the subscription for its handset
// (PUT /api/v1/push/subscription). It leaves the handset token (and the language) in the Cache
// API, where the service worker reads it to confirm pushes and answer from the lock screen.
// Everything here is optional: without push support the page works as before.

import { $ } from './dom.js';
import { addStrings, lang, onLangChange, t } from './i18n.js';
import { state } from './hs-state.js';

const TOKEN_CACHE = 'rollekort-handset-token';

addStrings({
  'push.on': ['Varsler på låst skjerm: på', 'Lock-screen notifications: on'],
  'push.off': ['Varsler på låst skjerm: AV. Uten dem når alarmer deg bare når appen er åpen.',
    'Lock-screen notifications: OFF. Without them alarms reach you only while the app is open.'],
  'push.blocked': ['Varsler er blokkert i nettleseren: slå dem på i innstillingene.',
    'Notifications are blocked in the browser: allow them in its settings.'],
  'push.unsupported': ['Denne nettleseren kan ikke vekke telefonen: installer appen fra Chrome, Edge, Firefox eller Safari (hjemskjerm).',
    'This browser cannot wake the phone: install the app from Chrome, Edge, Firefox or Safari (home screen).'],
  'push.enable': ['Slå på varsler', 'Turn on notifications'],
  'push.failed': ['Kunne ikke slå på varsler: {why}', 'Could not turn on notifications: {why}'],
});

function supported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function keyBytes(b64url) {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** The token and language for the service worker; `null` removes them (sign out). */
export async function shareWithWorker(token) {
  if (!('caches' in window)) return;
  try {
    const cache = await caches.open(TOKEN_CACHE);
    if (token) {
      await cache.put('/handset-token', new Response(token));
      await cache.put('/handset-lang', new Response(lang()));
    } else {
      await cache.delete('/handset-token');
    }
  } catch {
    // storage refused (private mode): pushes then show but cannot be confirmed
  }
}

function sameKey(sub, key) {
  const had = sub.options && sub.options.applicationServerKey;
  if (!had) return true;
  const a = new Uint8Array(had);
  return a.length === key.length && a.every((b, i) => b === key[i]);
}

async function subscribe() {
  const registration = await navigator.serviceWorker.ready;
  const found = await fetch('/api/v1/push/key').then((r) => (r.ok ? r.json() : Promise.reject(new Error(`key ${r.status}`))));
  const key = keyBytes(found.public_key);
  let sub = await registration.pushManager.getSubscription();
  if (sub && !sameKey(sub, key)) {
    await sub.unsubscribe(); // the service has a new VAPID key: the old subscription is dead
    sub = null;
  }
  if (!sub) {
    sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  }
  const response = await fetch('/api/v1/push/subscription', {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${state.token}` },
    body: JSON.stringify(sub.toJSON()),
  });
  if (!response.ok) throw new Error(`subscription ${response.status}`);
}

let lastError = null;
onLangChange(() => renderPush(lastError)); // one language per screen: the panel follows a switch

export function renderPush(error = null) {
  lastError = error;
  const text = $('push-state');
  const button = $('push-enable');
  if (!text || !button) return;
  let key = 'push.unsupported';
  if (supported()) {
    const permission = Notification.permission;
    key = permission === 'granted' && state.pushOn ? 'push.on' : permission === 'denied' ? 'push.blocked' : 'push.off';
  }
  text.textContent = error ? t('push.failed', { why: error }) : t(key);
  text.dataset.state = key.slice(5);
  button.textContent = t('push.enable');
  button.hidden = key !== 'push.off';
}

/** After every welcome: the worker gets the token; a phone that allowed notifications before
 * renews its subscription (the browser may have rotated it). */
export async function afterWelcome() {
  await shareWithWorker(state.token);
  if (supported() && Notification.permission === 'granted') {
    try {
      await subscribe();
      state.pushOn = true;
    } catch {
      state.pushOn = false;
    }
  }
  renderPush();
}

/** The tap on "Turn on notifications": permission needs a user gesture. */
export async function enablePush() {
  if (!supported()) return renderPush();
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return renderPush();
  try {
    await subscribe();
    state.pushOn = true;
    return renderPush();
  } catch (err) {
    state.pushOn = false;
    return renderPush(String(err && err.message ? err.message : err));
  }
}

export async function signOutPush(token) {
  await shareWithWorker(null);
  if (!token || !supported()) return;
  await fetch('/api/v1/push/subscription', {
    method: 'DELETE', headers: { Authorization: `Bearer ${token}` },
  }).catch(() => null);
}
