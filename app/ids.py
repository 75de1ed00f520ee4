"""Randomness and identifiers: KSUIDs for bridges, cutenames for credentials and clients.

Every random byte the server uses comes from `random_bytes`, so that C1MOCK_RANDOM_SEED makes ids,
cutenames, secrets and keys repeat from run to run (deterministic mode, for snapshot tests).
"""

from __future__ import annotations

import random
import secrets
import threading
from datetime import datetime

_KSUID_EPOCH = 1_400_000_000
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

ADJECTIVES = [
    "agile",
    "brave",
    "bright",
    "calm",
    "clever",
    "cosmic",
    "crisp",
    "daring",
    "eager",
    "fancy",
    "fast",
    "fearless",
    "gentle",
    "glad",
    "golden",
    "grand",
    "happy",
    "hardy",
    "honest",
    "humble",
    "jolly",
    "keen",
    "kind",
    "lively",
    "lucky",
    "merry",
    "mighty",
    "modest",
    "nimble",
    "noble",
    "plucky",
    "polite",
    "proud",
    "quick",
    "quiet",
    "rapid",
    "sharp",
    "shiny",
    "silent",
    "smart",
    "snappy",
    "spry",
    "steady",
    "strange",
    "sturdy",
    "sunny",
    "swift",
    "tidy",
    "vivid",
    "witty",
    "zesty",
]
ANIMALS = [
    "badger",
    "bear",
    "beaver",
    "bison",
    "cheetah",
    "cobra",
    "condor",
    "cougar",
    "coyote",
    "crane",
    "dingo",
    "dolphin",
    "eagle",
    "falcon",
    "ferret",
    "fox",
    "gazelle",
    "gecko",
    "heron",
    "hydra",
    "ibis",
    "jaguar",
    "koala",
    "lemur",
    "lion",
    "llama",
    "lynx",
    "marmot",
    "moose",
    "narwhal",
    "ocelot",
    "octopus",
    "orca",
    "otter",
    "owl",
    "panda",
    "panther",
    "parrot",
    "puffin",
    "quokka",
    "raven",
    "salmon",
    "seal",
    "shark",
    "sloth",
    "stoat",
    "swan",
    "tiger",
    "toucan",
    "walrus",
    "wolf",
    "wombat",
    "yak",
    "zebra",
]


class _Source:
    """Cryptographic randomness, or a seeded generator in deterministic mode."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rng: random.Random | None = None

    def seed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = None if seed is None else random.Random(seed)  # noqa: S311

    def bytes(self, n: int) -> bytes:
        with self._lock:
            if self._rng is None:
                return secrets.token_bytes(n)
            return self._rng.randbytes(n)


_source = _Source()


def seed(value: int | None) -> None:
    """Switch deterministic mode on (an int) or off (None)."""
    _source.seed(value)


def random_bytes(n: int) -> bytes:
    return _source.bytes(n)


def random_below(n: int) -> int:
    return int.from_bytes(random_bytes(8), "big") % n


def _base62(value: int, width: int) -> str:
    out = []
    while value:
        value, rem = divmod(value, 62)
        out.append(_BASE62[rem])
    return "".join(reversed(out)).rjust(width, "0")


def ksuid(now: datetime) -> str:
    """A KSUID: 4 bytes of seconds since the KSUID epoch and 16 random bytes, base62, 27 chars."""
    stamp = max(int(now.timestamp()) - _KSUID_EPOCH, 0) & 0xFFFFFFFF
    raw = stamp.to_bytes(4, "big") + random_bytes(16)
    return _base62(int.from_bytes(raw, "big"), 27)


def is_ksuid(value: str) -> bool:
    return len(value) == 27 and all(c in _BASE62 for c in value)


def cutename() -> str:
    """`adjective-animal-NNNNN`, like C1's credential and client names."""
    adjective = ADJECTIVES[random_below(len(ADJECTIVES))]
    animal = ANIMALS[random_below(len(ANIMALS))]
    return f"{adjective}-{animal}-{random_below(100_000):05d}"


def client_id(name: str, tenant_domain: str, kind: str) -> str:
    """C1's client id form: `<cutename>@<tenant domain>/<kind>` (kind tcc, spc, pcc, wfe)."""
    return f"{name}@{tenant_domain}/{kind}"
