"""What Drupal 11's ``filter_url`` patterns match, found in linear time.

Drupal (``FilterUrl::process``) matches three PCRE patterns with
``preg_replace_callback``. They backtrack catastrophically on hostile input:
nested quantifiers in the path, ``{1,254}@`` retried at every position, a domain
run re-scanned for every ``www.`` inside it. This module returns the same spans
(leftmost match first, then the match PCRE's backtracking order settles on)
from maximal character runs that are found in C and memoized:

* a host ``(?:[...]+\\.)?[\\p{L}\\p{M}]{2,64}\\b`` ends at the rightmost dot of its
  run that is followed by a valid top-level label, memoized per run, so the
  anchors that share a run share the work;
* a path is a run of path characters and balanced groups cut back to where
  PCRE stops (``Segment.path_end``);
* an e-mail's local part is at most the 254 characters before its ``@``;
* a path or query never ends inside a character reference such as ``&amp;``
  (our change: Drupal would, and show ``&amp`` and a stray ``;``).

Each segment (text between tags and escaped delimiters) is a :class:`Segment`;
``find_full_urls``, ``find_emails`` and ``find_www`` yield ``(start, end)`` spans.
"""
import re
import sys
from bisect import bisect_right
from functools import cache

from moderation.formats.entity_decoding import reference_end
from moderation.formats.unicode_classes import LETTERS, MARKS, NUMBERS

MAX_LOCAL_PART = 254
MAX_TOP_LABEL = 64

_ASTRAL_ITEM = re.compile(r"\\U[0-9a-f]{8}(?:-\\U[0-9a-f]{8})?")
_QUERY_CHARS = r"a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|"
_QUERY_END_CHARS = r"a-zA-Z0-9_&=#/"
_QUERY_RUN = re.compile(f"[{_QUERY_CHARS}]*+")
# ".*X" with an endpos finds the last X before endpos: the dot-star jumps to the
# end and steps back in C, so it costs the distance back to that X.
_LAST_QUERY_END_CHAR = re.compile(f".*[{_QUERY_END_CHARS}]", re.S)
_IPV4 = re.compile(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}")


class _Patterns:
    """Drupal's character classes compiled for ``re``, from category class bodies.

    Two sets exist. ``re`` stores a class's code points above U+FFFF as a list of
    ranges it scans one by one after its bitmap misses, so every check of a
    character *outside* a full Unicode class costs ~1 us. Text without such code
    points uses classes without them (same answers, bitmap speed); the full set
    is compiled the first time other text comes along.
    """

    def __init__(self, letters: str, marks: str, numbers: str):
        letters_marks_numbers = letters + marks + numbers
        domain_chars = letters_marks_numbers + r"._+\-"      # also the e-mail local part
        path_chars = letters_marks_numbers + r"!*';:=+,.$/%#\[\]\-_~@&"
        top_label_chars = letters + marks
        self.domain_run = re.compile(f"[{domain_chars}]*+")
        self.auth_run = re.compile(f"[{letters_marks_numbers}:%_+*~#?&=.,/;\\-]*+")
        # Path characters and balanced "(...)" groups, possessive: one pass.
        self.path_run = re.compile(f"(?:[{path_chars}]++|\\([{path_chars}]++\\))*+")
        self.last_path_end_char = re.compile(f".*[{letters_marks_numbers}:_+~#=/]", re.S)
        self.last_non_domain_char = re.compile(f".*[^{domain_chars}]", re.S)
        self.top_label_run = re.compile(f"[{top_label_chars}]{{0,65}}")  # 65 shows "> 64"
        self.mark = re.compile(f"[{marks}]")
        # PCRE's \w under PHP's /u (PCRE2_UCP): letters, numbers, underscore.
        self.word_char = re.compile(f"[{letters}{numbers}_]")
        # Anchors. An "@" needs a local-part character before it and, in its
        # run, a dot followed by two letters: a necessary condition, checked
        # lazily (runs after different "@"s are disjoint, so this stays linear).
        # "@" comes first so that re can search for it at C speed.
        self.email_at = re.compile(
            f"@(?<=[{domain_chars}]@)(?=[{domain_chars}]*?\\.[{top_label_chars}]{{2}})")
        self.www = re.compile(f"www\\.(?=[{domain_chars}])")


