"""Linear-time preparation of a reader's HTML before the sanitizer engine sees it.

Two hostile shapes make the HTML5 parser inside nh3 (html5ever/ammonia)
super-linear, so they are defused here, in one pass each, before it runs:

- **Deep nesting** (``<blockquote>`` × 5,000): :func:`flatten_deep_nesting`
  removes start tags that would open an element deeper than ``max_depth``, and
  their end tags. Nothing a reader means needs 100 levels; the report says how
  many tags were flattened.
- **Long text runs full of escapes** (64 KB of ``&`` or U+00A0): ammonia's cost
  grows with the square of one text node's length when it is full of characters
  it must escape. :func:`split_long_text_runs` inserts empty comments
  (``<!---->``) there: they split the text node while parsing and, since comments
  are always stripped, leave the sanitized output byte for byte the same. It only
  acts where it can prove the insertion point is plain text (see its docstring).

Both only ever remove tags or add comments, and the engine still sanitizes the
result, so neither can let anything through that the engine would not.
"""
import bisect
import operator
import re
from itertools import accumulate

# Elements with no end tag: they never add depth.
_VOID_ELEMENTS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link",
    "meta", "param", "source", "track", "wbr", "image",
})
# A start tag of one of these closes an open <p> (HTML's "close a p element").
_CLOSES_P = frozenset({
    "address", "article", "aside", "blockquote", "details", "dialog", "div", "dl",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hgroup", "hr", "li", "main", "menu", "nav", "ol", "p",
    "pre", "section", "summary", "table", "ul", "dd", "dt",
})
# Elements a new one of the same kind closes (<li> after <li>, <dd>/<dt> pairs).
_CLOSES_SIBLING = {"li": ("li",), "dd": ("dd", "dt"), "dt": ("dd", "dt")}

# Tag tokens as a browser's tokenizer starts them: "<" or "</" then an ASCII letter.
_TAG_TOKEN = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*+>")
_TAG_START = re.compile(r"<(/?)[A-Za-z]")
_STEP_OF_SLASH = {"": 1, "/": -1}.__getitem__  # a start tag opens a level, an end tag closes one

DEFAULT_MAX_DEPTH = 100


def flatten_deep_nesting(text: str, max_depth: int = DEFAULT_MAX_DEPTH) -> tuple[str, int]:
    """Remove start tags nested deeper than ``max_depth`` and their end tags.

    Returns the text and how many tags were removed. Depth is tracked the way a
    browser builds the tree closely enough for a cap (void elements add none;
    ``<p>``, ``<li>``, ``<dd>``/``<dt>`` close their open predecessors); texts that
    cannot reach the cap return after one C-level count (short ones) or one scan.
    """
    # The count settles short texts at once; long ones (which usually hold more
    # "<" than the cap) go straight to _may_exceed, whose scan decides either way.
    if ((len(text) < _COUNT_FIRST_BELOW and text.count("<") <= max_depth)
            or not _may_exceed(text, max_depth)):
        return text, 0
    pieces, stack, open_counts, dropped_open, removed = [], [], {}, {}, 0
    position = 0
    for token in _TAG_TOKEN.finditer(text, 0, text.rfind(">") + 1):
        is_end, name = token.group(1) == "/", token.group(2).lower()
        if is_end:
            if dropped_open.get(name):
                dropped_open[name] -= 1
            else:
                if open_counts.get(name):
                    _pop_through(stack, open_counts, name)
                continue
        elif name in _VOID_ELEMENTS:
            continue
        else:
            _close_implied(stack, open_counts, name)
            if len(stack) < max_depth:
                stack.append(name)
                open_counts[name] = open_counts.get(name, 0) + 1
                continue
            dropped_open[name] = dropped_open.get(name, 0) + 1
        pieces.append(text[position:token.start()])
        position = token.end()
        removed += 1
    if not removed:
        return text, 0
    pieces.append(text[position:])
    return "".join(pieces), removed


def _may_exceed(text: str, max_depth: int) -> bool:
    """Cheap upper bound on the depth: the most start tags open at once.

    The depth after each tag is ``max(depth + step, 0)`` (+1 for a start tag, -1
    for an end tag). Most texts are settled by a coarser bound, block by block
    of tags, with two C-level list counts per block instead of Python per tag;
    only a text that bound cannot clear gets the exact computation.
    """
    steps = _TAG_START.findall(text, 0, text.rfind(">") + 1)
    if steps.count("") <= max_depth:  # fewer start tags than the cap
        return False
    # ``depth_bound`` bounds the depth where a block begins. Inside a block the
    # depth rises at most by its start tags; at its end it is either the entry
    # depth plus starts minus ends (never floored at 0 on the way) or at most
    # the starts after the last time it was 0.
    depth_bound = 0
    for block_start in range(0, len(steps), _DEPTH_BLOCK):
        block = steps[block_start:block_start + _DEPTH_BLOCK]
        starts = block.count("")
        if depth_bound + starts > max_depth:
            return _exact_max_depth(steps) > max_depth
        depth_bound = max(depth_bound + 2 * starts - len(block), starts)
    return False


