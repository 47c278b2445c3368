// Rollekort handset page: a plain client of protocol v1, section 3 (websocket, handsets).
// ES modules, no build step, no dependencies. Installable: manifest + a service worker that
// caches the shell (sw.js, served from /sw.js with scope /handset).
//
//   hs-state.js   the shared state and small predicates
//   hs-conn.js    websocket, backoff, watchdog, outbox
//   hs-frames.js  server frames → state (hs-alarm.js: offers, updates, closing)
//   hs-actions.js taps → client frames
//   hs-view.js    connection, idle screen, notices;  hs-card.js  one alarm card
//   hs-alert.js   vibration, sound policy (never in public zones), wake lock
//   hs-pair.js    pairing this phone with the coordinator's one-time code

import { $ } from './dom.js';
import { initLang, langButton } from './i18n.js';
import { resetSession, state } from './hs-state.js';
import {
  clearToken, connect, dropSocket, readToken, reconnectNow, saveToken, watchdog,
} from './hs-conn.js';
import { handleFrame } from './hs-frames.js';
import { acknowledgeCard, toggleDuty } from './hs-actions.js';
import { alerts, installAlertHooks } from './hs-alert.js';
import { renderAll, setPhase, tick, toggleSound } from './hs-view.js';
import { installPairing, pairFromUrl } from './hs-pair.js';
import { enablePush, renderPush, signOutPush } from './hs-push.js';

function signIn(ev) {
  ev.preventDefault();
  const value = $('token-input').value.trim();
  if (!value) return;
  if (value !== state.token) resetSession();
  state.token = value;
  saveToken(value);
  $('token-input').value = '';
  state.attempt = 0;
  state.authRejected = false;
  dropSocket();
  renderAll();
  connect();
}

function signOut() {
  signOutPush(state.token);
  clearToken();
  state.token = null;
  dropSocket();
  clearTimeout(state.retryTimer);
  resetSession();
  renderAll();
  setPhase('no-token');
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/handset' }).catch(() => {
    // not installable here (e.g. plain http on a LAN address): the page works without it
  });
}

function start() {
  initLang();
  langButton($('lang-switch'), renderAll);
  installAlertHooks();
  $('token-form').addEventListener('submit', signIn);
  $('logout').addEventListener('click', signOut);
  $('reconnect-now').addEventListener('click', reconnectNow);
  $('sound-toggle').addEventListener('click', toggleSound);
  $('acknowledge').addEventListener('click', acknowledgeCard);
  $('duty-toggle').addEventListener('click', toggleDuty);
  $('push-enable').addEventListener('click', enablePush);
  installPairing();
  const retryIfWaiting = () => {
    if (state.phase === 'reconnecting') reconnectNow();
  };
  window.addEventListener('online', retryIfWaiting);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') retryIfWaiting();
  });
  setInterval(tick, 250);
  setInterval(watchdog, 5000);
  state.token = readToken();
  renderAll();
  if (!pairFromUrl()) connect(); // ?pair=CODE: the coordinator's one-time code (hs-pair.js)
  registerServiceWorker();
  renderPush();
}

// Exposed for tests and debugging only; the page does not depend on it.
window.rollekortHandset = { state, handleFrame, alerts };

start();
