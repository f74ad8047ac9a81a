"""Personal data about someone (doxxing): phone numbers, street addresses, where someone lives
or works or where their children go, and private e-mail addresses (a person's name as the
mailbox, or a free-mail service; not the commenter's own, nor an office's). Held for a human:
a council's switchboard is fine, a neighbour's mobile number is not, and only a person can
tell them apart reliably."""
import re

from moderation.policy.findings import Finding
from moderation.policy.triggered import TriggeredPatterns

RULE = "personal_data"
# 9 to 15 digits, as phone numbers are written: +44 7700 900123, (555) 123-4567, 06 12 34 56 78.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[ .\-/]?\(?\d\)?){8,14}(?!\w)")
_STREET = re.compile(
    r"\b\d{1,5}[a-zA-Z]?,? (?:[A-Z][\w'’.-]+ ){1,4}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|"
    r"Close|Court|Crescent|Terrace|Way|Place|Gardens|Grove)\b"
    r"|\b\d{1,4},? (?:[A-Z][\w'’-]+ ){0,2}[A-Z][\w'’-]+,? (?:flat|apt\.?|apartment|unit) \w+"
    r"|\b\d{1,4}(?: ?bis| ?ter)?,? (?:rue|avenue|boulevard|bd|chemin|allée|impasse|place|quai) (?:de |du |des |d'|la |le )*"
    r"[A-ZÉ][\w'’-]+"
    r"|\b(?:calle|avenida|avda\.|plaza|via|viale|piazza|corso) (?:de |del |la )?[A-ZÁÉÍÓÚ][\w'’-]+,? \d{1,4}"
    r"|\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|straat|laan|plein|gracht) \d{1,4}[a-z]?\b")
# Someone's whereabouts or family, as a doxxer writes them (each pattern with its trigger
# words: policy.triggered).
_DETAILS = TriggeredPatterns.of((
    ("lives living stays staying", r"(?i)\b(?:lives|living|stays|staying) (?:at|on) (?:number )?\d"),
    ("address", r"(?i)\b(?:his|her|their) (?:home |new |real )?address\b|\baddress (?:is|since)\b"),
    ("private personal home", r"(?i)\b(?:private|personal|home) (?:e-?mail|phone|number|mobile|address)\b"),
    ("kids children son daughter wife husband", r"(?i)\b(?:his|her|their) (?:kids|children|son|daughter|wife|"
     r"husband) (?:go|goes|attend|attends|work|works) (?:to|at)\b"),
    ("works", r"(?i)\bworks (?:nights |days |shifts )?at the\b"),
    ("drives", r"(?i)\bdrives a (?:silver|black|white|red|blue|grey|green) \w+"),
    ("vive wohnt habite woont", r"(?i)\bvive en (?:la calle|el número)\b|\bwohnt in der\b|\bhabite (?:au|rue|avenue)\b"
     r"|\bwoont op de\b"),
))
# Where a person's own mailbox is: a free-mail service (an office's address is on its own domain).
_FREE_MAIL = re.compile(
    r"(?:^|\.)(?:gmail|googlemail|yahoo|ymail|hotmail|outlook|live|msn|aol|icloud|me|mac|proton|protonmail|pm|gmx|web|"
    r"t-online|freenet|orange|wanadoo|free|laposte|sfr|libero|virgilio|tiscali|yandex|mail|inbox|zoho|tutanota|"
    r"hey|fastmail)\.[a-z.]+$")
# Mailboxes of an office, not of a person.
_ROLE_MAILBOX = re.compile(
    r"^(?:info|contact|press|presse|media|news|newsdesk|desk|letters|editor|editors|redaktion|redaction|office|"
    r"enquiries|inquiries|complaints|support|help|feedback|webmaster|admin|service|tips|hello|mail|post|kontakt|"
    r"secretariat|sekretariat|bureau|accueil|mairie|council|clerk|comments|corrections|readers)(?:[.+_-]\w+)?$")
# A person's name as the mailbox: first.last, first_last, f.last.
_NAME_MAILBOX = re.compile(r"^[a-z]+(?:[._][a-z]+){1,3}\d*$")
_YEAR_LIKE = re.compile(r"^\d{4}([ .\-/]\d{1,4})*$")
_ANY_DIGIT = re.compile(r"\d")


def _is_personal(address: str) -> bool:
    mailbox, _, domain = address.partition("@")
    if _ROLE_MAILBOX.match(mailbox):
        return False
    return bool(_NAME_MAILBOX.match(mailbox) or _FREE_MAIL.search(domain))


def check(subject) -> list[Finding]:
    if not subject.policy.personal_data.enabled:
        return []
    text = subject.text.text
    findings = []
    has_digits = _ANY_DIGIT.search(text) is not None  # phone numbers and street numbers need one
    phones = [subject.evidence(*match.span()) for match in (_PHONE.finditer(text) if has_digits else ())
              if not _YEAR_LIKE.match(match.group())]
    if phones:
        findings.append(Finding(RULE, "pending", "phone_number", "a phone number", tuple(phones)))
    streets = [subject.evidence(*match.span()) for match in (_STREET.finditer(text) if has_digits else ())]
    if streets:
        findings.append(Finding(RULE, "pending", "street_address", "a street address", tuple(streets)))
    details = [subject.evidence(*match.span()) for pattern in _DETAILS.triggered(subject.folded)
               for match in pattern.finditer(text)]
    if details:
        findings.append(Finding(RULE, "pending", "personal_details", "where someone lives, works or whose "
                                "children go where", tuple(details)))
    own = subject.author_email.strip().lower()
    emails = []
    for link in subject.text.links:
        address = link.url[len("mailto:"):].split("?", 1)[0] if link.is_email else ""
        if address and address.lower() != own and _is_personal(address.lower()):
            start = text.find(address)
            emails.append(subject.evidence(start, start + len(address)) if start >= 0 else subject.evidence(0, 0))
    if emails:
        findings.append(Finding(RULE, "pending", "email_address", "someone's e-mail address", tuple(emails)))
    return findings