_DEPTH_BLOCK = 32
_COUNT_FIRST_BELOW = 4096  # characters


def _exact_max_depth(steps: list[str]) -> int:
    """The largest ``depth`` reached, where depth_i = max(depth_{i-1} + step_i, 0).

    That is level_i - min(level_0..level_i) for the unclamped running sum
    (level_0 = 0), which accumulate, min and map compute in C.
    """
    levels = list(accumulate(map(_STEP_OF_SLASH, steps), initial=0))
    return max(map(operator.sub, levels, accumulate(levels, min)))


def _pop_through(stack: list, open_counts: dict, name: str) -> None:
    """Close the innermost open ``name`` and everything opened inside it."""
    while stack:
        popped = stack.pop()
        open_counts[popped] -= 1
        if popped == name:
            return


def _close_implied(stack: list, open_counts: dict, name: str) -> None:
    if name in _CLOSES_P and open_counts.get("p"):
        _pop_through(stack, open_counts, "p")
    for sibling in _CLOSES_SIBLING.get(name, ()):
        if stack and stack[-1] == sibling:
            _pop_through(stack, open_counts, sibling)


# --- long text runs -----------------------------------------------------------

SPLIT_EVERY = 512           # characters between two inserted comments, at least
_SPLIT_MIN_LENGTH = 2048    # below this the quadratic term is negligible
_SPLIT_MIN_ESCAPES = 64     # and below this many escaped characters, too
_SPLIT_MARKER = "<!---->"
# Anything that makes ">" or a text position mean something other than plain
# text: comments, doctypes, processing instructions, bogus end tags, raw-text and
# foreign-content elements, and quotes inside a tag (where ">" may be a value).
# One "<" then branches that each fail on their first character (the names only
# after a letter): a text of 64 KB of "<" costs ~27 us/KB here, not ~120.
_NOT_PLAIN = re.compile(
    r"<(?:[!?]|/[^A-Za-z]"
    r"|(?=[A-Za-z])(?i:script|style|textarea|title|xmp|iframe|noembed|noframes|noscript"
    r"|plaintext|svg|math|template)(?![A-Za-z0-9-])"
    r"|[A-Za-z/][^>\"'<]*[\"'])")
_ESCAPED_CHARS = re.compile("[&\u00a0]")


def split_long_text_runs(text: str, every: int = SPLIT_EVERY) -> str:
    """Insert ``<!---->`` before an ``&`` or U+00A0 about every ``every``
    characters, where that point is provably plain text.

    The proof: the text has none of the constructs in ``_NOT_PLAIN``, so every
    ``>`` ends a tag or is text, and a point is inside a tag only when the last
    ``<`` + letter before it has no ``>`` after it. An inserted comment never
    lands inside a character reference, since it goes right before an ``&``
    (which ends any reference) or before U+00A0, which no reference contains.
    """
    # Two memchr scans settle texts without any escaped character; then the
    # regex, cheaper than the two counts: most long texts with markup stop it
    # early (a quoted attribute is enough).
    if (len(text) < _SPLIT_MIN_LENGTH
            or ("&" not in text and "\u00a0" not in text)
            or _NOT_PLAIN.search(text)
            or text.count("&") + text.count("\u00a0") < _SPLIT_MIN_ESCAPES):
        return text
    pieces, position, block = [], 0, every
    length = len(text)
    tag_starts = [m.start() for m in _TAG_START.finditer(text)]
    while block < length:
        match = _ESCAPED_CHARS.search(text, block)
        if match is None:
            break
        point = match.start()
        if not _inside_tag(text, tag_starts, point):
            pieces.append(text[position:point])
            pieces.append(_SPLIT_MARKER)
            position = point
        block = point + every
    if not pieces:
        return text
    pieces.append(text[position:])
    return "".join(pieces)


def _inside_tag(text: str, tag_starts: list[int], point: int) -> bool:
    """Is ``point`` between a tag's ``<`` + letter and its ``>``?"""
    index = bisect.bisect_left(tag_starts, point) - 1
    return index >= 0 and text.find(">", tag_starts[index], point) == -1
