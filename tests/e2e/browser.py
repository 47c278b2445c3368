"""Playwright on Debian's chromium for the browser tests, and the accessibility checks they share.

No browser is ever downloaded: the tests use /usr/bin/chromium (`.ci/run` installs it with apt)
and are skipped, with the reason, where it or the `playwright` package is missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Running

CHROMIUM = os.environ.get("ROLLEKORT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
HANDSET = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
ROOT = Path(__file__).resolve().parents[2]
INTERACTIVE = {
    "button",
    "link",
    "textbox",
    "searchbox",
    "combobox",
    "checkbox",
    "radio",
    "slider",
    "spinbutton",
    "switch",
    "menuitem",
    "tab",
}


def require_browser() -> Any:
    """The async Playwright entry point, or a skip that says what is missing."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium; .ci/run does it)")
    return async_playwright


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    async_playwright = require_browser()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def screenshot_dir(tmp_path: Path) -> Path:
    """`ROLLEKORT_SCREENSHOTS=docs/screenshots` refreshes the README's pictures; otherwise the
    screenshots go to the test's temporary directory, so a test run leaves the tree clean."""
    wanted = os.environ.get("ROLLEKORT_SCREENSHOTS")
    path = (ROOT / wanted) if wanted else tmp_path / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


async def unnamed_controls(page: Any) -> list[str]:
    """Interactive nodes of the accessibility tree (as Chromium computes it) without a name."""
    cdp = await page.context.new_cdp_session(page)
    try:
        tree = await cdp.send("Accessibility.getFullAXTree")
    finally:
        await cdp.detach()
    missing = []
    for node in tree["nodes"]:
        if node.get("ignored"):
            continue
        role = node.get("role", {}).get("value")
        name = str(node.get("name", {}).get("value", "")).strip()
        if role in INTERACTIVE and not name:
            missing.append(f"{role} (backend node {node.get('backendDOMNodeId')})")
    return missing


_CONTRAST_JS = """
(minRatio) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
  });
  // The colours behind an element: solid layers blended upwards, and every colour stop of a
  // gradient (the drill stripes) as a separate candidate; the text must be readable on each.
  const backgrounds = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const cs = getComputedStyle(e);
      const stops = (cs.backgroundImage.match(/rgba?\\([^)]+\\)/g) || []).map(parse);
      const bg = parse(cs.backgroundColor);
      layers.push({ stops, bg });
      if ((bg && bg.a === 1) || stops.length) break;
    }
    let bases = [{ r: 255, g: 255, b: 255, a: 1 }];
    for (const layer of layers.reverse()) {
      if (layer.stops.length) bases = layer.stops.map((s) => over(s, bases[0]));
      else if (layer.bg && layer.bg.a > 0) bases = bases.map((b) => over(layer.bg, b));
    }
    return bases;
  };
  const opacity = (el) => {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || seen.has(el) || !el.checkVisibility()) continue;
    seen.add(el);
    const cs = getComputedStyle(el);
    const fg = parse(cs.color);
    fg.a *= opacity(el);
    for (const bg of backgrounds(el)) {
      const text = over(fg, bg);
      const [hi, lo] = [lum(text), lum(bg)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      if (ratio < minRatio) {
        failures.push(`${ratio.toFixed(2)}:1 "${n.textContent.trim().slice(0, 40)}" ` +
          `(${cs.color} on rgb(${Math.round(bg.r)},${Math.round(bg.g)},${Math.round(bg.b)}))`);
        break;
      }
    }
  }
  return failures;
}
"""


async def contrast_failures(page: Any, min_ratio: float = 4.5) -> list[str]:
    """Visible text whose contrast with what is behind it is below `min_ratio` (WCAG AA)."""
    failures: list[str] = await page.evaluate(_CONTRAST_JS, min_ratio)
    return failures


AXE = ROOT / "tests" / "e2e" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_BLOCKING = ("serious", "critical")


async def axe_report(page: Any, where: str) -> list[dict[str, Any]]:
    """Run axe-core (npm package, `npm ci --prefix tests/e2e/axe`) in the page, print its
    summary, and return the serious and critical violations."""
    if not AXE.is_file():
        pytest.skip(f"{AXE} not found (npm ci --prefix tests/e2e/axe; .ci/run does it)")
    if not await page.evaluate("typeof window.axe === 'object'"):
        # Evaluated over the devtools protocol, not as a <script>: a page's CSP cannot block it.
        await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result: dict[str, Any] = await page.evaluate(
        """async () => {
          const r = await axe.run(document, { resultTypes: ['violations'] });
          return { version: axe.version, passes: r.passes.length, incomplete: r.incomplete.length,
            violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) })) };
        }"""
    )
    violations = result["violations"]
    impacts = ("critical", "serious", "moderate", "minor")
    counts = {i: sum(v["impact"] == i for v in violations) for i in impacts}
    print(
        f"axe-core {result['version']} · {where}: {len(violations)} violation(s) "
        + ", ".join(f"{k} {n}" for k, n in counts.items())
        + f"; rules passed {result['passes']}, to review {result['incomplete']}"
    )
    for v in violations:
        print(f"  {v['impact']:<8} {v['id']}: {v['help']} @ {', '.join(v['nodes'])}")
    return [v for v in violations if v["impact"] in AXE_BLOCKING]


