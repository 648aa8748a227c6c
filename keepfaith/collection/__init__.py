"""Collection points: every form that collects personal data is declared in the policy.

``CollectionPointForm`` reads the declaration of its point, refuses any field whose data
category the point does not declare (QS-2), offers a choice for every opt-out and opt-in use
the point serves (QS-4, BE-9), shows a short notice, and records what was submitted in the
consent ledger naming the policy version shown (BE-2). See docs/accounts.md.
"""
