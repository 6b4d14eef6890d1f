"""Split an HTML page into its text blocks (headings, paragraphs, list items, table cells, definition terms), in
document order, so that an English page and its Chinese translation can be aligned block by block when both have
the same block structure (same sequence of block tags)."""
from html.parser import HTMLParser

BLOCK_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "dt", "dd", "title", "caption"}
SKIP_TAGS = {"script", "style", "pre"}  # preformatted blocks (commands, listings) are not translated text


class _Blocks(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks = []  # (tag, text)
        self.stack = []  # open block tags with their text buffers
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip += 1
        elif tag in BLOCK_TAGS:
            # a block opened inside another (li > p) closes the outer one's text so far: the inner block is the unit
            self.stack.append([tag, []])
        elif tag == "br" and self.stack:
            self.stack[-1][1].append(" ")

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
            if self.stack:
                self.stack[-1][1].append(" \u2060CODE\u2060 ")  # marks a block that had code inside
            return
        if tag in BLOCK_TAGS:
            for i in range(len(self.stack) - 1, -1, -1):
                if self.stack[i][0] == tag:
                    t, parts = self.stack.pop(i)
                    self.blocks.append((t, " ".join("".join(parts).split())))
                    del self.stack[i:]
                    break

    def handle_data(self, data):
        if self.skip or not self.stack:
            return
        self.stack[-1][1].append(data)


def blocks(html):
    p = _Blocks()
    p.feed(html)
    p.close()
    return p.blocks


def align_pages(en_html, zh_html):
    """Pairs (en, zh) of corresponding blocks, or None when the two pages' block-tag sequences differ."""
    a, b = blocks(en_html), blocks(zh_html)
    if [t for t, _ in a] != [t for t, _ in b]:
        return None
    return [(x, y) for (_, x), (_, y) in zip(a, b) if x and y and "\u2060CODE\u2060" not in x]

