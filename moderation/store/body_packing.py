"""A decided comment's raw text, stored as a difference from its rendered HTML.

Once a comment is rendered, its hash holds both the reader's raw text (``body``) and our HTML
(``html``), and the two are near copies: the HTML is the text plus paragraph tags, links and
escapes. Stored as zlib-deflated bytes with the HTML as the preset dictionary, a 450-byte body
becomes about 18 bytes (24 in base64, the hash field ``body_z``), for about 4 µs of a worker's
time; reading it back takes about 1 µs. That is what brings a decided comment's hash under
jemalloc's 1,536-byte size class (docs/benchmarks.md, issue #9). Nothing is lost: the raw text
comes back byte for byte (zlib's Adler-32 checks it), and only :meth:`Comment.from_hash` and the
store's writes of ``html`` need to know; a body that would not get shorter stays as it is.

The packed form is only valid with the very HTML it was made against: whoever writes ``html``
again must pack the body again (``CommentStore`` does it for every state change that carries
``html``).
"""
from __future__ import annotations

import base64
import zlib

# Hash field of the packed body; the plain one is ``body``.
PACKED_FIELD = "body_z"


def pack(body: str, html: str) -> str | None:
    """``body`` deflated against ``html``, in base64; None when that is not shorter than the body."""
    dictionary = html.encode()
    # The smallest window that holds the dictionary and the body: less zlib state to set up.
    window_bits = min(15, max(9, (len(dictionary) + len(body) * 4).bit_length()))
    packer = zlib.compressobj(6, zlib.DEFLATED, window_bits, 8, zlib.Z_DEFAULT_STRATEGY, dictionary)
    packed = base64.b64encode(packer.compress(body.encode()) + packer.flush()).decode("ascii")
    return packed if len(packed) < len(body.encode()) else None


def unpack(packed: str, html: str) -> str:
    """The body that :func:`pack` packed against this ``html``."""
    unpacker = zlib.decompressobj(zdict=html.encode())
    return (unpacker.decompress(base64.b64decode(packed, validate=True)) + unpacker.flush()).decode()
