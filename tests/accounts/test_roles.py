from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission

from keepfaith.accounts.models import User
from keepfaith.accounts.roles import ROLE_PERMISSIONS


def test_every_role_is_a_group_with_exactly_its_permissions(db):
    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert granted == set(names)


def test_every_listed_permission_exists(db):
    for names in ROLE_PERMISSIONS.values():
        for name in names:
            app_label, codename = name.split(".")
            assert Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).exists(), name


@pytest.mark.clause("SITE-1")
def test_customer_numbers_are_unique_random_and_not_for_staff(alice, carol, bob):
    pattern = re.compile(r"^KF-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$")
    assert pattern.match(alice.customer_number)
    assert alice.customer_number != carol.customer_number
    assert bob.customer_number is None


def test_email_is_unique_whatever_its_case(alice):
    import pytest
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already exists"):
        User.objects.create_user("ALICE@Example.com", "x" * 12)
