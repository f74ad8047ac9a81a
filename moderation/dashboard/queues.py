"""What a queue tab lists: one state of one site, oldest first, filtered by thread, author and text.

Filters are read over a window of the queue (``WINDOW`` comments from the cursor on), so a
filter never walks a queue of a million; the page says how far it looked.
"""
from __future__ import annotations

from dataclasses import dataclass

from moderation.store.comments import APPROVED, FAILED, PENDING, REJECTED, SPAM, Comment, CommentStore
from moderation.store.reports import ReportStore

REPORTED = "reported"
TABS = (PENDING, REPORTED, APPROVED, REJECTED, SPAM, FAILED)
TAB_TITLES = {PENDING: "Pending", REPORTED: "Reported", APPROVED: "Approved", REJECTED: "Rejected",
              SPAM: "Spam", FAILED: "Failed"}
PAGE = 50
WINDOW = 1000


@dataclass(frozen=True)
class Filters:
    thread: str = ""
    author: str = ""  # part of the name or e-mail address, any case
    text: str = ""    # part of the raw text, any case

    @property
    def active(self) -> bool:
        return bool(self.thread or self.author or self.text)

    def keep(self, comment: Comment) -> bool:
        if self.thread and comment.thread != self.thread:
            return False
        author = self.author.casefold()
        if author and author not in comment.author_name.casefold() and author not in comment.author_email.casefold():
            return False
        return not self.text or self.text.casefold() in comment.body.casefold()


@dataclass(frozen=True)
class QueuePage:
    comments: list[Comment]
    next_cursor: str | None  # the last comment looked at, when there is more
    looked_at: int           # how many comments the filters read


def queue_page(store: CommentStore, site_id: str, status: str, filters: Filters, after: str | None = None
               ) -> QueuePage:
    """A page of the tab (module docstring). Approved comments are listed per thread with a
    thread filter, else the latest approvals (from the audit stream)."""
    if status == APPROVED and not filters.thread:
        recent = store.recently_moved_to(site_id, APPROVED, limit=WINDOW)
        kept = [comment for comment in recent if filters.keep(comment)]
        return QueuePage(kept[:PAGE], None, len(recent))
    window = WINDOW if filters.active else PAGE
    if status == REPORTED:  # readers' reports (reader_reports.py): oldest report first
        page = ReportStore(store).page(site_id, after=after, limit=window)
    else:
        page = store.status_page(site_id, status, thread=filters.thread if status == APPROVED else "", after=after,
                                 limit=window)
    kept: list[Comment] = []
    last_seen = None
    for comment in page.comments:
        last_seen = comment.id
        if filters.keep(comment):
            kept.append(comment)
            if len(kept) == PAGE:
                break
    more = page.next_cursor is not None or (last_seen is not None and last_seen != page.comments[-1].id)
    return QueuePage(kept, last_seen if more and status != FAILED else None, len(page.comments))


def tab_counts(store: CommentStore, site_id: str) -> dict[str, int | None]:
    """Live counts of each tab; approved has no site-wide count (None)."""
    counts = store.status_counts(site_id)
    return {PENDING: counts[PENDING], REPORTED: ReportStore(store).count(site_id), APPROVED: None,
            REJECTED: counts[REJECTED], SPAM: counts[SPAM], FAILED: counts[FAILED]}


def newer_than(store: CommentStore, site_id: str, status: str, after_seq: int, filters: Filters) -> list[Comment]:
    """Comments that joined a tab since the page showed ``after_seq`` (the polling's new cards)."""
    if status not in (PENDING, REJECTED, SPAM):
        return []
    page = store.status_page(site_id, status, limit=PAGE, after_seq=after_seq)
    return [comment for comment in page.comments if filters.keep(comment)]
