"""Links: too many hold the comment; a banned domain or a link shortener is spam."""
from moderation.policy.findings import Finding

RULE = "links"


def _on(host: str, domains) -> str:
    """The listed domain ``host`` is or lies under, or ''."""
    for domain in domains:
        domain = domain.lower().lstrip(".")
        if host == domain or host.endswith("." + domain):
            return domain
    return ""


def check(subject) -> list[Finding]:
    settings = subject.policy.links
    web = [link for link in subject.text.links if not link.is_email]
    if not web:
        return []
    findings = []
    banned = [link for link in web if _on(link.host, settings.banned_domains)]
    if banned:
        findings.append(Finding(RULE, "spam", "banned_domain",
                                "links to a banned domain: " + ", ".join(sorted({link.host for link in banned})),
                                tuple(_evidence(subject, link) for link in banned)))
    shortened = [link for link in web if _on(link.host, settings.shorteners)]
    if shortened:
        findings.append(Finding(RULE, settings.shortener_outcome, "link_shortener",
                                "a shortened link hides where it goes: " + ", ".join(sorted({l.host for l in shortened})),
                                tuple(_evidence(subject, link) for link in shortened)))
    counted = [link for link in web if not _on(link.host, settings.allowed_domains)]
    if len(counted) > settings.max and not subject.trusted:  # a trusted commenter may link more
        findings.append(Finding(RULE, "pending", "too_many_links",
                                f"{len(counted)} links, more than the site's {settings.max}",
                                tuple(_evidence(subject, link) for link in counted)))
    return findings


def _evidence(subject, link):
    """The link's text in the comment (the URL as the reader wrote it, when found)."""
    text = subject.text.text
    for needle in (link.url, link.url.split("://", 1)[-1], link.host):
        start = text.find(needle) if needle else -1
        if start >= 0:
            return subject.evidence(start, start + len(needle), link.host)
    return subject.evidence(0, 0, link.host)
