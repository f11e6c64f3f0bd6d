"""HTML to clean text for email bodies (standard library ``html.parser`` only).

Scripts, styles, the head and comments are dropped; block elements and ``<br>`` become line breaks;
entities are unescaped; runs of whitespace collapse to one space. Text inside ``<blockquote>`` is
prefixed with ``> `` so that quoted replies can be stripped like those of plain-text mail.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

_SKIP = {"script", "style", "head", "title", "noscript", "template", "svg", "object", "xml"}
_BLOCK = {"address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset",
          "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
          "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul", "body",
          "html", "caption"}
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre"}
_CELL = {"td", "th"}
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
         "track", "wbr"}


class _TextParser(HTMLParser):
    def __init__(self, drop: set[str], hidden: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.drop, self.hidden = drop, hidden
        self.lines: list[str] = []  # finished lines
        self.current: list[str] = []  # pieces of the line being built
        self.prefix_of_current = ""
        self.skip: list[str] = []  # open elements whose content is dropped
        self.quote = 0  # blockquote depth
        self.pre = 0
        self.pending_breaks = 0

    # -- line building -------------------------------------------------------------------------
    def _break(self, count: int = 1) -> None:
        self.pending_breaks = max(self.pending_breaks, count)

    def _flush_breaks(self) -> None:
        if not self.pending_breaks:
            return
        self._end_line()
        if self.pending_breaks > 1 and self.lines and self.lines[-1].strip("> ").strip():
            self.lines.append("")
        self.pending_breaks = 0

    def _end_line(self) -> None:
        text = "".join(self.current)
        if text.strip() or self.current:
            self.lines.append(self.prefix_of_current + text.strip(" "))
        self.current = []

    def _prefix(self) -> str:
        return "> " * self.quote

    def _write(self, text: str) -> None:
        if not text:
            return
        self._flush_breaks()
        if not self.current:
            self.prefix_of_current = self._prefix()
            text = text.lstrip(" ")
            if not text:
                return
        elif self.current[-1].endswith(" ") and text.startswith(" "):
            text = text.lstrip(" ")
        self.current.append(text)

    # -- parser callbacks ----------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.skip:
            if tag not in _VOID and tag == self.skip[-1]:
                self.skip.append(tag)
            if tag == "body" and "head" in self.skip:  # an unclosed <head>
                self.skip.clear()
            return
        style = next((v for k, v in attrs if k == "style" and v), "")
        if tag in self.drop or (self.hidden and tag not in _VOID and _HIDDEN.search(style)):
            self.skip.append(tag)
            return
        if tag == "br":
            self._end_line_hard()
        elif tag in _CELL:
            self._write(" ")
        elif tag in _BLOCK:
            self._break(2 if tag in _PARAGRAPH else 1)
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self._flush_breaks()
                self._write("- ")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            elif tag in self.skip:  # badly nested: close up to it
                del self.skip[self.skip.index(tag):]
            return
        if tag in _BLOCK:
            self._break(2 if tag in _PARAGRAPH else 1)
            if tag == "blockquote" and self.quote:
                self.quote -= 1
            elif tag == "pre" and self.pre:
                self.pre -= 1

    def _end_line_hard(self) -> None:
        self._flush_breaks()
        if not self.current:
            self.lines.append("")
        else:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        data = data.replace("\xa0", " ").replace("\u200b", "").replace("\ufeff", "")
        if self.pre:
            parts = data.split("\n")
            for i, part in enumerate(parts):
                if i:
                    self._end_line_hard()
                self._write(part.replace("\t", "    "))
        else:
            self._write(re.sub(r"[ \t\r\n\f\v]+", " ", data))

    def text(self) -> str:
        self._end_line()
        out: list[str] = []
        for line in self.lines:
            line = line.rstrip()
            if not line.strip("> ") and out and not out[-1].strip("> "):
                continue  # at most one blank line in a row
            out.append(line)
        return "\n".join(out).strip("\n")


def html_to_text(html: str) -> str:
    """Readable plain text for an HTML document or fragment; never raises on bad markup."""
    for drop, hidden in ((_SKIP, True), ({"script", "style", "title"}, False)):  # then not trusting unclosed tags
        parser = _TextParser(drop, hidden)
        try:
            parser.feed(html)
            parser.close()
        except Exception:  # noqa: BLE001 - html.parser can still trip on pathological input
            return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", html)).strip()
        text = parser.text()
        if text.strip("> \n"):
            return text
    return text