def _without_astral(class_body: str) -> str:
    return _ASTRAL_ITEM.sub("", class_body)


_BMP_PATTERNS = _Patterns(*map(_without_astral, (LETTERS, MARKS, NUMBERS)))


@cache  # built once, on first need (~45 ms)
def _full_patterns() -> _Patterns:
    """Compiled on first use (~45 ms): text above U+FFFF is rare."""
    return _Patterns(LETTERS, MARKS, NUMBERS)


def patterns_for(text: str) -> _Patterns:
    """The pattern set for ``text``: the BMP-only classes unless it has a code
    point above U+FFFF (why two sets: :class:`_Patterns`)."""
    if text.isascii() or not _has_astral(text):
        return _BMP_PATTERNS
    return _full_patterns()


# CPython keeps a str with a code point above U+FFFF at 4 bytes per character,
# any other at 1 or 2, so its size can tell without reading it (a 20 KB text
# costs ~1 us to scan). Only one way: sys.getsizeof also counts a cached UTF-8
# copy (made by a sqlite3 bind, a C extension parsing "s"...), so a size is
# proof of *no* such code point only when it is below what 4 bytes per
# character would take; any other text (or not a plain CPython str) is scanned.
_UCS4_STR_OVERHEAD = sys.getsizeof("\U00010000") - 4
_SIZE_TELLS = (sys.implementation.name == "cpython"
               and sys.getsizeof("\U00010000" * 3) - 12 == _UCS4_STR_OVERHEAD
               and sys.getsizeof("\uffff" * 3) - 12 < _UCS4_STR_OVERHEAD)


def _has_astral(text: str) -> bool:
    """True if ``text`` has a code point above U+FFFF."""
    if (_SIZE_TELLS and type(text) is str
            and sys.getsizeof(text) - 4 * len(text) < _UCS4_STR_OVERHEAD):
        return False
    # Code points above U+FFFF take two UTF-16 units each: encoding is the
    # fastest scan for them in C.
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