async def check_accessible(page: Any, where: str) -> None:
    """Every control has a name, all visible text reaches 4.5:1, and axe-core finds nothing
    serious or critical."""
    assert await unnamed_controls(page) == [], f"{where}: controls without an accessible name"
    assert await contrast_failures(page) == [], f"{where}: text below 4.5:1 contrast"
    if not AXE.is_file():
        warnings.warn(f"axe-core not installed ({AXE}): {where} not checked by axe", stacklevel=2)
        return
    assert await axe_report(page, where) == [], f"{where}: axe-core serious/critical violations"


async def focused(page: Any) -> dict[str, Any]:
    """What has the keyboard focus, and whether the focus is drawn (outline or ring)."""
    found: dict[str, Any] = await page.evaluate(
        """() => {
          const el = document.activeElement;
          const cs = getComputedStyle(el);
          return {
            testid: el.dataset.testid || '',
            role: el.closest('[data-role-id]')?.dataset.roleId || '',
            text: el.textContent.trim(), matchesFocusVisible: el.matches(':focus-visible'),
            outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2,
          };
        }"""
    )
    return found


async def tab_to(page: Any, testid: str, limit: int = 60) -> list[str]:
    """Press Tab until the element with `testid` has the focus; the test ids passed on the way."""
    passed: list[str] = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        now = await focused(page)
        passed.append(now["testid"])
        if now["testid"] == testid:
            return passed
    raise AssertionError(f"Tab never reached {testid}; passed {passed}")


def expect(locator: Any) -> Any:
    from playwright.async_api import expect as pw_expect

    return pw_expect(locator)


async def open_handset(browser: Any, running: Running, token: str) -> Any:
    context = await browser.new_context(viewport=HANDSET, is_mobile=True, has_touch=True)
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    await page.goto(f"{running.base}/handset?token={token}")
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "connected")
    return page


def offer(page: Any, role_id: str) -> Any:
    return page.locator(f'[data-testid="offer"][data-role-id="{role_id}"]')


async def shoot(page: Any, path: Path, full_page: bool = False) -> None:
    """What the user sees from the top: a phone's screen, or the console's whole page."""
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(path), full_page=full_page)


_FOREIGN_JS = """
async () => {
  const { allStrings } = await import('/static/i18n.js');
  const { keys, codes } = allStrings();
  const words = (s) => String(s).replace(/\\{\\w+\\}/g, ' ').toLowerCase()
    .match(/\\p{L}{2,}/gu) || [];
  const vocab = { nb: new Set(), en: new Set() };
  for (const [nb, en] of Object.values(keys)) {
    words(nb ?? '').forEach((w) => vocab.nb.add(w));
    words(en ?? '').forEach((w) => vocab.en.add(w));
  }
  for (const lang of ['nb', 'en']) {
    for (const text of Object.values(codes[lang])) words(text).forEach((w) => vocab[lang].add(w));
  }
  const lang = document.documentElement.lang;
  const mine = vocab[lang];
  const foreign = new Set([...vocab[lang === 'nb' ? 'en' : 'nb']].filter((w) => !mine.has(w)));
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('[translate="no"], script, style, noscript')) continue;
    const marked = el.closest('[lang]');
    if (marked && marked !== document.documentElement && marked.lang !== lang) continue;
    if (!el.checkVisibility()) continue;
    for (const w of words(n.textContent)) {
      if (foreign.has(w)) found.push(`${w}: "${n.textContent.trim().slice(0, 80)}"`);
    }
  }
  return { lang, foreignWords: foreign.size, found };
}
"""


async def foreign_words(page: Any) -> list[str]:
    """Visible words of the other language on the page: words that occur only in the other
    language's strings and server-text tables (role-card data, marked translate="no", aside)."""
    result: dict[str, Any] = await page.evaluate(_FOREIGN_JS)
    assert result["foreignWords"] > 100, "the word lists did not load"
    found: list[str] = result["found"]
    return found
