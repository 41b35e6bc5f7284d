"""Headless Chromium driven over the DevTools protocol, with nothing but the standard library.

``--remote-debugging-pipe`` makes Chromium read protocol commands from its fd 3 and write
replies and events to its fd 4, each message JSON ended by a NUL byte: no websocket client, no
open port. A ``Browser`` holds one page; tests load a report page, press keys, click, read
values back with JavaScript and take screenshots.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    """The browser answered a command with an error, or did not answer in time."""


class Browser:
    """One headless Chromium with one page of ``width`` × ``height`` CSS pixels."""

    def __init__(self, profile: Path, width: int = 1366, height: int = 900,
                 binary: Path = CHROMIUM, timeout: float = 60.0) -> None:
        self.timeout = timeout
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()

        def wire_fds() -> None:  # in the child: the protocol's fds 3 (commands) and 4 (replies)
            os.dup2(commands_read, 3)
            os.dup2(replies_write, 4)

        self.process = subprocess.Popen(
            [str(binary), *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=wire_fds,  # noqa: PLW1509 (no threads here)
        )
        os.close(commands_read)
        os.close(replies_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self._send("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._send("Target.attachToTarget", targetId=target,
                                   flatten=True)["sessionId"]
        self.command("Page.enable")
        self.command("Runtime.enable")
        self.command("Emulation.setDeviceMetricsOverride", width=width, height=height,
                     deviceScaleFactor=1, mobile=False)

    # -- protocol -------------------------------------------------------------------------
    def _send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        reply = self._wait(lambda m: m.get("id") == self._next_id)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def _wait(self, wanted: Any) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            for index, event in enumerate(self.events):
                if wanted(event):
                    return self.events.pop(index)
            while b"\0" not in self._buffer:
                left = deadline - time.monotonic()
                ready, _, _ = select.select([self._replies], [], [], max(0.0, left))
                if not ready:
                    raise BrowserError("no answer from Chromium in time")
                chunk = os.read(self._replies, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the protocol pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            self.events.append(json.loads(raw))

    def command(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command to the page and return its result."""
        return self._send(method, self._session, **params)

    def wait_event(self, method: str) -> dict[str, Any]:
        """The next event ``method`` of the page (one that came already counts)."""
        return self._wait(lambda m: m.get("method") == method
                          and m.get("sessionId") == self._session)

    # -- what the tests do ----------------------------------------------------------------
    def open(self, url: str) -> None:
        """Load ``url`` anew and wait for its load event (also when only its fragment differs
        from the page that is open, which would only move there)."""
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        if "loaderId" not in self.command("Page.navigate", url=url):
            self.command("Page.navigate", url="about:blank")
            self.command("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        self.settle()

    def settle(self) -> None:
        """Let what the page queued run: events (``toggle``, ``hashchange``), a frame."""
        self.js("new Promise(function (done) { requestAnimationFrame(function () {"
                " setTimeout(done, 0); }); })")

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serializable)."""
        result = self.command("Runtime.evaluate", expression=expression, returnByValue=True,
                              awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """The page's uncaught JavaScript exceptions so far."""
        return [e["params"]["exceptionDetails"].get("exception", {}).get("description", "")
                or e["params"]["exceptionDetails"].get("text", "")
                for e in self.events if e.get("method") == "Runtime.exceptionThrown"]

    def press(self, key: str) -> None:
        """Type one printable key, as a person would (keydown, keypress, keyup)."""
        base = {"key": key, "code": f"Key{key.upper()}", "windowsVirtualKeyCode": ord(key.upper())}
        self.command("Input.dispatchKeyEvent", type="keyDown", text=key, **base)
        self.command("Input.dispatchKeyEvent", type="keyUp", **base)
        self.settle()

    def click(self, selector: str) -> None:
        """Press and release the mouse on the middle of the first element matching
        ``selector`` (scrolled into view first)."""
        box = self.js(
            f"(function () {{ var e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); var r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.command("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                         button="left", clickCount=1)
        self.settle()

    def type(self, selector: str, text: str) -> None:
        """Focus the first element matching ``selector`` and type ``text`` into it."""
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.command("Input.insertText", text=text)
        self.settle()

    def screenshot(self, path: Path, full_page: bool = False) -> bytes:
        """A PNG of the viewport (or of the whole page), written to ``path``."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.js("[document.documentElement.scrollWidth,"
                           " document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = base64.b64decode(self.command("Page.captureScreenshot", **params)["data"])
        Path(path).write_bytes(data)
        return data

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self._send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