class Segment:
    """A piece of text no match may cross, with its character runs memoized.

    Runs are kept as sorted, disjoint ``[start, end)`` intervals whose ``end`` is
    the end of the maximal run: a query inside one costs a bisect, and a scan
    stops where a known interval begins, so no character is scanned twice for
    the same class.
    """

    def __init__(self, text: str, patterns: _Patterns):
        self.text = text
        self.patterns = patterns
        self._domain_runs = ([], [])
        self._auth_runs = ([], [])
        self._top_dots = {}  # domain run end -> (best (dot, label end) or None, checked from)

    # -- runs --

    def domain_run_end(self, position: int) -> int:
        """End of the run of ``[\\p{L}\\p{M}\\p{N}._+-]`` at ``position``."""
        return self._run_end(self._domain_runs, self.patterns.domain_run, position)

    def auth_run_end(self, position: int) -> int:
        """End of the run of ``user:password`` characters at ``position``."""
        return self._run_end(self._auth_runs, self.patterns.auth_run, position)

    def _run_end(self, intervals, pattern: re.Pattern, position: int) -> int:
        starts, ends = intervals
        index = bisect_right(starts, position) - 1
        if index >= 0 and position < ends[index]:
            return ends[index]
        following = index + 1
        limit = starts[following] if following < len(starts) else len(self.text)
        end = pattern.match(self.text, position, limit).end()
        if following < len(starts) and end == limit:
            starts[following] = position        # joins the known run after it
            return ends[following]
        if end > position:
            starts.insert(following, position)
            ends.insert(following, end)
        return end

    # -- hosts --

    def domain_end(self, start: int, prefix_required: bool) -> int:
        """End of ``(?:[\\p{L}\\p{M}\\p{N}._+-]+\\.)?[\\p{L}\\p{M}]{2,64}\\b`` at
        ``start`` (``+`` for ``?`` when ``prefix_required``: e-mail domains), or -1."""
        run_end = self.domain_run_end(start)
        if run_end == start:
            return -1
        best = self._rightmost_top_dot(start, run_end)
        if best is not None:
            return best[1]
        return -1 if prefix_required else self.top_label_end(start)

    def host_end(self, start: int) -> int:
        """End of ``(?:$domain|$ip)`` at ``start``, or -1."""
        end = self.domain_end(start, prefix_required=False)
        if end < 0:
            address = _IPV4.match(self.text, start)
            if address:
                end = address.end()
        return end

    def _rightmost_top_dot(self, start: int, run_end: int):
        """``(dot, label end)`` for the rightmost dot in ``[start + 1, run_end)``
        followed by a valid top-level label, or None: where PCRE's backtracking
        over ``(?:[...]+\\.)?`` or ``(?:[...]+\\.)+`` stops. Dots are checked once."""
        best, checked_from = self._top_dots.get(run_end, (None, run_end))
        if best is None and start + 1 < checked_from:
            text = self.text
            dot = text.rfind(".", start + 1, checked_from)
            while dot >= 0:
                label_end = self.top_label_end(dot + 1)
                if label_end >= 0:
                    best = (dot, label_end)
                    break
                dot = text.rfind(".", start + 1, dot)
            checked_from = start + 1
            self._top_dots[run_end] = (best, checked_from)
        if best is not None and best[0] > start:
            return best
        return None

    def top_label_end(self, start: int) -> int:
        """End of ``[\\p{L}\\p{M}]{2,64}\\b`` at ``start`` (greedy, then
        backtracking), or -1."""
        text = self.text
        length = self.patterns.top_label_run.match(text, start).end() - start
        if length < 2:
            return -1
        if not self.patterns.mark.search(text, start, start + length):
            # Letters only (up to the 65th): no boundary between two of them, so
            # only the run's end can be one, and only if the run is short enough.
            end = start + length
            return end if length <= MAX_TOP_LABEL and self._is_word_boundary(end) else -1
        for end in range(start + min(length, MAX_TOP_LABEL), start + 1, -1):
            if self._is_word_boundary(end):
                return end
        return -1

    def _is_word_boundary(self, position: int) -> bool:
        word_char = self.patterns.word_char
        before = position > 0 and word_char.match(self.text, position - 1) is not None
        after = position < len(self.text) and word_char.match(self.text, position) is not None
        return before != after

    # -- paths and queries --

    def trail_end(self, position: int) -> int:
        """End of ``/?(?:$trail)?`` at ``position`` (it always matches)."""
        text = self.text
        if text.startswith("/", position):
            position += 1
        path_end = self.path_end(position, self.patterns.path_run.match(text, position).end())
        if text.startswith("?", path_end):
            query_start = path_end + 1
            limit = _QUERY_RUN.match(text, query_start).end()
            while limit > query_start:
                last_char = _LAST_QUERY_END_CHAR.match(text, query_start, limit)
                if not last_char:
                    break
                limit = self._reference_split_by(query_start, last_char.end())
                if limit < 0:
                    return last_char.end()
        return path_end

    def path_end(self, start: int, run_end: int) -> int:
        """Where Drupal's ``($valid_url_path*)`` stops in the run of path
        characters and balanced groups ``[start, run_end)``.

        Drupal splices ``$valid_url_ending_characters`` (``[...]|(?:group)``) into
        ``$valid_url_path`` without parentheses, so one repetition is either
        ``chars-and-groups ending-char`` or a lone group: the path runs to its last
        ending character outside any group, then takes the groups right after it.
        """
        text = self.text
        limit = run_end
        while True:
            end = self._after_last_top_level_end_char(start, limit)
            limit = self._reference_split_by(start, end)
            if limit < 0:
                break
            if limit <= start:          # cannot happen: paths start after ":/@."
                end = start
                break
        while end < run_end and text[end] == "(":
            end = text.index(")", end) + 1
        return end

    def _after_last_top_level_end_char(self, start: int, limit: int) -> int:
        text = self.text
        while limit > start:
            close = text.rfind(")", start, limit)       # ")" only closes groups here
            last_char = self.patterns.last_path_end_char.match(
                text, close + 1 if close >= 0 else start, limit)
            if last_char:
                return last_char.end()
            if close < 0:
                break
            limit = text.rfind("(", start, close)       # skip that group's inside
        return start

    def _reference_split_by(self, start: int, end: int) -> int:
        """The start of the character reference (``&amp;``, ``&#233;``) that a
        match from ``start`` ending at ``end`` would cut in two, or -1.

        Our change besides escaped delimiters: Drupal ends ``...?a=1&amp;``
        after ``&amp``, so the link shows ``&amp`` and a stray ``;``. A match here
        never ends inside a reference; it ends at the last valid ending before it.
        A reference holds no other ``&``, so only the last ``&`` can be cut.
        """
        ampersand = self.text.rfind("&", start, end)
        if ampersand >= 0 and reference_end(self.text, ampersand) > end:
            return ampersand
        return -1

    # -- whole URLs --

    def full_url_end(self, colon: int) -> int:
        """End of the URL whose scheme ends at ``colon``, or -1.

        PCRE tries ``//`` before no ``//``, and an ``auth@`` before none; the first
        host that matches decides, since everything after it is optional.
        """
        text = self.text
        after_scheme = (colon + 3, colon + 1) if text.startswith("//", colon + 1) else (colon + 1,)
        for start in after_scheme:
            auth_end = self.auth_run_end(start)
            if auth_end > start and text.startswith("@", auth_end):
                host_end = self.host_end(auth_end + 1)
                if host_end >= 0:
                    return self.trail_end(host_end)
            host_end = self.host_end(start)
            if host_end >= 0:
                return self.trail_end(host_end)
        return -1


