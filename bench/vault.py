"""Card vault throughput as a ratio to bare AES-GCM on the same bytes (see BENCHMARKS.md).

Workload: N card numbers of mixed brands generated from a fixed seed, one record id each.
Our side:  store    = validate the number (CardNumber) + card_store (seal under a fresh key)
           disclose = card_disclose (authorise + audit callbacks + unwrap + decrypt)
Reference: floor    = cryptography AESGCM encrypt / decrypt of the same digits with one
                      reused key (the target: >= 0.3x)
           envelope = the least any per-record envelope must do with cryptography: a fresh
                      key, its AESGCM set-up, the data encryption and the key wrap (no format,
                      no validation), and the reverse for disclose
Each side runs alternately, RUNS times; the table shows medians of records per second.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keepfaith.cardcheck import luhn_valid
from keepfaith.vault.cards import CardNumber
from keepfaith.vault.cardstore import CardStorage, card_disclose, card_store
from keepfaith.vault.keyring import FileKeyRing

SEED = 20240601
N = 5000
RUNS = 7
PREFIXES = [("4", 16), ("51", 16), ("2221", 16), ("37", 15), ("6011", 16), ("3528", 16)]


def card_numbers(count: int) -> list[str]:
    rng = random.Random(SEED)
    numbers: list[str] = []
    while len(numbers) < count:
        prefix, length = rng.choice(PREFIXES)
        body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
        numbers.append(next(body + d for d in "0123456789" if luhn_valid(body + d)))
    return numbers


def rate(work: Callable[[], None]) -> float:
    start = time.perf_counter()
    work()
    return N / (time.perf_counter() - start)


def main() -> int:
    numbers = card_numbers(N)
    ids = [f"order-{i}" for i in range(N)]
    raw = [n.encode("ascii") for n in numbers]
    keyring = FileKeyRing(Path(tempfile.mkdtemp()) / "keyring.json")
    kek = AESGCM(os.urandom(32))
    floor_key = AESGCM(os.urandom(32))
    stored = [
        card_store(card=CardNumber(n), record_id=r, storage=CardStorage.ENCRYPTED, keyring=keyring)
        for n, r in zip(numbers, ids, strict=True)
    ]
    nonce = os.urandom(12)
    floor_ct = [floor_key.encrypt(nonce, b, r.encode()) for b, r in zip(raw, ids, strict=True)]
    env_ct = []
    for b, r in zip(raw, ids, strict=True):
        dk = os.urandom(32)
        env_ct.append(
            (kek.encrypt(nonce, dk, r.encode()), AESGCM(dk).encrypt(nonce, b, r.encode()))
        )
    audit_log: list[object] = []

    def ours_store() -> None:
        for n, r in zip(numbers, ids, strict=True):
            card_store(
                card=CardNumber(n), record_id=r, storage=CardStorage.ENCRYPTED, keyring=keyring
            )

    def ours_disclose() -> None:
        audit_log.clear()
        for s, r in zip(stored, ids, strict=True):
            card_disclose(
                stored=s,
                record_id=r,
                keyring=keyring,
                actor="bench",
                recipient="processor",
                authorise=bool,
                audit=audit_log.append,
            )

    def floor_store() -> None:
        for b, r in zip(raw, ids, strict=True):
            floor_key.encrypt(os.urandom(12), b, r.encode())

    def floor_disclose() -> None:
        for c, r in zip(floor_ct, ids, strict=True):
            floor_key.decrypt(nonce, c, r.encode())

    def envelope_store() -> None:
        for b, r in zip(raw, ids, strict=True):
            fresh = os.urandom(44)
            aad = r.encode()
            AESGCM(fresh[:32]).encrypt(fresh[32:], b, aad)
            kek.encrypt(os.urandom(12), fresh[:32], aad)

    def envelope_disclose() -> None:
        for (wrapped, ct), r in zip(env_ct, ids, strict=True):
            aad = r.encode()
            AESGCM(kek.decrypt(nonce, wrapped, aad)).decrypt(nonce, ct, aad)

    sides = {
        "store": (ours_store, floor_store, envelope_store),
        "disclose": (ours_disclose, floor_disclose, envelope_disclose),
    }
    print(f"vault benchmark: {N} cards (seed {SEED}), median of {RUNS} alternating runs")
    print(
        f"{'operation':<10} {'ours/s':>10} {'floor/s':>10} {'envelope/s':>11} "
        f"{'vs floor':>9} {'vs envelope':>12}  target >= 0.3x floor"
    )
    for name, (ours, floor, envelope) in sides.items():
        runs: dict[str, list[float]] = {"ours": [], "floor": [], "envelope": []}
        for _ in range(RUNS):
            runs["ours"].append(rate(ours))
            runs["floor"].append(rate(floor))
            runs["envelope"].append(rate(envelope))
        o, f, e = (statistics.median(runs[k]) for k in ("ours", "floor", "envelope"))
        verdict = "met" if o / f >= 0.3 else "NOT met"
        print(
            f"{name:<10} {o:>10,.0f} {f:>10,.0f} {e:>11,.0f} {o / f:>8.2f}x {o / e:>11.2f}x"
            f"  {verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
