"""Cisco type 9 (scrypt) hashes of the WAN secrets: a salt of its own for each device.

The salt is derived from the environment and the device, so a second render is byte-identical
and `diff` stays stable. scrypt costs ~5 ms and a full render needs two per device (~2.5 s for
248), so hashes are kept in a private cache file per environment. A cache entry is found by an
HMAC whose key is itself an scrypt of the secret: reading the cache gives no faster way to test
a guessed password than the device hash does, a changed secret simply misses, and each hash is
sealed with that key so an edited cache cannot plant one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from pdc import paths, yamlsource
from pdc.wan import private_files

_CISCO64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_STD64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_TO_CISCO = str.maketrans(_STD64, _CISCO64)
CACHE_MAX_BYTES = 8 * 1024 * 1024  # ~40,000 entries: a country of devices, two secrets each


def salt(env_name: str, site_id: str = "") -> str:
    """14 characters of Cisco's alphabet, fixed for (environment, device)."""
    digest = hashlib.sha256(f"pdc-wan-salt:{env_name}:{site_id}".encode()).digest()
    return "".join(_CISCO64[b % 64] for b in digest[:14])


def compute(password: str, salt_text: str) -> str:
    """IOS `secret 9` form: scrypt (N=16384, r=1, p=1), Cisco's base64 alphabet."""
    raw = hashlib.scrypt(password.encode(), salt=salt_text.encode(), n=16384, r=1, p=1, dklen=32)
    return f"$9${salt_text}${base64.b64encode(raw).decode().rstrip('=').translate(_TO_CISCO)}"


class Cache:
    """The hashes of one environment: in memory, and in ``<STATE>/wan/<env>/type9.json`` (0600)."""

    def __init__(self, env_name: str):
        self.env_name = env_name
        self.path = paths.STATE / "wan" / env_name / "type9.json"
        self.lock = threading.Lock()
        self.keys: dict[str, bytes] = {}
        self.entries: dict[str, list] | None = None
        self.dirty = False

    def get(self, password: str, salt_text: str) -> str:
        with self.lock:
            if self.entries is None:
                self.entries = self._load()
            key = self._key(password)
            tag = hmac.new(key, b"salt:" + salt_text.encode(), "sha256").hexdigest()
            entry = self.entries.get(tag)
            # the hash is sealed with the same key: an edited cache cannot plant a hash of its own
            if isinstance(entry, list) and len(entry) == 2 and entry[0].startswith(f"$9${salt_text}$") \
                    and hmac.compare_digest(entry[1], _seal(key, entry[0])):
                return entry[0]
        found = compute(password, salt_text)  # outside the lock: scrypt releases the GIL, threads overlap
        with self.lock:
            self.entries[tag] = [found, _seal(key, found)]
            self.dirty = True
        return found

    def fill(self, pairs: list[tuple[str, str]]) -> None:
        """Hashes for many (password, salt) pairs at once, on every core (a cold render of 248 devices)."""
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(lambda pair: self.get(*pair), pairs))

    def save(self) -> None:
        with self.lock:
            if not self.dirty or self.entries is None:
                return
            try:
                private_files.write(self.path, json.dumps(self.entries, sort_keys=True))
                self.dirty = False
            except OSError:
                pass  # a cache: without it the next run is only slower

    def _key(self, password: str) -> bytes:
        key = self.keys.get(password)
        if key is None:
            key = self.keys[password] = hashlib.scrypt(
                password.encode(), salt=f"pdc-type9-cache:{self.env_name}".encode(), n=16384, r=1, p=1, dklen=32)
        return key

    def _load(self) -> dict[str, list]:
        try:
            data = json.loads(yamlsource.read_bounded(self.path, str(self.path), limit=CACHE_MAX_BYTES))
        except (yamlsource.SourceError, ValueError):
            return {}  # missing, planted (a link, a device) or oversized: start afresh
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, list) and all(isinstance(x, str) for x in v)}


def _seal(key: bytes, value: str) -> str:
    return hmac.new(key, b"hash:" + value.encode(), "sha256").hexdigest()


_CACHES: dict[str, Cache] = {}
_CACHES_LOCK = threading.Lock()


def cache(env_name: str) -> Cache:
    with _CACHES_LOCK:
        if env_name not in _CACHES:
            _CACHES[env_name] = Cache(env_name)
        return _CACHES[env_name]
