// Writes to /api/v1 from the console's office page (POST, DELETE) with the console's token or session,
// shared by the handsets and role-cards panels; reads go through console-api.js.

import { t } from './i18n.js';
import { ApiError, authHeaders } from './console-api.js';

export const WRITERS = new Set(['admin', 'coordinator']);

/** A write to /api/v1 with the console's token: JSON (or the given text type) in, JSON out. */
export async function send(method, path, body = undefined, type = 'application/json') {
  const headers = authHeaders();
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = type;
    init.body = type === 'application/json' ? JSON.stringify(body) : body;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, String(err?.message || err));
  }
  let data = null;
  try {
    data = response.status === 204 ? null : await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const err = new ApiError(response.status, data?.error?.message || String(response.status));
    err.code = data?.error?.code || '';
    throw err;
  }
  return data;
}

/** A message kept as a key and its values, so it follows a change of language. */
export function msg(key, vars = {}) {
  return { key, vars };
}

/** The text of a message from `msg`, in the current language ('' for none). */
export function say(m) {
  return m ? t(m.key, m.vars) : '';
}

/** The message for a failed request. */
export function failure(err) {
  return msg('o.failed', { msg: err?.message || String(err) });
}
