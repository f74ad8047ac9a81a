"""A site's moderation policy: its settings, their defaults (``config/policy.toml``) and checks.

A policy is plain data, validated as a whole: :meth:`Policy.from_dict` takes what an admin
sends (or the defaults file) and either returns a policy or raises :class:`PolicyError` with
one message per wrong setting, as JSON pointers for the API's 422. ``version`` is given by the
store when the policy is saved; the defaults are version ``default-<digest>``.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import ipaddress
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from moderation.policy.classifier import known_providers  # the module loads no model

MODES = ("post", "pre", "pre_links", "pre_new")
THREAD_MODES = ("pre", "closed")
OUTCOMES = ("approved", "pending", "rejected", "spam")
ERASURE_MODES = ("anonymise", "remove")  # privacy.erasure: what a data request's erasure does (data_requests)
DEFAULT_POLICY_FILE = Path(__file__).resolve().parents[2] / "config" / "policy.toml"


class PolicyError(ValueError):
    """A policy that cannot be used: ``errors`` lists ``{"pointer", "detail"}``."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(f"{error['pointer']}: {error['detail']}" for error in errors))
        self.errors = errors


@dataclass(frozen=True)
class Commenters:
    banned: tuple[str, ...] = ()    # e-mail addresses, @domains, IPs or CIDRs -> rejected
    trusted: tuple[str, ...] = ()   # e-mail addresses or @domains: skip pre_new, pre_links and the link limit
    pre_new_count: int = 1          # mode pre_new: a commenter's comments are held until this many were approved
    history_min: int = 3            # recent history: with at least this many recent decisions...
    history_rejected_share: float = 0.5  # ...this share or more rejected or spam holds the next (0: off)


@dataclass(frozen=True)
class Words:
    banned: tuple[str, ...] = ()
    suspect: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    suspect_to_reject: int = 2  # this many different suspect words (not quoted) reject; 0: never


@dataclass(frozen=True)
class Links:
    max: int = 2
    banned_domains: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    shorteners: tuple[str, ...] = ()
    shortener_outcome: str = "spam"


@dataclass(frozen=True)
class ActiveContent:
    outcome: str = "pending"


@dataclass(frozen=True)
class Switch:
    enabled: bool = True


@dataclass(frozen=True)
class SpamModelSettings:
    enabled: bool = True
    spam_at: float = 0.91
    hold_at: float = 0.86


@dataclass(frozen=True)
class SpamProviderSettings:
    enabled: bool = False          # ask the deployment's spam service (MODERATION_SPAM_PROVIDER)
    on_failure: str = "pending"    # it could not answer: pending | approved


@dataclass(frozen=True)
class Copies:
    enabled: bool = True
    spam_after: int = 2  # earlier copies in two days that make a comment spam (one holds it)


@dataclass(frozen=True)
class Classifier:
    provider: str = "profanity-check"
    threshold: float = 0.85
    shadow: bool = False
    on_failure: str = "pending"


@dataclass(frozen=True)
class Privacy:
    erasure: str = "anonymise"      # a commenter's erasure request: "anonymise" or "remove" their comments
    erased_name: str = "[erased]"   # the author name an anonymised comment shows


@dataclass(frozen=True)
class Reports:
    # Readers' reports of published comments (POST /api/v1/comments/{id}/reports), one per reader,
    # counted since a moderator last decided on the comment:
    queue_at: int = 3   # this many put it in the site's Reported queue (it stays published)
    hide_at: int = 0    # this many also hide it from its thread until a moderator decides (0: never)


