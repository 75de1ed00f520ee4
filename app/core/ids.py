"""Identifiers and the random source they are drawn from: KSUIDs for bridges, cutenames for
credentials and clients, C1's client ids.

Every random byte the server uses comes from a `Random`, one per app (beside its clock): with a
seed (C1MOCK_RANDOM_SEED) ids, cutenames, secrets and keys repeat from run to run, for snapshot
tests; without one it is the operating system's cryptographic source.
"""

from __future__ import annotations

import random as stdlib_random
import re
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


class Random:
    """Cryptographic randomness, or a seeded generator in deterministic mode. Thread-safe: the
    requests of one worker draw from it in turn."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._rng: stdlib_random.Random | None = None
        self.restart()

    def restart(self) -> None:
        """Back to the start of the seeded stream (a reset does this); no-op without a seed."""
        with self._lock:
            self._rng = None if self.seed is None else stdlib_random.Random(self.seed)  # noqa: S311

    def bytes(self, n: int) -> bytes:
        with self._lock:
            if self._rng is None:
                return secrets.token_bytes(n)
            return self._rng.randbytes(n)

    def below(self, n: int) -> int:
        """A number in [0, n)."""
        return int.from_bytes(self.bytes(8), "big") % n


def _base62(value: int, width: int) -> str:
    out = []
    while value:
        value, rem = divmod(value, 62)
        out.append(_BASE62[rem])
    return "".join(reversed(out)).rjust(width, "0")


def ksuid(now: datetime, random: Random) -> str:
    """A KSUID: 4 bytes of seconds since the KSUID epoch and 16 random bytes, base62, 27 chars."""
    stamp = max(int(now.timestamp()) - _KSUID_EPOCH, 0) & 0xFFFFFFFF
    raw = stamp.to_bytes(4, "big") + random.bytes(16)
    return _base62(int.from_bytes(raw, "big"), 27)


_KSUID = re.compile(r"[0-9A-Za-z]{27}")
# The largest KSUID (20 bytes). Base62's digits are in ASCII order, so for 27 of them comparing
# the text compares the numbers.
_MAX_KSUID = _base62(2**160 - 1, 27)


def is_ksuid(value: str) -> bool:
    """27 base62 characters that decode to at most 20 bytes."""
    return _KSUID.fullmatch(value) is not None and value <= _MAX_KSUID


# A cutename as C1 makes them (`clever-fox-42195`), or as a seed document may name a credential.
_CUTENAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+){1,7}")
_CLIENT_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*@[A-Za-z0-9.:\[\]-]{1,253}/(tcc|spc|pcc|wfe)")


def is_cutename(value: str) -> bool:
    return len(value) <= 64 and _CUTENAME.fullmatch(value) is not None


def is_client_id(value: str) -> bool:
    """`<name>@<tenant domain>/<kind>`, the name at most 64 characters."""
    name = value.partition("@")[0]
    return len(name) <= 64 and _CLIENT_ID.fullmatch(value) is not None


def cutename(random: Random) -> str:
    """`adjective-animal-NNNNN`, like C1's credential and client names."""
    adjective = ADJECTIVES[random.below(len(ADJECTIVES))]
    animal = ANIMALS[random.below(len(ANIMALS))]
    return f"{adjective}-{animal}-{random.below(100_000):05d}"


def client_id(name: str, tenant_domain: str, kind: str) -> str:
    """C1's client id form: `<cutename>@<tenant domain>/<kind>` (kind tcc, spc, pcc, wfe)."""
    return f"{name}@{tenant_domain}/{kind}"
