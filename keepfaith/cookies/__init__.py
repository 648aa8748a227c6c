"""Cookies that keep their promise (QS-7, BE-2, BE-4).

- ``registry``: the cookie registry compiled from the policy in force (names, purposes, which
  are strictly necessary, which a Global Privacy Control signal refuses);
- ``choice``: the visitor's cookie choice, kept in the browser only (``kf_consent``);
- ``guard``: the check every ``Set-Cookie`` passes: a registered name, no personal data;
- ``middleware``: the Django side: consent-driven cookies, GPC, and the response guard.
"""
