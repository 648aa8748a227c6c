"""Known-weak RSA keys built on purpose: Fermat (close primes) and ROCA-structured primes."""

from __future__ import annotations

import random

import gmpy2  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric import rsa

# The modulus badkeys' ROCA check works in (a product of small primes, as in the original
# detector): a ROCA key's primes are k*M + 65537^a mod M.
ROCA_M = 0x924CBA6AE99DFA084537FACC54948DF0C23DA044D8CABE0EDD75BC6


def _private(p: int, q: int, e: int = 65537) -> rsa.RSAPrivateKey:
    n, phi = p * q, (p - 1) * (q - 1)
    d = int(gmpy2.invert(e, phi))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), int(gmpy2.invert(q, p)), rsa.RSAPublicNumbers(e, n)
    )
    return numbers.private_key()


def fermat_key(bits: int = 2048, seed: int = 7) -> rsa.RSAPrivateKey:
    rng = random.Random(seed)
    while True:
        p = int(gmpy2.next_prime(rng.getrandbits(bits // 2) | (1 << (bits // 2 - 1))))
        q = int(gmpy2.next_prime(p + 2**20))
        if gmpy2.gcd(65537, (p - 1) * (q - 1)) == 1:
            return _private(p, q)


def roca_key(bits: int = 2048, seed: int = 11) -> rsa.RSAPrivateKey:
    rng = random.Random(seed)
    half = bits // 2

    def prime() -> int:
        while True:
            k = rng.getrandbits(half - ROCA_M.bit_length()) | (
                1 << (half - ROCA_M.bit_length() - 1)
            )
            candidate = k * ROCA_M + int(gmpy2.powmod(65537, rng.getrandbits(62), ROCA_M))
            if gmpy2.is_prime(candidate) and gmpy2.gcd(65537, candidate - 1) == 1:
                return candidate

    p, q = prime(), prime()
    return _private(p, q)
