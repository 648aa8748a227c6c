"""``keepfaith demo``: load the demo data (idempotent) and print how to look around."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from keepfaith.demo import STEPS


class Command(BaseCommand):
    help = "Load the demo: staff for every role, customers, and each feature's examples."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("the demo is refused in production mode (it has known passwords)")
        for step in STEPS:
            with transaction.atomic():
                lines = step()
            for line in lines:
                self.stdout.write(line)
