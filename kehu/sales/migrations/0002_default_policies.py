"""The starting credit policy per rating and the lifecycle rule per tier; admins change them later."""

from decimal import Decimal

from django.db import migrations

LIMITS = {"A": "500000", "B": "200000", "C": "50000", "D": "0", "-": "0"}
OVERDUE = {"A": 60, "B": 45, "C": 30, "D": 15, "-": 30}
DORMANT = {"A": 60, "B": 90, "C": 120, "D": 180}


def seed(apps, schema_editor):
    CreditPolicy = apps.get_model("sales", "CreditPolicy")
    LifecycleRule = apps.get_model("sales", "LifecycleRule")
    for rating, limit in LIMITS.items():
        CreditPolicy.objects.get_or_create(
            rating=rating, defaults={"default_limit": Decimal(limit), "max_overdue_days": OVERDUE[rating]}
        )
    for tier, days in DORMANT.items():
        LifecycleRule.objects.get_or_create(tier=tier, defaults={"dormant_after_days": days})


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
