// The console's access to /api/v1: the bearer token (kept in sessionStorage, this tab only) or
// the session cookie of a sign-in through the organisation's identity provider, JSON requests,
// and downloads that need the Authorization header (so no plain links).

const TOKEN_KEY = 'rollekort.console.token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(value) {
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage unavailable: the token is asked for again after a reload
  }
}

/** `?token=` in the URL signs in once and is removed from the address bar and history. */
export function tokenFromUrl() {
  const url = new URL(window.location.href);
  const value = url.searchParams.get('token');
  if (!value) return;
  setToken(value);
  url.searchParams.delete('token');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
}

/** Headers of every console request: the token when there is one (else the session cookie
 * goes along), and the console's header, without which a cookie-carried write is refused. */
export function authHeaders() {
  const headers = { 'X-Rollekort-Console': '1' };
  const value = token();
  if (value) headers.Authorization = `Bearer ${value}`;
  return headers;
}

async function request(path) {
  let response;
  try {
    response = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, String(err?.message || err));
  }
  if (!response.ok) {
    let message = `${response.status}`;
    try {
      message = (await response.json())?.error?.message || message;
    } catch {
      // not JSON
    }
    throw new ApiError(response.status, message);
  }
  return response;
}

export async function getJson(path) {
  return (await request(path)).json();
}

export async function getBlob(path) {
  return (await request(path)).blob();
}

/** Fetch with the token and save the file under `filename`. */
export async function download(path, filename) {
  const url = URL.createObjectURL(await getBlob(path));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** Open a fetched HTML page (the printable debrief) in a new tab. */
export async function openPage(path) {
  const tab = window.open('', '_blank');
  const blob = await getBlob(path);
  const url = URL.createObjectURL(new Blob([blob], { type: 'text/html' }));
  if (tab) tab.location.href = url;
  else window.location.href = url;
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
