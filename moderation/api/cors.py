"""CORS for what a reader's page calls with the site's public key (or no key at all).

Browsers send a preflight before a cross-origin request with an ``Authorization`` header or a
JSON body. The preflight carries no key, so it cannot know the site: it is answered for any
origin, and the real request is the one checked (the public key is accepted only from the
site's origins, and only its answer gets ``Access-Control-Allow-Origin``). No endpoint here
uses cookies, so no credentials are ever allowed.
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from moderation.api.deps import authenticated_site, services
from moderation.browser_tokens import MAX_AGE, MIN_AGE
from moderation.store.sites import Site

bp = Blueprint("browser", __name__, url_prefix="/api/v1")
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
PREFLIGHT_MAX_AGE = "600"


def with_cors(response: Response, site: Site) -> Response:
    """Let the request's origin read ``response`` when the site allows that origin."""
    response.headers.add("Vary", "Origin")
    origin = request.headers.get("Origin")
    if origin and site.allows_origin(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Location, Retry-After, X-Request-Id"
    return response


def preflight(methods: str) -> Response:
    response = Response(status=204)
    response.headers["Vary"] = "Origin"
    if request.headers.get("Origin"):
        response.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
        response.headers["Access-Control-Allow-Methods"] = methods
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


@bp.route("/comments", methods=["OPTIONS"])
def preflight_comments():
    return preflight("POST, OPTIONS")


@bp.route("/comments/<comment_id>/status", methods=["OPTIONS"])
@bp.route("/form-token", methods=["OPTIONS"])
@bp.route("/formats", methods=["OPTIONS"])
def preflight_reads(comment_id: str = ""):
    return preflight("GET, OPTIONS")


@bp.get("/form-token", provide_automatic_options=False)
def form_token():
    """A form token for the page's comment form (browser_tokens): post with it after a moment."""
    site = authenticated_site(allow_public=True)
    response = jsonify({"form_token": services().tokens.form_token(site.id), "usable_after_seconds": MIN_AGE,
                        "expires_in_seconds": MAX_AGE})
    response.headers["Cache-Control"] = "no-store"
    return with_cors(response, site)