@dataclass(frozen=True)
class Policy:
    mode: str = "post"
    languages: tuple[str, ...] = ("en", "fr", "de", "es", "it", "nl")
    threads: dict = field(default_factory=dict)
    commenters: Commenters = Commenters()
    words: Words = Words()
    links: Links = Links()
    active_content: ActiveContent = ActiveContent()
    threats: Switch = Switch()
    personal_data: Switch = Switch()
    spam_phrases: Switch = Switch()
    spam_model: SpamModelSettings = SpamModelSettings()
    copies: Copies = Copies()
    spam_provider: SpamProviderSettings = SpamProviderSettings()
    classifier: Classifier = Classifier()
    privacy: Privacy = Privacy()
    reports: Reports = Reports()
    version: str = ""

    @classmethod
    def from_dict(cls, data: dict, version: str = "") -> "Policy":
        """A policy from its JSON/TOML form; a missing setting takes its default here
        (``merged_over`` fills them from another policy, such as the defaults file's)."""
        errors: list[dict] = []
        values = _section(cls, data, "", errors, skip={"version"})  # wrong types: left at defaults
        policy = cls(**values, version=version)
        _check(policy, errors)
        if errors:
            raise PolicyError(errors)
        return policy

    def to_dict(self) -> dict:
        """The settings as JSON-ready data (no version)."""
        data = dataclasses.asdict(self)
        data.pop("version")
        return json.loads(json.dumps(data))  # tuples -> lists

    @functools.cached_property
    def _digest(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]

    def digest(self) -> str:
        """A short digest of the settings (compiled matchers are kept per version and digest)."""
        return self._digest

    def thread_mode(self, thread: str) -> str:
        """The mode in force on a thread: its own ("pre", "closed") or the site's."""
        return self.threads.get(thread) or self.mode


