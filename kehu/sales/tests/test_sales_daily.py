"""`kehu sales_daily` runs the three daily steps: lifecycle, collection reminders, credit review."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

from django.core import mail
from django.core.management import call_command

from kehu.customers.models import Customer, CustomerStatus
from kehu.sales.models import Collection
from kehu.sales.testing import make_booked_order, make_product
from kehu.testing import World

TODAY = date(2026, 11, 27)


def test_the_daily_run_moves_lifecycle_and_reminds_once(world: World):
    soy = make_product("P1", "酱油", "10.00")
    Customer.objects.filter(pk=world.carol_card.pk).update(status=CustomerStatus.ACTIVE)  # tier A: dormant after 60 days
    make_booked_order(world.carol_card, [(soy, 1, "10.00")], order_date=TODAY - timedelta(days=200))
    world.alice.email = "alice@example.com"
    world.alice.save(update_fields=["email"])
    Collection.objects.create(customer=world.alice_card, due_on=TODAY, amount=Decimal("120.00"), responsible=world.alice)

    out = StringIO()
    call_command("sales_daily", "--date", TODAY.isoformat(), stdout=out)

    world.carol_card.refresh_from_db()
    assert world.carol_card.status == CustomerStatus.DORMANT
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert "120.00" in mail.outbox[0].body
    assert out.getvalue().startswith("2026-11-27: lifecycle")

    call_command("sales_daily", "--date", TODAY.isoformat(), stdout=StringIO())
    assert len(mail.outbox) == 1  # nothing is announced twice
