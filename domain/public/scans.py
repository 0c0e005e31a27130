"""Poster scans, counted without a database write per view.

Adding 1 to `poster.scans` on every GET of /r/<code> let anyone inflate the count by reloading, and made every
anonymous view take SQLite's write lock. Instead, in the counter storage (RATELIMIT_STORAGE_URI: memory:// per
worker process, or Redis shared by all):

- a view counts as a scan once per client address, poster and day: the first marks a key (a salted hash of
  the three, so no address is kept) that later views find;
- new scans add to a pending count per poster, written to `poster.scans` in one UPDATE at most once per
  `flush_seconds` per poster: whoever finds the poster's flush marker free takes it (the marker expires after
  the interval) and writes what is pending;
- staff see `poster.scans` plus what is pending.

Why not a write per first scan only? A crowd in a lobby is many first scans at once, each a write lock; one
UPDATE a minute per poster is bounded whatever the traffic. With memory:// and several workers, a worker's
pending scans reach the database with its next scan of that poster after the interval (or when staff look at
the count in that worker): the figure can lag, never double. With Redis all workers share one pending count.
A worker that dies loses at most its pending scans: a statistic, not a record.
"""
import hashlib
import logging

from models import Poster

SEEN_SECONDS = 26 * 3600  # a day, with room for the day's last minutes
PENDING_SECONDS = 90 * 24 * 3600
log = logging.getLogger(__name__)


def add_scans(poster_id, count):
    """The one write: `count` more scans for the poster, added in SQL (no lost updates under concurrency)."""
    Poster.update(scans=Poster.scans + count).where(Poster.id == poster_id).execute()


class ScanCounter:
    def __init__(self, storage, flush_seconds=60, salt="", write=add_scans):
        self.storage = storage
        self.flush_seconds = flush_seconds
        self.salt = salt
        self.write = write

    def _seen_key(self, poster_id, client, day):
        digest = hashlib.sha256(f"{self.salt}|{poster_id}|{client}|{day.isoformat()}".encode()).hexdigest()
        return f"scan-seen/{digest[:32]}"

    @staticmethod
    def _pending_key(poster_id):
        return f"scan-pending/{poster_id}"

    def count(self, poster_id, client, day):
        """A view of the poster's page by `client` (its address) on `day`: a scan if it is the first."""
        try:
            if self.storage.incr(self._seen_key(poster_id, client, day), SEEN_SECONDS) == 1:
                self.storage.incr(self._pending_key(poster_id), PENDING_SECONDS)
            self.flush(poster_id)
        except Exception:  # noqa: BLE001 - a scan not counted must never stop a resident's report
            log.exception("scan counter: storage unavailable, scan not counted")

    def flush(self, poster_id):
        """Write the poster's pending scans unless they were written less than `flush_seconds` ago; the number
        written."""
        pending = self._pending_key(poster_id)
        if self.storage.get(pending) <= 0:
            return 0
        if self.storage.incr(f"scan-flush/{poster_id}", max(self.flush_seconds, 0)) != 1:
            return 0
        count = self.storage.get(pending)
        if count > 0:
            self.write(poster_id, count)
            self.storage.incr(pending, PENDING_SECONDS, amount=-count)  # scans that came meanwhile stay
        return max(count, 0)

    def pending(self, poster_id):
        """Scans of the poster not yet written to the database."""
        return max(self.storage.get(self._pending_key(poster_id)), 0)

    def with_pending(self, posters):
        """The posters (rows already read) with `scans` as staff should see it: stored plus pending; what is
        due is written on the way."""
        posters = list(posters)
        for poster in posters:
            try:
                poster.scans += self.flush(poster.id) + self.pending(poster.id)
            except Exception:  # noqa: BLE001
                log.exception("scan counter: storage unavailable, stored count shown")
        return posters
