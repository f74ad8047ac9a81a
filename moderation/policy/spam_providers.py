"""Outside spam services (Akismet and services that speak its API), as one more opinion.

A provider is told what the reader's own request said (IP, user agent, referrer, the page),
which the service keeps with every comment, so its verdicts and the feedback it gets from
moderators are about the real request, not about our server's. The provider is configured
for the whole deployment (its key is a secret: ``MODERATION_SPAM_PROVIDER`` and
``MODERATION_AKISMET_*``); each site's policy turns it on (``spam_provider.enabled``).
A provider that fails holds the comment (``spam_provider.on_failure``), never approves it.
"""
from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpamRequest:
    """One comment as a spam service wants it: the text and the reader's original request."""

    text: str
    author_name: str = ""
    author_email: str = ""
    client_ip: str = ""
    user_agent: str = ""
    referrer: str = ""
    permalink: str = ""  # the article's URL

    @classmethod
    def of(cls, comment) -> "SpamRequest":
        """From a stored comment (``store.comments.Comment``): its raw text and the reader's request."""
        return cls(comment.body, comment.author_name, comment.author_email, comment.client_ip,
                   comment.client_user_agent, comment.client_referrer, comment.thread_url)


class SpamProviderError(Exception):
    """The provider could not answer (the comment is held, never approved)."""


class SpamProvider(Protocol):
    name: str

    def check(self, request: SpamRequest) -> bool:
        """True: spam. Raises SpamProviderError when it cannot tell."""

    def feedback(self, request: SpamRequest, is_spam: bool) -> None:
        """A moderator's verdict on a comment, for the provider to learn from."""


class AkismetProvider:
    """Akismet's REST API (``comment-check``, ``submit-spam``, ``submit-ham``)."""

    name = "akismet"

    # After a failure, the service is not asked again for this long: a batch of comments would
    # otherwise wait one timeout each (and outlast the task's time limit) while it is down.
    PAUSE_AFTER_FAILURE = 30.0

    def __init__(self, key: str, blog: str, endpoint: str = "", timeout: float = 2.0):
        self.key, self.blog, self.timeout = key, blog, timeout
        self.endpoint = (endpoint or "https://{key}.rest.akismet.com/1.1").format(key=key).rstrip("/")
        self._failed_at = 0.0

    def check(self, request: SpamRequest) -> bool:
        if time.monotonic() - self._failed_at < self.PAUSE_AFTER_FAILURE:
            raise SpamProviderError("akismet failed moments ago; not asked again yet")
        try:
            answer = self._post("comment-check", request)
        except SpamProviderError:
            self._failed_at = time.monotonic()
            raise
        if answer not in ("true", "false"):
            raise SpamProviderError(f"akismet answered {answer[:80]!r}")
        return answer == "true"

    def feedback(self, request: SpamRequest, is_spam: bool) -> None:
        self._post("submit-spam" if is_spam else "submit-ham", request)

    def _post(self, method: str, request: SpamRequest) -> str:
        fields = {"api_key": self.key, "blog": self.blog, "user_ip": request.client_ip,
                  "user_agent": request.user_agent, "referrer": request.referrer, "permalink": request.permalink,
                  "comment_type": "comment", "comment_author": request.author_name,
                  "comment_author_email": request.author_email, "comment_content": request.text}
        data = urllib.parse.urlencode({name: value for name, value in fields.items() if value}).encode()
        try:
            with urllib.request.urlopen(f"{self.endpoint}/{method}", data=data, timeout=self.timeout) as reply:
                return reply.read(4096).decode("utf-8", "replace").strip()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SpamProviderError(f"akismet {method}: {exc}") from exc


_lock = threading.Lock()
_configured: dict[str, SpamProvider | None] = {"provider": None}


def configure(settings) -> None:
    """Set the deployment's provider from the settings (at app and worker start)."""
    provider = None
    if settings.spam_provider == "akismet":
        if not settings.akismet_key:
            raise ValueError("MODERATION_SPAM_PROVIDER=akismet needs MODERATION_AKISMET_KEY")
        provider = AkismetProvider(settings.akismet_key, settings.akismet_blog or settings.public_url,
                                   settings.akismet_endpoint, settings.spam_provider_timeout)
    elif settings.spam_provider:
        raise ValueError(f"MODERATION_SPAM_PROVIDER must be empty or akismet, got {settings.spam_provider!r}")
    with _lock:
        _configured["provider"] = provider


def active() -> SpamProvider | None:
    with _lock:
        return _configured["provider"]


def send_feedback(request: SpamRequest, is_spam: bool) -> None:
    """Tell the provider, if any, what a moderator decided; a failure is logged, not raised."""
    provider = active()
    if provider is None:
        return
    try:
        provider.feedback(request, is_spam)
    except SpamProviderError as exc:
        log.warning("spam provider feedback failed: %s", exc)
