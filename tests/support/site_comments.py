"""The comment store seen from one site, for tests that post through the API as that site.

Every key of a comment carries its site (``moderation/store/keys.py``), so the store's
reads take the site id first; this passes the test's site for you.
"""
from __future__ import annotations

from dataclasses import dataclass

from moderation.processing import ProcessingResult, process_comment
from moderation.store import CommentStore
from moderation.store.comments import Comment


@dataclass(frozen=True)
class SiteComments:
    store: CommentStore
    site_id: str

    def get(self, comment_id: str) -> Comment | None:
        return self.store.get(self.site_id, comment_id)

    def history(self, comment_id: str) -> list[dict]:
        return self.store.history(self.site_id, comment_id)

    def audit_events(self, comment_id: str | None = None, count: int = 10000) -> list[dict]:
        return self.store.audit_events(self.site_id, comment_id, count=count)

    def pending_ids(self, limit: int = 100) -> list[str]:
        return self.store.pending_ids(self.site_id, limit)

    def dead_letter_ids(self, limit: int = 100) -> list[str]:
        return self.store.dead_letter_ids(self.site_id, limit)

    def process(self, comment_id: str, **options) -> ProcessingResult:
        """What a worker does with the comment (:func:`moderation.processing.process_comment`)."""
        return process_comment(self.store, self.site_id, comment_id, **options)
