"""Renewals move their paid-until date and keep every paid period (RenewalCharge); automatic
renewal is a per-service choice. A renewal paid under the old one-shot model becomes a
charge for the period it paid, and its due date moves on by the term."""

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def _add_months(day, months):
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def forwards(apps, schema_editor):
    Renewal = apps.get_model("store", "Renewal")
    RenewalCharge = apps.get_model("store", "RenewalCharge")
    for renewal in Renewal.objects.select_related("line__order"):
        renewal.term_months = renewal.line.term_months or 12
        if renewal.status == "renewed":
            order = renewal.line.order
            end = _add_months(renewal.due, renewal.term_months)
            vat = int(
                (Decimal(renewal.price_minor) * order.vat_rate / 100).quantize(
                    Decimal(1), rounding=ROUND_HALF_UP
                )
            )
            RenewalCharge.objects.create(
                renewal=renewal,
                period_start=renewal.due,
                period_end=end,
                net_minor=renewal.price_minor,
                vat_minor=vat,
                total_minor=renewal.price_minor + vat,
                currency=order.currency,
                trigger="customer",
                payment_reference=renewal.payment_reference or "before-periods",
            )
            renewal.due = end
        renewal.save(update_fields=["term_months", "due"])


class Migration(migrations.Migration):
    dependencies = [("store", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="renewal",
            name="term_months",
            field=models.PositiveSmallIntegerField(
                default=12, help_text="each renewal pays this many months"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="renewal",
            name="automatic",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="renewal",
            name="reminded_for",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="renewal",
            name="due",
            field=models.DateField(help_text="the service is paid until this date"),
        ),
        migrations.CreateModel(
            name="RenewalCharge",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("period_start", models.DateField()),
                ("period_end", models.DateField()),
                ("net_minor", models.PositiveIntegerField()),
                ("vat_minor", models.PositiveIntegerField()),
                ("total_minor", models.PositiveIntegerField()),
                ("currency", models.CharField(max_length=3)),
                (
                    "trigger",
                    models.CharField(
                        choices=[
                            ("customer", "confirmed by the customer"),
                            ("automatic", "automatic renewal"),
                        ],
                        max_length=10,
                    ),
                ),
                ("payment_reference", models.CharField(max_length=100)),
                ("charged_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "renewal",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="charges",
                        to="store.renewal",
                    ),
                ),
            ],
            options={"ordering": ("-charged_at", "-pk")},
        ),
        migrations.AddConstraint(
            model_name="renewalcharge",
            constraint=models.UniqueConstraint(
                fields=("renewal", "period_start"), name="store_one_charge_per_period"
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="renewal", name="status"),
        migrations.RemoveField(model_name="renewal", name="payment_reference"),
    ]
