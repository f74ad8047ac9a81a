"""The API's contract, served: ``GET /api/v1/openapi.json`` (the OpenAPI 3.1 document) and
``GET /api/docs`` (the same as a page, rendered here: no script, no CDN, one stylesheet of ours
at ``/api/docs.css``).

All three are public, the same for everyone and readable from any origin (they hold no secret).
The page's Content-Security-Policy allows no script at all and styles only from this origin.
"""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from flask import Blueprint, Response, render_template, send_from_directory
from markupsafe import Markup, escape

from moderation.api import docs_view
from moderation.api.openapi import document

bp = Blueprint("api_docs", __name__, template_folder="templates")
STATIC = Path(__file__).parent / "static"
CACHE_SECONDS = 300
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
                           "form-action 'none'; frame-ancestors 'none'")


@bp.app_template_filter("code_spans")
def code_spans(text: str) -> Markup:
    """Text with its `backquoted` parts as <code> (everything escaped first)."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


@functools.lru_cache(maxsize=1)
def _page_context() -> dict:
    return docs_view.page_context(document())


@functools.lru_cache(maxsize=1)
def _document_text() -> str:
    """The document as JSON, made once (it does not change while the process runs)."""
    return json.dumps(document(), ensure_ascii=False)


def _public(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


@bp.get("/api/v1/openapi.json")
def openapi_document():
    return _public(Response(_document_text(), mimetype="application/json"))


@bp.get("/api/docs")
def docs_page():
    response = _public(Response(render_template("api/docs.html", **_page_context()), mimetype="text/html"))
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/api/docs.css")
def docs_stylesheet():
    return _public(send_from_directory(STATIC, "api-docs.css", mimetype="text/css", max_age=CACHE_SECONDS))
