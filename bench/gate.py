"""Benchmark: gate.check decisions per second against pycasbin and a bare set lookup.

Workload: a fixed-seed mix of decisions over the QualitySSL (BE) example: allowed and
refused, with and without a subject (10,000 subjects with random opt-out / opt-in choices
and outside-party go-aheads held in memory), with and without recipients.

References, measured in the same run, alternating, median of the runs:
- pycasbin ``Enforcer`` on an equivalent model generated from the same rulebook (request
  = subject-choice token, use, category, recipient; RBAC ``g`` maps choice tokens to
  classes), checked to agree with the gate on every workload decision before timing;
  pycasbin ``FastEnforcer`` (policy filtered by use/category/recipient) is shown too;
- floor: a bare frozenset membership test of each (use, category) pair of the decision.

Prints one table and exits 0.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import casbin

from keepfaith.gate import ChoiceStatus, Gate, InMemoryChoices, go_ahead_key
from keepfaith.policy import load_policy
from keepfaith.policy.rulebook import Rulebook

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240101
SUBJECTS = 10_000
DECISIONS = 20_000
CASBIN_DECISIONS = 2_000
RUNS = 5
STATUSES = tuple(ChoiceStatus)

Item = tuple[str, tuple[str, ...], str | None, str | None, bool]

MODEL = """
[request_definition]
r = sub, obj, act, rec
[policy_definition]
p = sub, obj, act, rec
[role_definition]
g = _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act && r.rec == p.rec
"""


def make_choices(book: Rulebook, rng: random.Random) -> InMemoryChoices:
    """Random choices of SUBJECTS subjects for every use with a choice and every go-ahead."""
    choices = InMemoryChoices()
    keys = [key for key, rule in book.uses.items() if rule.choice != "none"]
    keys += [go_ahead_key(k) for k, r in book.recipients.items() if r.kind == "outside_party"]
    for number in range(SUBJECTS):
        for key in keys:
            if rng.random() < 0.6:
                choices.record(f"C-{number}", key, rng.choice(STATUSES))
    return choices


def make_workload(book: Rulebook, rng: random.Random) -> list[Item]:
    """DECISIONS mixed questions: mostly declared pairs, some undeclared or unknown."""
    uses = sorted(book.uses)
    pairs = sorted(book.use_categories)
    recipient_pairs = sorted(book.recipient_categories.items())
    categories = sorted({cat for _, cat in pairs})
    work: list[Item] = []
    for _ in range(DECISIONS):
        roll = rng.random()
        subject = f"C-{rng.randrange(SUBJECTS)}" if rng.random() < 0.7 else None
        if roll < 0.55:
            use, cat = rng.choice(pairs)
            work.append((use, (cat,), subject, None, False))
        elif roll < 0.75:
            (receiver, use), received = rng.choice(recipient_pairs)
            cat = rng.choice(sorted(received) or categories)
            aggregate = book.recipients[receiver].kind == "partner" and rng.random() < 0.7
            work.append((use, (cat,), subject, receiver, aggregate))
        elif roll < 0.9:
            use = rng.choice(uses)
            work.append((use, tuple(rng.sample(categories, 2)), subject, None, False))
        else:
            use = rng.choice([*uses, "marketing.unknown"])
            recipient = rng.choice([None, *sorted(book.recipients), "nobody"])
            work.append((use, (rng.choice(categories),), subject, recipient, False))
    return work


def _classes(token_subject: bool, use_status: str, party_status: str) -> Iterator[str]:
    """The classes a choice token belongs to (the ``g`` lines)."""
    if not token_subject:
        return
    yield "subj"
    go = party_status == ChoiceStatus.GIVEN
    if use_status in (ChoiceStatus.GIVEN, ChoiceStatus.NOT_ASKED):
        yield "opt-out-ok"
        yield from ["opt-out-ok+go"] if go else []
    if use_status == ChoiceStatus.GIVEN:
        yield "opt-in-ok"
        yield from ["opt-in-ok+go"] if go else []
    if go:
        yield "none+go"


CLASS_OF_CHOICE = {"none": "subj", "opt-out": "opt-out-ok", "opt-in": "opt-in-ok"}


def casbin_lines(book: Rulebook) -> tuple[list[list[str]], list[list[str]]]:
    """Policy (p) and grouping (g) lines equivalent to the rulebook."""
    groups = [["anon-agg", "anon"]]
    for use_status in STATUSES:
        for party_status in [*STATUSES, "-"]:
            token = f"s:{use_status}:{party_status}"
            groups += [[token, cls] for cls in _classes(True, use_status, party_status)]
    rules: list[list[str]] = []
    for use, cat in sorted(book.use_categories):
        choice = book.uses[use].choice
        if choice == "none":
            rules.append(["anon", use, cat, "-"])
        if cat not in book.unlinkable_categories:
            rules.append([CLASS_OF_CHOICE[choice], use, cat, "-"])
    for (recipient, use), cats in sorted(book.recipient_categories.items()):
        kind, choice = book.recipients[recipient].kind, book.uses[use].choice
        for cat in sorted(cats):
            if kind == "partner":
                rules += [["anon-agg", use, cat, recipient]] if choice == "none" else []
                continue
            if choice == "none" and kind != "outside_party":
                rules.append(["anon", use, cat, recipient])
            if cat in book.unlinkable_categories:
                continue
            cls = CLASS_OF_CHOICE[choice]
            if kind == "outside_party":
                cls = "none+go" if choice == "none" else f"{cls}+go"
            rules.append([cls, use, cat, recipient])
    return rules, groups


def make_enforcer(book: Rulebook, fast: bool) -> casbin.Enforcer:
    with tempfile.TemporaryDirectory() as folder:
        model = Path(folder) / "model.conf"  # FastEnforcer builds its model from a file only
        model.write_text(MODEL)
        if fast:
            enforcer = casbin.FastEnforcer(str(model), cache_key_order=[1, 2, 3])
        else:
            enforcer = casbin.Enforcer(str(model))
    rules, groups = casbin_lines(book)
    enforcer.add_policies(rules)
    enforcer.add_named_grouping_policies("g", groups)
    return enforcer


def casbin_decider(
    book: Rulebook, choices: InMemoryChoices, enforcer: casbin.Enforcer
) -> Callable[[Item], bool]:
    """One decision on pycasbin: the subject's choices become the request's token."""
    enforce = enforcer.enforce
    outside = {k for k, r in book.recipients.items() if r.kind == "outside_party"}

    def decide(item: Item) -> bool:
        use, cats, subject, recipient, aggregate = item
        if subject is None:
            token = "anon-agg" if aggregate else "anon"
        else:
            use_status = choices.choice_for(subject, use).status
            party = "-"
            if recipient in outside:
                party = choices.choice_for(subject, go_ahead_key(recipient)).status
            token = f"s:{use_status}:{party}"
        rec = recipient or "-"
        return bool(cats) and all(enforce(token, use, cat, rec) for cat in cats)

    return decide


def run_gate(gate: Gate, work: list[Item]) -> float:
    check = gate.check
    start = time.perf_counter()
    for use, cats, subject, recipient, aggregate in work:
        check(use=use, categories=cats, subject=subject, recipient=recipient, aggregate=aggregate)
    return len(work) / (time.perf_counter() - start)


def run_casbin(decide: Callable[[Item], bool], work: list[Item]) -> float:
    start = time.perf_counter()
    for item in work:
        decide(item)
    return len(work) / (time.perf_counter() - start)


def run_floor(pairs: frozenset[tuple[str, str]], work: list[Item]) -> float:
    start = time.perf_counter()
    for use, cats, _subject, _recipient, _aggregate in work:
        for cat in cats:
            if (use, cat) not in pairs:
                break
    return len(work) / (time.perf_counter() - start)


def main() -> int:
    policy = load_policy(ROOT / "examples" / "qualityssl" / "policy.yaml")
    rng = random.Random(SEED)
    choices = make_choices(Gate.from_policy(policy, InMemoryChoices()).rulebook, rng)
    sink: list[object] = []
    gate = Gate.from_policy(policy, choices, audit=None)
    audited = Gate.from_policy(policy, choices, audit=sink.append)
    book = gate.rulebook
    work = make_workload(book, rng)
    slow, fast = make_enforcer(book, False), make_enforcer(book, True)
    deciders = {
        name: casbin_decider(book, choices, e) for name, e in [("slow", slow), ("fast", fast)]
    }
    allowed = 0
    for item in work:  # the models must agree before anything is timed
        expected = gate.check(
            use=item[0], categories=item[1], subject=item[2], recipient=item[3], aggregate=item[4]
        ).allowed
        for name, decide in deciders.items():
            if decide(item) is not expected:
                print(f"pycasbin ({name}) disagrees with the gate on {item}", file=sys.stderr)
                return 1
        allowed += expected
    few = work[:CASBIN_DECISIONS]
    rates: dict[str, list[float]] = {k: [] for k in ("gate", "audited", "casbin", "fast", "floor")}
    for _ in range(RUNS):
        rates["gate"].append(run_gate(gate, work))
        rates["casbin"].append(run_casbin(deciders["slow"], few))
        rates["floor"].append(run_floor(book.use_categories, work))
        rates["fast"].append(run_casbin(deciders["fast"], few))
        sink.clear()
        rates["audited"].append(run_gate(audited, work))
    report(rates, work, allowed, len(slow.get_policy()), len(slow.get_named_grouping_policy("g")))
    return 0


def report(
    rates: dict[str, list[float]], work: list[Item], allowed: int, rules: int, groups: int
) -> None:
    median = {name: statistics.median(values) for name, values in rates.items()}
    with_subject = sum(1 for item in work if item[2] is not None)
    print(f"workload: {len(work)} decisions ({with_subject} with a subject, {allowed} allowed),")
    print(f"  {SUBJECTS} subjects with choices in memory;")
    print(f"  seed {SEED}; pycasbin model: {rules} p-lines, {groups} g-lines; median of {RUNS}")
    print(f"{'side':<34}{'decisions/s':>14}{'gate / side':>12}")
    rows = [
        ("gate.check (no audit sink)", "gate"),
        ("gate.check (audit: list.append)", "audited"),
        ("pycasbin Enforcer", "casbin"),
        ("pycasbin FastEnforcer", "fast"),
        ("floor: frozenset lookup", "floor"),
    ]
    for label, name in rows:
        print(f"{label:<34}{median[name]:>14,.0f}{median['gate'] / median[name]:>11.2f}x")
    print(f"gate vs pycasbin: {median['gate'] / median['casbin']:.0f}x (target >= 100x)")
    print(f"floor vs gate: {median['floor'] / median['gate']:.1f}x slower (target <= 8x)")


if __name__ == "__main__":
    sys.exit(main())
