"""Comment states and the constants the store's Lua scripts share with Python.

A comment is ``queued`` by the intake, ``processing`` while a worker has it,
then final: ``approved`` (listed on its thread), ``pending`` (held for a
moderator), ``rejected`` or ``spam`` (moderators, later rules), ``failed``
(gave up: attempt cap or an unknown format; dead-lettered).
"""
from __future__ import annotations

QUEUED, PROCESSING = "queued", "processing"
APPROVED, PENDING, REJECTED, SPAM, FAILED = "approved", "pending", "rejected", "spam", "failed"
IN_FLIGHT_STATES = (QUEUED, PROCESSING)
FINAL_STATES = frozenset({APPROVED, PENDING, REJECTED, SPAM, FAILED})
ALL_STATES = frozenset(IN_FLIGHT_STATES) | FINAL_STATES

# Upper bounds (seconds) of the submission-to-decision latency histogram (Prometheus "le").
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
