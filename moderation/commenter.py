"""Who a commenter is, for flood control and for the policy's commenter rules: their e-mail
address, normalised, else the IP the site reported for them."""
from __future__ import annotations


def normalized_email(email: str) -> str:
    """An address as one commenter: lower case, without a ``+tag`` (``ada+news@x`` is ``ada@x``)."""
    mailbox, _, domain = email.strip().lower().rpartition("@")
    return f"{mailbox.split('+', 1)[0]}@{domain}" if mailbox else email.strip().lower()


def commenter_id(email: str, ip: str) -> str:
    """``email:<address>`` or ``ip:<address>``; '' when neither is known."""
    if email and email.strip():
        return "email:" + normalized_email(email)
    return f"ip:{ip.strip()}" if ip and ip.strip() else ""