class SchemeFinder:
    """Finds ``name:`` for a set of protocol names, leftmost first.

    Searching for an alternation of names costs ~25 us/KB in ``re``; finding each
    ``:`` and checking the few characters before it is far cheaper.
    """

    def __init__(self, names):
        names = sorted({name for name in names if name}, key=len, reverse=True)
        self.longest = len(names[0])
        self.last_chars = frozenset(name[-1] for name in names)
        # Names like real schemes: no ":" (a URL's first ":" ends its scheme)
        # and no character reference in them.
        self.plain = all(re.fullmatch(r"[A-Za-z0-9+.\-]+", name) for name in names)
        # Longest first, anchored at the colon: search() returns the leftmost start.
        self.name_before_colon = re.compile("(?:" + "|".join(map(re.escape, names)) + r")\Z")

    def search(self, text: str, position: int):
        """``(start, colon)`` of the first ``name:`` starting at or after
        ``position``, or None."""
        colon = text.find(":", position)
        while colon >= 0:
            start = self.name_start(text, position, colon)
            if start >= 0:
                return start, colon
            colon = text.find(":", colon + 1)
        return None

    def name_start(self, text: str, position: int, colon: int) -> int:
        """Start of the leftmost name that starts at or after ``position`` and
        ends at ``colon``, or -1."""
        if colon > position and text[colon - 1] in self.last_chars:
            name = self.name_before_colon.search(text, max(position, colon - self.longest), colon)
            if name:
                return name.start()
        return -1


def find_full_urls(segment: Segment, schemes: SchemeFinder):
    """Spans of ``(?:$protocols)(?:$auth)?(?:$domain|$ip)/?(?:$trail)?``.

    Each protocol name must be followed by ``:``, so only one can match at a
    given start, and a shorter one ending at the same colon fails as well.
    """
    text = segment.text
    found = schemes.search(text, 0)
    while found:
        start, colon = found
        end = segment.full_url_end(colon)
        if end >= 0:
            yield start, end
        found = schemes.search(text, end if end >= 0 else colon + 1)


def find_emails(segment: Segment):
    """Spans of ``[\\p{L}\\p{M}\\p{N}._+-]{1,254}@(?:$email_domain)``.

    The local part cannot contain ``@``, so each ``@`` has one candidate: the
    leftmost start at most 254 characters back inside its run.
    """
    text = segment.text
    email_at = segment.patterns.email_at
    position = 0
    at = email_at.search(text)
    while at:
        start = local_part_start(text, segment.patterns, position, at.start())
        end = segment.domain_end(at.end(), prefix_required=True) if start < at.start() else -1
        if end >= 0:
            yield start, end
            position = end
        at = email_at.search(text, max(end, at.end()))


def find_www(segment: Segment):
    """Spans of ``www\\.(?:$domain)/?(?:$trail)?`` (case-sensitive ``www.``)."""
    text = segment.text
    www_pattern = segment.patterns.www
    www = www_pattern.search(text)
    while www:
        host_end = segment.domain_end(www.end(), prefix_required=False)
        if host_end >= 0:
            end = segment.trail_end(host_end)
            yield www.start(), end
            www = www_pattern.search(text, end)
        else:
            www = www_pattern.search(text, www.start() + 1)


