"""Certificates: the public tools (CSR checker, key match, SSL server test) and ordering,
validating and issuing certificates through a certificate authority's ACME endpoint.

See docs/certs.md.
"""
