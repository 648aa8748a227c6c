"""What each certificate product asks for (SITE-2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from keepfaith.certs.products import NamesError, order_names_check

pytestmark = [pytest.mark.clause("SITE-2")]


def test_one_domain_with_and_without_www():
    assert order_names_check(product="qualityssl", names=["Shop.Example."]) == [
        "shop.example", "www.shop.example"]  # fmt: skip
    both = ["www.shop.example", "shop.example"]
    assert order_names_check(product="qualityssl-mobile", names=both) == both
    with pytest.raises(NamesError, match="one domain"):
        order_names_check(product="qualityssl", names=["a.example", "b.example"])
    with pytest.raises(NamesError, match="wildcard product"):
        order_names_check(product="qualityssl", names=["*.shop.example"])


def test_ucc_counts_the_included_and_extra_names():
    names = ["a.example", "b.example", "c.example", "d.example"]
    with pytest.raises(NamesError, match="covers 3 names"):
        order_names_check(product="qualityssl-ucc", names=names)
    assert order_names_check(product="qualityssl-ucc", names=names, extra_names=1) == names


def test_wildcard_and_intranet():
    assert order_names_check(product="qualityssl-wildcard", names=["*.shop.example"]) == [
        "*.shop.example", "shop.example"]  # fmt: skip
    with pytest.raises(NamesError, match="one wildcard name"):
        order_names_check(product="qualityssl-wildcard", names=["shop.example"])
    internal = ["mailserver", "intranet.local"]
    assert order_names_check(product="qualityssl-intranet", names=internal) == internal
    with pytest.raises(NamesError, match="full domain name"):
        order_names_check(product="qualityssl", names=["mailserver"])
    with pytest.raises(NamesError, match="Name the domain"):
        order_names_check(product="qualityssl", names=["  "])


@hsettings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=80), max_size=5),
    st.sampled_from(["qualityssl", "qualityssl-ucc", "qualityssl-wildcard", "qualityssl-intranet"]),
)
def test_fuzz_names_are_refused_clearly_or_valid(names, product):
    try:
        out = order_names_check(product=product, names=names)
    except NamesError as exc:
        assert str(exc)
    else:
        assert out and all(n == n.strip().lower() for n in out)


def test_an_intranet_csr_may_name_internal_servers():
    from keepfaith.certs.csrcheck import csr_check
    from tests.certs.pki import make_csr

    pem, _ = make_csr(["intranet.local", "mailserver"])
    assert "names.invalid" in {f.code for f in csr_check(data=pem).findings}
    report = csr_check(data=pem, names=["intranet.local", "mailserver"], internal_names=True)
    assert report.ok is True


@pytest.mark.parametrize(
    ("names", "english", "danish"),
    [
        (["a.example.;"], "“;” may only have letters", "»;« må kun have bogstaver"),
        (["bad_name.example"], "“bad_name” may only have", "»bad_name« må kun have"),
        (["a..example"], "two dots in a row", "to punktummer i træk"),
        (["mailserver"], "full domain name", "fuldt domænenavn"),
        (["\U0001f600.example"], "“\U0001f600” has characters", "»\U0001f600« har tegn"),
        # a hidden direction mark is refused, and not printed to turn the message around
        (["\u202emoc.example"], "“moc” has characters", "»moc« har tegn"),
    ],
)
def test_a_name_problem_is_said_in_the_readers_language(names, english, danish):
    from django.utils import translation

    with translation.override("en"), pytest.raises(NamesError, match=english) as refused:
        order_names_check(product="qualityssl", names=names)
    assert "'" not in str(refused.value)  # no Python quoting of the name's parts
    with translation.override("da"), pytest.raises(NamesError, match=danish):
        order_names_check(product="qualityssl", names=names)
    with translation.override("da"):  # intranet names need no dot, in any language
        assert order_names_check(product="qualityssl-intranet", names=["mailserver"]) == [
            "mailserver"
        ]
