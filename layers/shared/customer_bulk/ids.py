"""Identifiers: time-ordered and URL-safe (not secrets: every read is checked against the caller's tenant)."""

import os
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_lock = threading.Lock()
_last = 0


def new_id() -> str:
    """A ULID (26 Crockford base32 chars): sorts by creation time, which keeps jobs and customers in order.
    Monotonic within a process: ids made in the same millisecond count up from the first one's random part, so
    the customers of one chunk sort in the order of the file's rows (and an export lists them that way)."""
    global _last
    now = int(time.time() * 1000) << _RANDOM_BITS
    with _lock:
        if now >> _RANDOM_BITS <= _last >> _RANDOM_BITS:
            value = _last + 1  # the same millisecond (or a clock step back): one more than the last id
        else:
            value = now | int.from_bytes(os.urandom(10), "big") >> 1  # room to count up within the millisecond
        _last = value
    chars = []
    for _ in range(26):
        value, index = divmod(value, 32)
        chars.append(_CROCKFORD[index])
    return "".join(reversed(chars))
