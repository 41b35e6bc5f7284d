"""Reading mutgate's HTML pages (as written, or as Chromium dumped their DOM) in tests."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

#: Elements without an end tag: they never enclose text.
VOID = ("br", "img", "input", "meta", "link", "rect", "line", "circle", "polyline")


class Page(HTMLParser):
    """Every element of a page as (tag, attrs), the text of each element with an id, scripts."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_by_id: dict[str, str] = {}
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._open: list[tuple[str, str | None]] = []
        self._script: dict[str, str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        if tag == "script":
            self._script = values
        if tag not in VOID:
            self._open.append((tag, values.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:  # ``<rect ...></rect>``: it never opened, so it closes nothing
            return
        while self._open:
            name, _ = self._open.pop()
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts.append((self._script, data))
            self._script = None
        for _, ident in self._open:
            if ident:
                self.text_by_id[ident] = self.text_by_id.get(ident, "") + data

    def find_all(self, tag: str, cls: str | None = None) -> list[dict[str, str]]:
        return [
            attrs
            for name, attrs in self.elements
            if name == tag and (cls is None or cls in attrs.get("class", "").split())
        ]

    def data(self) -> Any:
        (text,) = [body for attrs, body in self.scripts if attrs.get("id") == "mutgate-data"]
        return json.loads(text)