def _section(kind, data, pointer: str, errors: list[dict], skip=frozenset()) -> dict:
    """The fields of dataclass ``kind`` from ``data``, converted, or errors."""
    if not isinstance(data, dict):
        errors.append({"pointer": pointer or "/", "detail": "must be an object"})
        return {}
    known = {spec.name: spec for spec in dataclasses.fields(kind) if spec.name not in skip}
    for name in data:
        if name not in known:
            errors.append({"pointer": f"{pointer}/{name}", "detail": f"unknown setting (known: {', '.join(known)})"})
    values = {}
    for name, spec in known.items():
        if name not in data:
            continue
        value, where = data[name], f"{pointer}/{name}"
        default = spec.default if spec.default is not dataclasses.MISSING else spec.default_factory()
        if dataclasses.is_dataclass(default):
            values[name] = type(default)(**_section(type(default), value, where, errors))
        elif isinstance(default, bool):
            _typed(values, name, value, bool, where, errors)
        elif isinstance(default, (int, float)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                errors.append({"pointer": where, "detail": "must be a number"})
            else:
                values[name] = type(default)(value)
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                errors.append({"pointer": where, "detail": "must be a list of strings"})
            else:
                values[name] = tuple(item.strip() for item in value if item.strip())
        else:
            _typed(values, name, value, type(default), where, errors)
    return values


def _typed(values: dict, name: str, value, kind: type, where: str, errors: list[dict]) -> None:
    if isinstance(value, kind):
        values[name] = value
    else:
        errors.append({"pointer": where, "detail": f"must be {'true or false' if kind is bool else 'a ' + kind.__name__}"})


def _check(policy: Policy, errors: list[dict]) -> None:
    """The checks that look at values, not types."""
    def require(ok: bool, pointer: str, detail: str) -> None:
        if not ok:
            errors.append({"pointer": pointer, "detail": detail})

    require(policy.mode in MODES, "/mode", f"must be one of {', '.join(MODES)}")
    for thread, mode in policy.threads.items():
        require(mode in THREAD_MODES, f"/threads/{thread}", f"must be one of {', '.join(THREAD_MODES)}")
    for language in policy.languages:
        require(language in available_languages(), "/languages",
                f"{language!r} has no word list (available: {', '.join(available_languages())})")
    require(0 <= policy.links.max <= 1000, "/links/max", "must be between 0 and 1000")
    require(0 <= policy.words.suspect_to_reject <= 100, "/words/suspect_to_reject", "must be between 0 and 100")
    require(1 <= policy.commenters.pre_new_count <= 20, "/commenters/pre_new_count", "must be between 1 and 20")
    require(0 <= policy.commenters.history_rejected_share <= 1, "/commenters/history_rejected_share",
            "must be between 0 and 1")
    require(1 <= policy.commenters.history_min <= 20, "/commenters/history_min", "must be between 1 and 20")
    for pointer, entries in (("/commenters/banned", policy.commenters.banned),
                             ("/commenters/trusted", policy.commenters.trusted)):
        for entry in entries:
            problem = commenter_entry_problem(entry, allow_ip=pointer.endswith("banned"))
            require(not problem, pointer, f"{entry!r}: {problem}")
    require(1 <= policy.copies.spam_after <= 1000, "/copies/spam_after", "must be between 1 and 1000")
    require(policy.spam_provider.on_failure in ("pending", "approved"), "/spam_provider/on_failure",
            "must be pending or approved")
    require(policy.links.shortener_outcome in ("pending", "spam"), "/links/shortener_outcome", "must be pending or spam")
    require(policy.active_content.outcome in ("pending", "spam"), "/active_content/outcome", "must be pending or spam")
    require(0 < policy.classifier.threshold <= 1, "/classifier/threshold", "must be above 0 and at most 1")
    require(0 < policy.spam_model.hold_at <= policy.spam_model.spam_at <= 1, "/spam_model",
            "needs 0 < hold_at <= spam_at <= 1")
    require(policy.classifier.on_failure in ("pending", "approved"), "/classifier/on_failure",
            "must be pending or approved")
    require(policy.privacy.erasure in ERASURE_MODES, "/privacy/erasure", f"must be one of {', '.join(ERASURE_MODES)}")
    require(0 < len(policy.privacy.erased_name) <= 100 and policy.privacy.erased_name.isprintable()
            and policy.privacy.erased_name == policy.privacy.erased_name.strip(), "/privacy/erased_name",
            "must be 1 to 100 printable characters, without surrounding spaces")
    require(1 <= policy.reports.queue_at <= 1000, "/reports/queue_at", "must be between 1 and 1000")
    require(policy.reports.hide_at == 0 or policy.reports.queue_at <= policy.reports.hide_at <= 1000,
            "/reports/hide_at", "must be 0 (never) or between reports.queue_at and 1000")
    providers = known_providers()
    require(policy.classifier.provider in providers, "/classifier/provider", f"must be one of {', '.join(providers)}")
    for pointer, terms in (("/words/banned", policy.words.banned), ("/words/suspect", policy.words.suspect)):
        require(len(terms) <= 50_000, pointer, "at most 50,000 terms")
        require(all(len(term) <= 200 for term in terms), pointer, "terms are at most 200 characters")


def commenter_entry_problem(entry: str, allow_ip: bool = True) -> str:
    """What is wrong with a commenter-list entry ('' when it is fine): an e-mail address, an
    ``@domain``, or (banned list only) an IP address or network."""
    if "@" in entry:
        mailbox, _, domain = entry.rpartition("@")
        return "" if domain and "." in domain and " " not in entry else "not an e-mail address or @domain"
    if not allow_ip:
        return "an e-mail address or @domain"
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return "not an e-mail address, @domain, IP address or network"
    return ""


def wordlists_dir() -> Path:
    return DEFAULT_POLICY_FILE.parent / "wordlists"


def available_languages() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in wordlists_dir().glob("*.json")))


def default_policy(path: Path | None = None) -> Policy:
    """The defaults file's policy (``MODERATION_POLICY_FILE``, default config/policy.toml),
    version ``default-<digest of its settings>``."""
    with (path or DEFAULT_POLICY_FILE).open("rb") as handle:
        policy = Policy.from_dict(tomllib.load(handle))
    return dataclasses.replace(policy, version=f"default-{policy.digest()}")


def merged_over(base: Policy, changes: dict) -> dict:
    """``changes`` laid over ``base``'s settings, section by section (for a partial update)."""
    merged = base.to_dict()
    for name, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict) and name != "threads":
            merged[name] = {**merged[name], **value}
        else:
            merged[name] = value
    return merged
