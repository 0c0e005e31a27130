"""Login throttling that slows password guessing without letting anyone lock another person out.

Only *failed* logins are counted (a success needs the password), in the rate-limit storage: `memory://` counts
per worker process, `redis://…` is shared by every worker and server, which is what a deployment with several
workers needs. Three counters, each a fixed window of `limits` (e.g. "5 per minute;20 per hour"):

1. per client address (RATELIMIT_LOGIN) — one address trying many accounts;
2. per account and client (RATELIMIT_LOGIN_ACCOUNT) — one client trying one account. The client is the
   address, or the device when the browser holds the device cookie of an earlier login to this account. Wrong
   passwords typed elsewhere never fill the owner's own counter, so they cannot lock her out;
3. per account, from untrusted clients only (RATELIMIT_LOGIN_CEILING) — many addresses (a botnet) trying one
   account; set far above one person's mistakes. A client is *trusted* for an account when it logged in to it
   before: from the same address in the last KNOWN_DAYS, or with the device cookie (phones change address all
   the time). Trusted clients neither count towards the ceiling nor are stopped by it, nor by counter 1, so
   the owner still logs in at once while her account is under attack.

What remains possible: someone behind the *same* address as the owner (an office or carrier-grade NAT) who
fails often enough stops her at that address unless her browser holds the device cookie. When the storage is
unreachable the throttle lets attempts through and logs it: a locked-out district is worse than guesses that
still cost a full password hash each.

No Flask here: the route passes the storage, the address and the device it read from the cookie.
"""
import hashlib
import logging
import time
from dataclasses import dataclass

from limits import parse_many
from limits.strategies import FixedWindowRateLimiter

KNOWN_DAYS = 30
log = logging.getLogger(__name__)


def account_key(username):
    """The counters' name for an account: the username as typed, outer spaces and case ignored, hashed so that
    any text someone types makes a short key that says nothing."""
    return hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()[:24]


@dataclass(frozen=True)
class Attempt:
    account: str   # account_key(username)
    address: str   # the real client address (after the trusted proxies)
    device: str = ""  # the device id of a valid device cookie for this account, else ""


class LoginThrottle:
    def __init__(self, storage, per_address, per_account, ceiling, enabled=True, known_days=KNOWN_DAYS):
        self.storage = storage
        self.windows = FixedWindowRateLimiter(storage)
        self.per_address = parse_many(per_address)
        self.per_account = parse_many(per_account)
        self.ceiling = parse_many(ceiling)
        self.enabled = enabled
        self.known_seconds = known_days * 24 * 3600

    def _known_key(self, attempt):
        return f"login-known/{attempt.account}/{attempt.address}"

    def trusted(self, attempt):
        """Has this client logged in to this account before (device cookie, or the same address lately)?"""
        return bool(attempt.device) or self.storage.get(self._known_key(attempt)) > 0

    def _counters(self, attempt):
        client = "device:" + attempt.device if attempt.device else attempt.address
        counters = [(limit, ("login-account", attempt.account, client)) for limit in self.per_account]
        if not self.trusted(attempt):
            counters += [(limit, ("login-address", attempt.address)) for limit in self.per_address]
            counters += [(limit, ("login-ceiling", attempt.account)) for limit in self.ceiling]
        return counters

    def wait(self, attempt):
        """Seconds before this attempt may be tried (0: now)."""
        if not self.enabled:
            return 0
        try:
            now = time.time()
            return max((max(1, int(self.windows.get_window_stats(limit, *ids).reset_time - now + 0.999))
                        for limit, ids in self._counters(attempt) if not self.windows.test(limit, *ids)),
                       default=0)
        except Exception:  # noqa: BLE001 - an unreachable storage must not stop every login
            log.exception("login throttle: storage unavailable, attempt let through")
            return 0

    def failed(self, attempt):
        """Count a wrong password (or unknown user) in every counter that applies to this client."""
        if not self.enabled:
            return
        try:
            for limit, ids in self._counters(attempt):
                self.windows.hit(limit, *ids)
        except Exception:  # noqa: BLE001
            log.exception("login throttle: storage unavailable, failure not counted")

    def succeeded(self, attempt):
        """Remember the address as known for the account, and forget this client's own mistakes."""
        if not self.enabled:
            return
        try:
            key = self._known_key(attempt)
            self.storage.clear(key)  # so that the expiry starts again from now
            self.storage.incr(key, self.known_seconds)
            client = "device:" + attempt.device if attempt.device else attempt.address
            for limit in self.per_account:
                self.windows.clear(limit, "login-account", attempt.account, client)
        except Exception:  # noqa: BLE001
            log.exception("login throttle: storage unavailable")
