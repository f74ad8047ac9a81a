"""Dashboard accounts, their sessions, and the throttle on failed logins.

* An account has a name, a role (``admin``: policy, users, sites and keys; ``moderator``:
  the queues) and optionally the sites it may see (none listed: every site). Its password is
  stored as an argon2id hash (argon2-cffi), never in clear.
* A session is 32 random bytes held by the browser in an HttpOnly cookie; Redis keeps only
  their sha256, with the account, the session's CSRF token, and an idle timeout renewed on
  use. Revoking deletes the key: the cookie stops working at once.
* Failed logins are counted per account name and per address in fixed windows; past the
  limit, logins are refused until the window ends, whether the password is right or not.

Every key here is global (accounts are not a site's data) and touched by single-key commands
only (docs/data-model.md).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from moderation.store import keys

ROLES = ("admin", "moderator")
USER_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Checked against when the account does not exist, so that a wrong name takes as long as a
# wrong password (no timing oracle for which names exist).
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


class AccountError(ValueError):
    """A wrong name, role, site list or password (message fit for the command line)."""


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    sites: tuple[str, ...]  # empty: every site
    created_at: float
    disabled: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_see(self, site_id: str) -> bool:
        return not self.sites or site_id in self.sites


@dataclass(frozen=True)
class Session:
    token_hash: str
    account: Account
    csrf_token: str
    created_at: float


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class AccountStore:
    def __init__(self, client: redis.Redis, session_seconds: int = 12 * 3600,
                 login_limit: int = 10, login_window: int = 900):
        self.redis = client
        self.session_seconds = session_seconds
        self.login_limit = login_limit
        self.login_window = login_window

    # -- accounts ---------------------------------------------------------------------------------
    def create(self, name: str, password: str, role: str, sites: list[str] | tuple[str, ...] = ()) -> Account:
        name = name.strip().lower()
        _check_account(name, role)
        _check_password(password)
        account = Account(name, role, tuple(sites), round(time.time(), 6))
        created = self.redis.hsetnx(keys.user_key(name), "name", name)
        if not created:
            raise AccountError(f"an account named {name!r} exists already")
        self.redis.hset(keys.user_key(name), mapping={
            "role": role, "sites": json.dumps(list(account.sites)), "password_hash": _hasher.hash(password),
            "created_at": f"{account.created_at:.6f}", "disabled": "0"})
        self.redis.sadd(keys.users_index_key(), name)
        return account

    def get(self, name: str) -> Account | None:
        if not USER_NAME.fullmatch(name or ""):
            return None
        return _account(self.redis.hgetall(keys.user_key(name)))

    def all(self) -> list[Account]:
        accounts = [self.get(name) for name in sorted(self.redis.smembers(keys.users_index_key()))]
        return [account for account in accounts if account is not None]

    def update(self, name: str, *, role: str | None = None, sites: list[str] | None = None,
               password: str | None = None, disabled: bool | None = None) -> Account:
        account = self.get(name)
        if account is None:
            raise AccountError(f"no account named {name!r}")
        changes: dict[str, str] = {}
        if role is not None:
            _check_account(name, role)
            changes["role"] = role
        if sites is not None:
            changes["sites"] = json.dumps(list(sites))
        if password is not None:
            _check_password(password)
            changes["password_hash"] = _hasher.hash(password)
        if disabled is not None:
            changes["disabled"] = "1" if disabled else "0"
        if changes:
            self.redis.hset(keys.user_key(name), mapping=changes)
        if password is not None or disabled:
            self.revoke_sessions(name)  # a new password or a disabled account ends every session
        return self.get(name)

    def delete(self, name: str) -> bool:
        self.revoke_sessions(name)
        self.redis.srem(keys.users_index_key(), name)
        return bool(self.redis.delete(keys.user_key(name)))

    # -- logins and sessions --------------------------------------------------------------------
    def login(self, name: str, password: str, address: str, user_agent: str = "") -> tuple[str, Session] | None:
        """A new session (its cookie token, and the session) for the right password; None
        otherwise. Raises :class:`LoginThrottled` past the failed-login limit."""
        name = (name or "").strip().lower()
        subjects = (f"user:{name}", f"address:{address}")
        wait = self._throttled(subjects)
        if wait:
            raise LoginThrottled(wait)
        data = self.redis.hgetall(keys.user_key(name)) if USER_NAME.fullmatch(name) else {}
        if not _password_matches(data.get("password_hash") or _DUMMY_HASH, password) or not data:
            self._count_failure(subjects)
            return None
        account = _account(data)
        if account is None or account.disabled:
            self._count_failure(subjects)
            return None
        token = secrets.token_urlsafe(32)
        token_hash = _token_hash(token)
        now = time.time()
        csrf = secrets.token_urlsafe(32)
        self.redis.hset(keys.session_key(token_hash), mapping={
            "user": name, "csrf": csrf, "created_at": f"{now:.6f}", "ip": address[:64],
            "user_agent": user_agent[:200]})
        self.redis.expire(keys.session_key(token_hash), self.session_seconds)
        self.redis.sadd(keys.user_sessions_key(name), token_hash)
        return token, Session(token_hash, account, csrf, now)

    def session(self, token: str | None) -> Session | None:
        """The live session the cookie token opens (its idle timeout renewed), else None."""
        if not token or len(token) > 128:
            return None
        token_hash = _token_hash(token)
        pipe = self.redis.pipeline(transaction=False)  # read and renew in one round trip (one key)
        pipe.hgetall(keys.session_key(token_hash))
        pipe.expire(keys.session_key(token_hash), self.session_seconds)
        data, _renewed = pipe.execute()
        if not data:
            return None
        account = self.get(data.get("user", ""))
        if account is None or account.disabled:
            self.redis.delete(keys.session_key(token_hash))
            return None
        return Session(token_hash, account, data.get("csrf", ""), float(data.get("created_at") or 0))

    def logout(self, session: Session) -> None:
        self.redis.delete(keys.session_key(session.token_hash))
        self.redis.srem(keys.user_sessions_key(session.account.name), session.token_hash)

    def sessions(self, name: str) -> list[dict]:
        """The account's live sessions: created_at, ip, user_agent (oldest first)."""
        live = []
        for token_hash in self.redis.smembers(keys.user_sessions_key(name)):
            data = self.redis.hgetall(keys.session_key(token_hash))
            if data:
                live.append({"created_at": float(data.get("created_at") or 0), "ip": data.get("ip", ""),
                             "user_agent": data.get("user_agent", "")})
            else:
                self.redis.srem(keys.user_sessions_key(name), token_hash)  # expired meanwhile
        return sorted(live, key=lambda entry: entry["created_at"])

    def revoke_sessions(self, name: str) -> int:
        """End every session of the account; returns how many were live."""
        revoked = 0
        for token_hash in self.redis.smembers(keys.user_sessions_key(name)):
            revoked += self.redis.delete(keys.session_key(token_hash))
        self.redis.delete(keys.user_sessions_key(name))
        return revoked

    # -- throttle ---------------------------------------------------------------------------------
    def _window(self) -> tuple[int, int]:
        now = int(time.time())
        start = now - now % self.login_window
        return start, start + self.login_window - now

    def _throttled(self, subjects: tuple[str, ...]) -> int:
        start, remaining = self._window()
        counts = [int(self.redis.get(keys.login_failures_key(subject, start)) or 0) for subject in subjects]
        # An address gets three times an account's allowance: several moderators behind one office NAT.
        limits = (self.login_limit, self.login_limit * 3)
        return remaining if any(count >= limit for count, limit in zip(counts, limits)) else 0

    def _count_failure(self, subjects: tuple[str, ...]) -> None:
        start, _remaining = self._window()
        for subject in subjects:
            key = keys.login_failures_key(subject, start)
            self.redis.incr(key)
            self.redis.expire(key, self.login_window)


class LoginThrottled(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


def same_token(presented: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented CSRF token with the session's."""
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), expected.encode())


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def _account(data: dict[str, str]) -> Account | None:
    if not data.get("role"):
        return None
    return Account(name=data["name"], role=data["role"], sites=tuple(json.loads(data.get("sites") or "[]")),
                   created_at=float(data.get("created_at") or 0), disabled=data.get("disabled") == "1")


def _check_account(name: str, role: str) -> None:
    if not USER_NAME.fullmatch(name):
        raise AccountError("an account name is 1-64 of a-z 0-9 . _ @ - (starting with a letter or digit)")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
