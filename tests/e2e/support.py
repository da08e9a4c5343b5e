"""Helpers for the PWA's end-to-end tests: sign-in through the UI, staff actions over GraphQL,
ID numbers, measurements and screenshots."""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from playwright.async_api import Page

from api.kit.idnumber import make_id_number

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots" / "pwa"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
STAFF_PASSWORD = "Dachuan2026"
VILLAGE_WORKER = "cun-xinqiao"  # the demo 新桥村 worker
DEMO_PHONE = "13800000001"
XINQIAO = "511703002006"  # 新桥村
CUIPING = "511703002"  # 翠屏街道
PROFILE_SAVE = ("mutation($p: ProfileInput!) { profileSave(input: $p) { __typename "
                "... on ApplicantSuccess { applicant { id } } ... on Error { code message } } }")


@dataclass
class Server:
    url: str
    inbox: Path
    log: Path

    def gql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers,
                       timeout=30)
        r.raise_for_status()
        body = r.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def staff_token(self, username: str = "jd-cuiping") -> str:
        d = self.gql("mutation($u:String!,$p:String!){ authStaffSignIn(username:$u,password:$p){ __typename "
                     "... on SignInSuccess { token } ... on Error { message } } }",
                     {"u": username, "p": STAFF_PASSWORD})["authStaffSignIn"]
        assert d["__typename"] == "SignInSuccess", d
        return d["token"]

    def act(self, mutation: str, case_id: str, args: dict | None = None, *, staff: str = "jd-cuiping") -> dict:
        """Takes a staff action on a case (caseAccept, caseReturn …) and returns the case."""
        args = args or {}
        decl = "".join(f", ${k}: {t}" for k, (t, _) in args.items())
        use = "".join(f", {k}: ${k}" for k in args)
        q = (f"mutation($id: ID!{decl}) {{ {mutation}(caseId: $id{use}) {{ __typename "
             "... on CaseSuccess { case { id status lastSeq } } ... on Error { code message } } }")
        data = self.gql(q, {"id": case_id, **{k: v for k, (_, v) in args.items()}}, self.staff_token(staff))[mutation]
        assert data["__typename"] == "CaseSuccess", data
        return data["case"]

    def latest_code(self, phone: str, after: int = 0, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.inbox.exists():
                lines = [ln.split("\t") for ln in self.inbox.read_text(encoding="utf-8").splitlines()]
                codes = [c for p, c in lines[after:] if p == phone]
                if codes:
                    return codes[-1]
            time.sleep(0.1)
        raise AssertionError(f"no sign-in code for {phone} in {self.inbox}")

    def inbox_lines(self) -> int:
        return len(self.inbox.read_text(encoding="utf-8").splitlines()) if self.inbox.exists() else 0


def submit_case(server: Server, token: str, item: str, form: dict, kinds: tuple[str, ...] = ("id_card",)) -> dict:
    """Applies over the API directly (for tests about what happens after submitting)."""
    ids = []
    for kind in kinds:
        r = httpx.post(f"{server.url}/api/materials", headers={"Authorization": f"Bearer {token}"},
                       data={"kind": kind}, files={"file": (f"{kind}.jpg", photo_bytes(800, 600), "image/jpeg")},
                       timeout=30)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    d = server.gql("mutation($i: CaseSubmitInput!) { caseSubmit(input: $i) { __typename "
                   "... on CaseSuccess { case { id number status } } ... on Error { code message } } }",
                   {"i": {"itemCode": item, "submissionKey": uuid.uuid4().hex, "form": form, "materialIds": ids}},
                   token)["caseSubmit"]
    assert d["__typename"] == "CaseSuccess", d
    return d["case"]


def id_number(birth: date, seq: int, region: str = "511703") -> str:
    """A valid ID number (GB 11643 check character) for someone born on `birth`; an even seq is a woman."""
    return make_id_number(region=region, birth=birth, seq=seq)


def wrong_check_character(number: str) -> str:
    return number[:17] + ("1" if number[17] != "1" else "2")


def photo_bytes(width: int = 2400, height: int = 1600, seed: int = 1) -> bytes:
    """A JPEG 'photo' bigger than 1920 px, so the app has to shrink it."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), (200 + seed % 40, 190, 170))
    draw = ImageDraw.Draw(img)
    for i in range(0, width, 40):
        draw.line([(i, 0), (width - i, height)], fill=(i % 255, (i * 3) % 255, 90), width=6)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=95)
    return buf.getvalue()


# sessions by (server, phone): tests that start their own server must not hand its tokens to the shared one
_sessions: dict[tuple[str, str], str] = {}


async def sign_in(page: Page, server: Server, phone: str, *, through_ui: bool = False) -> str:
    """Signs in and returns the session token: through the sign-in page the first time for a phone,
    later by restoring that session (the server allows one code a minute per phone)."""
    if (server.url, phone) in _sessions and not through_ui:
        await page.goto("/")
        await page.evaluate("s => localStorage.setItem('dachuan.session', s)", _sessions[server.url, phone])
        await page.goto("/")
        return await page.evaluate("JSON.parse(localStorage.getItem('dachuan.session')).token")
    await page.goto("/signin")
    await page.locator("#phone").fill(phone)
    before = server.inbox_lines()
    await page.get_by_test_id("get-code").click()
    code = await asyncio.to_thread(server.latest_code, phone, before)
    await page.locator("#code").fill(code)
    await page.get_by_test_id("sign-in").click()
    await page.wait_for_url(lambda url: "/signin" not in url)
    _sessions[server.url, phone] = await page.evaluate("localStorage.getItem('dachuan.session')")
    return await page.evaluate("JSON.parse(localStorage.getItem('dachuan.session')).token")


async def staff_session(page: Page, server: Server, username: str, role: str) -> str:
    """Signs a staff member in over the API and hands the session to the app (the sign-in page is tested
    elsewhere); returns the token."""
    token = server.staff_token(username)
    saved = {"token": token, "phone": "", "expiresAt": "2099-01-01T00:00:00Z", "kind": "staff", "username": username,
             "role": role, "mustChangePassword": False}
    await page.goto("/")
    await page.evaluate("s => localStorage.setItem('dachuan.session', s)", json.dumps(saved))
    return token


async def set_elder(page: Page, on: bool) -> None:
    await page.evaluate(f"localStorage.setItem('dachuan.elder', '{'1' if on else '0'}')")


async def wait_for_service_worker(page: Page) -> None:
    """Waits until the service worker is active and controls the page (reloading once if needed)."""
    ready = "navigator.serviceWorker.ready.then(() => true)"
    await asyncio.wait_for(page.evaluate(ready), timeout=60)  # never wait for ever on a broken install
    if not await page.evaluate("!!navigator.serviceWorker.controller"):
        await page.reload()
        await asyncio.wait_for(page.evaluate(ready), timeout=60)
    assert await page.evaluate("!!navigator.serviceWorker.controller"), "the service worker does not control the page"


async def eventually(check, within: float = 15, interval: float = 0.2):
    """Returns the first truthy result of the async `check()`, or fails after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {within} s: {check}")
        await asyncio.sleep(interval)


async def screenshot(page: Page, name: str, mode: str) -> Path:
    """Writes var/screenshots/pwa/<name>-<mode>.png at 390×844 (what a phone screen shows)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{mode}.png"
    await page.wait_for_timeout(300)  # let transitions settle
    await page.screenshot(path=str(path), full_page=False)
    return path


# Measures what a person sees: every visible text's size, line height and contrast, and every control's
# size. Elements hidden from sight (visually-hidden file inputs, closed <option>s) are left out.
MEASURE_JS = r"""
() => {
  const visible = (el) => {
    const s = getComputedStyle(el)
    if (s.visibility === 'hidden' || s.display === 'none' || Number(s.opacity) === 0) return false
    if (el.closest('[aria-hidden="true"]') || el.closest('.visually-hidden') || el.closest('option')) return false
    const r = el.getBoundingClientRect()
    return r.width > 1 && r.height > 1 && r.right > 0 && r.left < innerWidth
  }
  const rgba = (c) => { const m = c.match(/[\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1] }
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b) }
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor)
      if (c[3] > 0.5) return c
    }
    return [255, 255, 255, 1]
  }
  const texts = []
  for (const el of document.querySelectorAll('#main *')) {
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join('')
    if (!own || !visible(el)) continue
    const s = getComputedStyle(el)
    const size = parseFloat(s.fontSize)
    const lh = s.lineHeight === 'normal' ? size * 1.2 : parseFloat(s.lineHeight)
    const fg = rgba(s.color), bg = background(el)
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a)
    texts.push({ text: own.slice(0, 30), tag: el.tagName.toLowerCase(), cls: String(el.className).slice(0, 40), size, lineHeight: lh, contrast: (l1 + 0.05) / (l2 + 0.05) })
  }
  const targets = []
  const sel = 'button, a[href], input:not([type=hidden]):not([type=file]), select, textarea, [role=radio], [role=checkbox], [role=switch], [role=button]'
  for (const el of document.querySelectorAll(sel)) {
    if (!visible(el)) continue
    if (el.matches('input, textarea') && el.closest('[role=radio], [role=checkbox]')) continue
    const r = el.getBoundingClientRect()
    targets.push({ name: (el.getAttribute('aria-label') || el.textContent || el.id || el.tagName).trim().slice(0, 30), tag: el.tagName.toLowerCase(), width: r.width, height: r.height })
  }
  const body = parseFloat(getComputedStyle(document.body).fontSize)
  const headings = [...document.querySelectorAll('#main h1, #main h2')].filter(visible).map((h) => ({ text: h.textContent.trim().slice(0, 20), size: parseFloat(getComputedStyle(h).fontSize) }))
  const overlays = [...document.querySelectorAll('.van-overlay, .van-popup, [role=dialog], [role=alertdialog]')].filter(visible).length
  return { body, texts, targets, headings, overlays }
}
"""
