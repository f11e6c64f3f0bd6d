"""A live voc server on the demo corpora and a real headless Chromium (Debian's package) driven by
Playwright, for the dashboard tests. ``make test`` installs both (see the Makefile's `browser`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOC = [sys.executable, "-m", "voc.cli"]
#: Chromium flags: no sandbox (CI runs as root), and nothing that reaches for the (closed) network
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
                 "--disable-default-apps", "--disable-extensions"]


def chromium_path() -> str:
    path = os.environ.get("VOC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError("Chromium is not installed: `make browser` installs Debian's chromium package "
                           "(or set VOC_CHROMIUM to a Chromium binary)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """``voc serve`` (waitress and its job worker) on a demo database built from corpora/."""

    folder: Path
    url: str = ""
    keys: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOC_")}
        env.update(VOC_DB=str(self.folder / "voc.db"), VOC_CONFIG=str(ROOT / "corpora" / "voc.toml"),
                   HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        return env

    def voc(self, *args: str, timeout: float = 900) -> str:
        done = subprocess.run([*VOC, *args], env=self.env, cwd=self.folder, capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"voc {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def key(self, role: str, department: str | None = None) -> str:
        name = f"browser-{role}" + (f"-{department}" if department else "")
        if name not in self.keys:
            out = self.voc("keys", "create", "--name", name, "--role", role,
                           *(["--department", department] if department else []))
            self.keys[name] = next(w for w in out.split() if w.startswith("voc_"))
        return self.keys[name]

    def start(self) -> "LiveServer":
        prebuilt = os.environ.get("VOC_TEST_DEMO_DB")  # a demo database built earlier: reused when current
        if prebuilt:
            shutil.copy(prebuilt, self.folder / "voc.db")
        self.voc("demo", "--no-serve", "--corpora", str(ROOT / "corpora"))
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = (self.folder / "serve.log").open("w")
        self.process = subprocess.Popen([*VOC, "serve", "--port", str(port)], env=self.env, cwd=self.folder,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("voc serve did not answer /healthz within 60 s:\n" + (self.folder / "serve.log").read_text())

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.log.close()


def sign_in(page, server: LiveServer, role: str = "admin", department: str | None = None) -> None:
    page.goto(server.url + "/signin")
    page.get_by_label("API key").fill(server.key(role, department))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/signin" not in page.url, page.content()[:2000]


def unlabelled_controls(page) -> list[str]:
    """Form controls a screen reader could not name (no label, aria-label or aria-labelledby)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll(
        'input:not([type=hidden]):not([type=submit]), select, textarea')).filter(el =>
        !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
        .map(el => el.outerHTML.slice(0, 120))""")


def overflows(page) -> bool:
    """Whether the page scrolls sideways (it should not at phone width)."""
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")
