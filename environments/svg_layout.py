"""A small box layout that writes SVG: boxes of text, groups around them, rows, columns and wrapping rows.

Every size is computed from the text before anything is placed, in a monospace font whose advance is known
(:data:`CHAR_WIDTH`), so a box always holds its label and no two boxes overlap: a row places its children side by
side with a gap, a column one under the other, a group around its content. Coordinates are whole pixels and the
output depends on nothing but the input, so the same input gives the same bytes.

Usage::

    picture = Column([Box("alb", "ALB vtc-staging", ["HTTPS :443"]), Group("vpc", "VPC", Row([...]))])
    svg = render(picture, title="staging")
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence
from xml.sax.saxutils import escape, quoteattr

FONT_SIZE = 12
#: DejaVu Sans Mono (and the usual monospace fallbacks) advance 0.602 em per character, bold or not; rounded up,
#: so that a fallback font a little wider still fits.
CHAR_WIDTH = 7.4
LINE_HEIGHT = 16
PAD = 8
GAP = 12
ARROW_GAP = 34
FONT_FAMILY = "DejaVu Sans Mono, Menlo, Consolas, monospace"


def text_width(text: str) -> int:
    return math.ceil(len(text) * CHAR_WIDTH)


@dataclass
class Node:
    """Something placed: ``size()`` is the least room it needs; ``draw`` places it in at least that room."""

    def size(self) -> tuple[int, int]:
        raise NotImplementedError

    def draw(self, out: list[str], x: int, y: int, w: int, h: int) -> None:
        raise NotImplementedError


@dataclass
class Box(Node):
    """A rectangle with a bold title and lines of text under it; ``kind`` names what it stands for."""

    kind: str
    title: str
    lines: Sequence[str] = ()
    fill: str = "#ffffff"
    dashed: bool = False

    def size(self) -> tuple[int, int]:
        width = max(text_width(t) for t in (self.title, *self.lines))
        return width + 2 * PAD, (1 + len(self.lines)) * LINE_HEIGHT + 2 * PAD - 4

    def draw(self, out: list[str], x: int, y: int, w: int, h: int) -> None:
        dash = ' stroke-dasharray="5 3"' if self.dashed else ""
        out.append(f'<g data-kind={quoteattr(self.kind)}>')
        out.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="{self.fill}" stroke="#4b5563"{dash}/>')
        out.append(_text(x + PAD, y + PAD + LINE_HEIGHT - 4, self.title, bold=True))
        for index, line in enumerate(self.lines, start=1):
            out.append(_text(x + PAD, y + PAD + (index + 1) * LINE_HEIGHT - 4, line))
        out.append("</g>")


@dataclass
class Group(Node):
    """A titled frame around one child."""

    kind: str
    title: str
    child: Node
    fill: str = "#ffffff"
    dashed: bool = False

    def size(self) -> tuple[int, int]:
        w, h = self.child.size()
        return max(w, text_width(self.title)) + 2 * PAD, h + LINE_HEIGHT + 2 * PAD

    def draw(self, out: list[str], x: int, y: int, w: int, h: int) -> None:
        dash = ' stroke-dasharray="6 4"' if self.dashed else ""
        out.append(f'<g data-kind={quoteattr(self.kind)}>')
        out.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{self.fill}" stroke="#6b7280"{dash}/>')
        out.append(_text(x + PAD, y + PAD + LINE_HEIGHT - 4, self.title, bold=True))
        self.child.draw(out, x + PAD, y + PAD + LINE_HEIGHT, w - 2 * PAD, h - LINE_HEIGHT - 2 * PAD)
        out.append("</g>")


@dataclass
class Row(Node):
    """Children side by side, each as high as the row. ``spread``: extra width is shared out among them (else
    they keep their own width, left-aligned). ``arrows``: an arrow in each gap, left to right."""

    children: Sequence[Node]
    spread: bool = False
    arrows: bool = False

    @property
    def gap(self) -> int:
        return ARROW_GAP if self.arrows else GAP

    def size(self) -> tuple[int, int]:
        sizes = [c.size() for c in self.children]
        return sum(s[0] for s in sizes) + self.gap * (len(sizes) - 1), max(s[1] for s in sizes)

    def draw(self, out: list[str], x: int, y: int, w: int, h: int) -> None:
        widths = [c.size()[0] for c in self.children]
        extra = w - self.size()[0]
        if self.spread and extra > 0:
            share, rest = divmod(extra, len(widths))
            widths = [width + share + (1 if i < rest else 0) for i, width in enumerate(widths)]
        for index, (child, width) in enumerate(zip(self.children, widths)):
            child.draw(out, x, y, width, h)
            if self.arrows and index < len(widths) - 1:
                _arrow(out, x + width, x + width + self.gap, y + h // 2)
            x += width + self.gap


@dataclass
class Column(Node):
    """Children one under the other, each as wide as the column."""

    children: Sequence[Node]

    def size(self) -> tuple[int, int]:
        sizes = [c.size() for c in self.children]
        return max(s[0] for s in sizes), sum(s[1] for s in sizes) + GAP * (len(sizes) - 1)

    def draw(self, out: list[str], x: int, y: int, w: int, h: int) -> None:
        for child in self.children:
            height = child.size()[1]
            child.draw(out, x, y, w, height)
            y += height + GAP


@dataclass
class Wrap(Node):
    """Children left to right, a new line whenever the next would pass ``max_width``; each line as high as its
    highest child."""

    children: Sequence[Node]
    max_width: int

    def _lines(self) -> list[list[Node]]:
        lines: list[list[Node]] = [[]]
        used = 0
        for child in self.children:
            width = child.size()[0]
            if lines[-1] and used + GAP + width > self.max_width:
                lines.append([])
                used = 0
            used += width + (GAP if lines[-1] else 0)
            lines[-1].append(child)
        return lines

    def size(self) -> tuple[int, int]:
        rows = [Row(line).size() for line in self._lines()]
        return max(r[0] for r in rows), sum(r[1] for r in rows) + GAP * (len(rows) - 1)

    def draw(self, out: list[str], x: int, y: int, w: int, h: int) -> None:
        for line in self._lines():
            row = Row(line)
            height = row.size()[1]
            row.draw(out, x, y, row.size()[0], height)
            y += height + GAP


@dataclass
class Text(Node):
    """Lines of plain text, no frame (a caption)."""

    lines: Sequence[str]
    bold_first: bool = False

    def size(self) -> tuple[int, int]:
        return max(text_width(t) for t in self.lines), len(self.lines) * LINE_HEIGHT

    def draw(self, out: list[str], x: int, y: int, w: int, h: int) -> None:
        for index, line in enumerate(self.lines):
            out.append(_text(x, y + (index + 1) * LINE_HEIGHT - 4, line, bold=self.bold_first and index == 0))


def _text(x: int, y: int, text: str, bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return f'<text x="{x}" y="{y}"{weight}>{escape(text)}</text>'


def _arrow(out: list[str], x1: int, x2: int, y: int) -> None:
    out.append(f'<line x1="{x1 + 3}" y1="{y}" x2="{x2 - 9}" y2="{y}" stroke="#374151" stroke-width="1.5"/>')
    out.append(f'<path d="M{x2 - 3},{y} l-8,-4 v8 z" fill="#374151"/>')


def render(root: Node, title: str) -> str:
    """The SVG document of ``root``, with a margin around it; ``title`` is its accessible name."""
    w, h = root.size()
    margin = 16
    out: list[str] = []
    root.draw(out, margin, margin, w, h)
    width, height = w + 2 * margin, h + 2 * margin
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}" fill="#111827" '
            f'role="img" aria-label={quoteattr(title)}>')
    return "\n".join([head, f"<title>{escape(title)}</title>",
                      f'<rect width="{width}" height="{height}" fill="#ffffff"/>', *out, "</svg>"]) + "\n"
