"""Personal data about someone (doxxing): phone numbers, street addresses, private e-mail
addresses other than the commenter's own. Held for a human: a council's switchboard or a
press office's address is fine, a neighbour's mobile number is not, and only a person can
tell them apart reliably."""
import re

from moderation.policy.findings import Finding

RULE = "personal_data"
# 9 to 15 digits, as phone numbers are written: +44 7700 900123, (555) 123-4567, 06 12 34 56 78.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[ .\-/]?\(?\d\)?){8,14}(?!\w)")
_STREET = re.compile(
    r"\b\d{1,5}[a-zA-Z]?,? (?:[A-Z][\w'’.-]+ ){1,4}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|"
    r"Close|Court|Crescent|Terrace|Way|Place|Gardens|Grove)\b"
    r"|\b\d{1,4}(?: ?bis| ?ter)?,? (?:rue|avenue|boulevard|bd|chemin|allée|impasse|place|quai) (?:de |du |des |d'|la |le )*[A-ZÉ][\w'’-]+"
    r"|\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|allee|platz|ring|damm) \d{1,4}[a-z]?\b")
# Mailboxes of an office, not of a person.
_ROLE_MAILBOX = re.compile(
    r"^(?:info|contact|press|presse|media|news|newsdesk|desk|letters|editor|editors|redaktion|redaction|office|"
    r"enquiries|inquiries|complaints|support|help|feedback|webmaster|admin|service|tips|hello|mail|post|kontakt|"
    r"secretariat|sekretariat|bureau|accueil|mairie|council|clerk|comments|corrections|readers)(?:[.+_-]\w+)?$")
_YEAR_LIKE = re.compile(r"^\d{4}([ .\-/]\d{1,4})*$")


def check(subject) -> list[Finding]:
    if not subject.policy.personal_data.enabled:
        return []
    text = subject.text.text
    findings = []
    phones = [subject.evidence(*match.span()) for match in _PHONE.finditer(text) if not _YEAR_LIKE.match(match.group())]
    if phones:
        findings.append(Finding(RULE, "pending", "phone_number", "a phone number", tuple(phones)))
    streets = [subject.evidence(*match.span()) for match in _STREET.finditer(text)]
    if streets:
        findings.append(Finding(RULE, "pending", "street_address", "a street address", tuple(streets)))
    own = subject.author_email.strip().lower()
    emails = []
    for link in subject.text.links:
        address = link.url[len("mailto:"):].split("?", 1)[0] if link.is_email else ""
        if address and address.lower() != own and not _ROLE_MAILBOX.match(address.partition("@")[0].lower()):
            start = text.find(address)
            emails.append(subject.evidence(start, start + len(address)) if start >= 0 else subject.evidence(0, 0))
    if emails:
        findings.append(Finding(RULE, "pending", "email_address", "someone's e-mail address", tuple(emails)))
    return findings
