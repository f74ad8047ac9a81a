"""The embed script: a site's comments and comment form inside any page, with one tag.

    <script src="https://moderation.example/embed.js" data-site="pk_…" data-thread="article-123"
            async></script>

``static/embed.js`` (plain JS, no framework, no cookies) reads the thread's approved comments
and the formats with the site's public key, shows the form with the formats' help lines, posts
with a form token, and follows the reader's own comment with its status token. ``embed.css``
styles it through CSS variables a page may override (``--moderation-accent`` and others).
Served here with a short public cache; they hold no secret.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_from_directory

bp = Blueprint("embed", __name__)
STATIC = Path(__file__).parent / "static"
CACHE_SECONDS = 300


@bp.get("/embed.js")
def embed_script():
    return _asset("embed.js", "text/javascript")


@bp.get("/embed.css")
def embed_stylesheet():
    return _asset("embed.css", "text/css")


def _asset(name: str, mimetype: str):
    response = send_from_directory(STATIC, name, mimetype=mimetype, max_age=CACHE_SECONDS)
    response.headers["Access-Control-Allow-Origin"] = "*"  # readable by any page (no secret in it)
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