def local_part_start(text: str, patterns: _Patterns, position: int, at: int) -> int:
    """Start of the e-mail local part before the ``@`` at ``at``: the leftmost
    start in its run at most 254 characters back, not before ``position``
    (``at`` itself when there is none)."""
    window = max(position, at - MAX_LOCAL_PART)
    boundary = patterns.last_non_domain_char.match(text, window, at)
    return boundary.end() if boundary else window


# --- Quick answers for the common all-ASCII shapes. ---
# Drupal's classes restricted to ASCII (\p{L} is A-Za-z there, \p{M} empty,
# \p{N} 0-9). Every pattern below is possessive or atomic: it matches at most
# one way, and only where the exact code above would return the same end.
_DOMAIN_LABEL = r"A-Za-z0-9_+\-"
_DOMAIN = _DOMAIN_LABEL + "."
_AUTH = r"A-Za-z0-9:%_+*~#?&=.,/;\-"
_PATH = r"A-Za-z0-9!*';:=+,.$/%#\[\]\-_~@&"
_PATH_END = r"A-Za-z0-9:_+~#=/"
# A host is a run of domain characters ending in ".label", the label 2-64
# letters: then that dot is the rightmost one with a valid top label, and the
# character after the run (not a word character) makes the boundary.
_QUICK_HOST = f"(?!\\.)(?:[{_DOMAIN_LABEL}]*+\\.)++[A-Za-z]{{2,64}}+(?![{_DOMAIN}])"
# "/?" then the path up to its last ending character (no "(" group in its run),
# then "?" and the query up to its last ending character.
_QUICK_TRAIL = (f"/?+(?P<path>(?>[{_PATH}]*[{_PATH_END}])?)(?![{_PATH}]*+\\()"
                f"(?:\\?(?P<query>(?>[{_QUERY_CHARS}]*[{_QUERY_END_CHARS}])))?")
# Every character the patterns above can consume or look at. Each pattern starts
# by measuring the run of them it is in, which must not end at a non-ASCII
# character (a letter there could continue the host or path): past the run,
# every class above stops, as at the end of the text.
_URLISH = r"A-Za-z0-9!#$%&'()*+,\-./:;=?@\[\]_~|"
_URLISH_RUN = re.compile(f"[{_URLISH}]*+")
_MEASURED = f"(?=(?P<run>[{_URLISH}]*+)(?![^\\x00-\\x7f]))"


# Each matched at what follows the scheme's ":", the "www." or the "@".
# (The host group: where the host ends, for the report.)
QUICK_FULL_URL = re.compile(
    f"{_MEASURED}//(?![{_AUTH}]*+@)(?P<host>{_QUICK_HOST}){_QUICK_TRAIL}")
QUICK_HOST_AND_TRAIL = re.compile(f"{_MEASURED}(?P<host>{_QUICK_HOST}){_QUICK_TRAIL}")
QUICK_EMAIL_DOMAIN = re.compile(_MEASURED + _QUICK_HOST)


def quick_answer(text: str, match: re.Match | None, start: int,
                 limit: int) -> tuple[int | None, int]:
    """The usual URL, ``www.`` address or e-mail domain from one call of its
    quick pattern (``match``: its match at ``start`` before ``limit``, or None):
    ``(end, measured_to)``, the end None where the exact :class:`Segment` code
    must decide (non-ASCII text, an ``auth@`` part, no dot in the host, a ``(``
    group, a match that would cut a character reference...).

    ``measured_to`` is past the run of URL characters the call looked at; the
    caller tries no quick match starting before it, so over a text the quick
    scans cost linear time however the anchors cluster. (url_scan inlines the
    usual case.)
    """
    if match is None:
        return None, _URLISH_RUN.match(text, start, limit).end() + 1
    end = match.end()
    if text.find("&", start, end) >= 0 and _cuts_reference(text, match, limit):
        return None, match.end("run") + 1
    return end, match.end("run") + 1


def _cuts_reference(text: str, match: re.Match, limit: int) -> bool:
    """True if the path or query would end inside a character reference
    (the exact code then ends it earlier). Only for the patterns with a path
    and a query: an e-mail domain holds no "&"."""
    for group in ("path", "query"):
        start, end = match.span(group)
        ampersand = text.rfind("&", start, end)
        if ampersand >= 0 and reference_end(text, ampersand, limit) > end:
            return True
    return False
