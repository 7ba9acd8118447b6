from kehu.customers.services import customer_update


def test_world_builds_and_owner_can_edit(world):
    card = customer_update(actor=world.alice, customer_id=world.alice_card.pk, data={"short_name": "单氏"}, version=1)
    assert card.version == 2
