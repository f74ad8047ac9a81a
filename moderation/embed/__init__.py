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

from flask import Blueprint, abort, current_app, render_template, send_from_directory

bp = Blueprint("embed", __name__, template_folder="templates")
STATIC = Path(__file__).parent / "static"
CACHE_SECONDS = 300


@bp.get("/embed.js")
def embed_script():
    return _asset("embed.js", "text/javascript")


@bp.get("/embed.css")
def embed_stylesheet():
    return _asset("embed.css", "text/css")


@bp.get("/demo/demo.css")
def demo_stylesheet():
    return _asset("demo.css", "text/css")


def _asset(name: str, mimetype: str):
    response = send_from_directory(STATIC, name, mimetype=mimetype, max_age=CACHE_SECONDS)
    response.headers["Access-Control-Allow-Origin"] = "*"  # readable by any page (no secret in it)
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/demo/")
def demo_article():
    """A sample article with the embed on it, for the demo site only (``make run``): what a
    newsroom's page looks like with one tag. 404 unless MODERATION_DEMO_PUBLIC_KEY is set."""
    key = current_app.extensions["moderation"].settings.demo_public_key
    if not key:
        abort(404)
    response = current_app.make_response(render_template("embed/demo.html", public_key=key))
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
    response.headers["Cache-Control"] = "no-store"
    return response
