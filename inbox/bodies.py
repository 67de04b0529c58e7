"""Message bodies between Intercom's wire format (HTML) and Switchboard's storage (plain text).

Parts are stored as plain text and the inbox renders them escaped, so nothing a client sends can
become markup on a teammate's screen. HTML that arrives over the API is reduced to its text
(line breaks kept) rather than sanitised and stored: there is then no allow-list to get wrong,
and the product's composer, which writes plain text, and the API store the same kind of thing.
On the way out the text is escaped and wrapped in paragraphs, the shape Intercom answers with.
"""

import html
import re
from html.parser import HTMLParser

# Tags that stand apart as paragraphs, and tags that only end a line.
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "div", "dl", "figcaption", "figure", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "ol", "p", "pre", "section", "table", "ul",
}  # fmt: skip
_LINE_TAGS = {"br", "dd", "dt", "li", "tr"}
# Their content is code or metadata, never text a person wrote.
_DROPPED_TAGS = {"script", "style", "template", "head", "title", "noscript", "iframe", "object"}


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _DROPPED_TAGS:
            self.dropping += 1
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n\n")
        elif tag == "br":
            self.chunks.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n\n")
        elif tag == "br":
            self.chunks.append("\n")

    def handle_endtag(self, tag):
        if tag in _DROPPED_TAGS:
            self.dropping = max(0, self.dropping - 1)
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n\n")
        elif tag in _LINE_TAGS and tag != "br":
            self.chunks.append("\n")

    def handle_data(self, data):
        if not self.dropping:
            self.chunks.append(data)


def html_to_text(body: str) -> str:
    """The text a person would read in this HTML: tags removed, entities decoded, blocks and
    <br> as line breaks, at most one blank line in a row, no scripts or styles."""
    parser = _TextExtractor()
    parser.feed(body)
    parser.close()
    text = "".join(parser.chunks)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def text_to_html(text: str) -> str:
    """Escaped text as HTML paragraphs: a blank line between paragraphs, <br> within one."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.strip().splitlines()) + "</p>"
        for p in paragraphs
    )
