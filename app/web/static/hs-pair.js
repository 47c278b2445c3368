// Pairing this phone: the coordinator's one-time code, from `?pair=CODE` in the address (the
// link or QR the console shows) or typed into the "Pair this phone" form, is traded once for
// the handset's token (POST /api/v1/pair). The token is then kept like a pasted one
// (localStorage) and the code leaves the address bar, the history and bookmarks at once.

import { $ } from './dom.js';
import { addStrings, onLangChange, t } from './i18n.js';
import { connect, dropSocket, saveToken } from './hs-conn.js';
import { resetSession, state } from './hs-state.js';
import { renderAll } from './hs-view.js';

addStrings({
  'pair.heading': ['Koble til denne telefonen', 'Pair this phone'],
  'pair.hint': ['Skriv inn koden du har fått av sikkerhetskoordinatoren, eller åpne lenken eller QR-koden du fikk.',
    'Type the code your safety coordinator gave you, or open the link or QR code you were given.'],
  'pair.label': ['Sammenkoblingskode', 'Pairing code'],
  'pair.submit': ['Koble til telefonen', 'Pair this phone'],
  'pair.working': ['Kobler til telefonen …', 'Pairing this phone …'],
  'pair.done': ['Telefonen er koblet til. Koden er brukt opp og trengs ikke mer.',
    'This phone is paired. The code is used up and is not needed any more.'],
  'pair.refused': ['Koden ble ikke godtatt. Den kan være feilskrevet, allerede brukt eller utløpt (en kode gjelder i 15 minutter og kan brukes én gang). Be koordinatoren om en ny kode.',
    'The code was not accepted. It may be mistyped, already used or expired (a code is valid for 15 minutes and works once). Ask your coordinator for a new one.'],
  'pair.tooMany': ['For mange forsøk fra denne enheten. Vent et minutt og prøv igjen.',
    'Too many attempts from this device. Wait a minute and try again.'],
  'pair.failed': ['Fikk ikke kontakt med tjenesten. Sjekk nettet og prøv igjen.',
    'Could not reach the service. Check the network and try again.'],
});

const DONE_SHOW_MS = 10000;
const shown = { key: null, kind: null, timer: null };

function show(key, kind) {
  clearTimeout(shown.timer);
  Object.assign(shown, { key, kind, timer: null });
  if (kind === 'ok') shown.timer = setTimeout(() => show(null, null), DONE_SHOW_MS);
  paint();
}

function paint() {
  const el = $('pair-message');
  el.hidden = !shown.key;
  el.textContent = shown.key ? t(shown.key) : '';
  el.dataset.kind = shown.kind || '';
  el.className = `pair-message ${shown.kind || ''}`;
}

function useToken(value) {
  if (value !== state.token) resetSession();
  state.token = value;
  saveToken(value);
  state.attempt = 0;
  state.authRejected = false;
  dropSocket();
  renderAll();
  connect();
}

/** Trade `code` for a token; true when this phone is now paired. */
async function pairWith(code) {
  show('pair.working', 'busy');
  let response;
  try {
    response = await fetch('/api/v1/pair', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code }),
      cache: 'no-store',
    });
  } catch {
    show('pair.failed', 'error');
    return false;
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.ok && body && typeof body.token === 'string' && body.token) {
    useToken(body.token);
    show('pair.done', 'ok');
    return true;
  }
  show(response.status === 429 ? 'pair.tooMany' : response.status === 400 ? 'pair.refused' : 'pair.failed', 'error');
  return false;
}

/** `?pair=CODE`: leaves the address at once, then pairs; true when the page should not connect
 * now (the pairing connects when it succeeds, or falls back to the token it had). */
export function pairFromUrl() {
  const url = new URL(window.location.href);
  const code = url.searchParams.get('pair');
  if (code === null) return false;
  url.searchParams.delete('pair');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  if (!code.trim()) return false;
  pairWith(code.trim()).then((paired) => {
    if (!paired) connect(); // the token this phone had before, or the sign-in forms
  });
  return true;
}

export function installPairing() {
  $('pair-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('pair-input');
    const code = input.value.trim();
    if (!code) return;
    if (await pairWith(code)) input.value = '';
  });
  onLangChange(paint);
}
