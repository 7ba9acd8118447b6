"""Web forms of the customer pages. They parse input; the services decide and validate the rules."""

from kehu.customers.forms.base import apply_service_errors
from kehu.customers.forms.cards import CARD_SECTIONS, CustomerForm, card_initial
from kehu.customers.forms.contacts import ContactForm, contact_initial
from kehu.customers.forms.list import list_filters_restrict, visible_filter_fields

__all__ = [
    "CARD_SECTIONS",
    "ContactForm",
    "CustomerForm",
    "apply_service_errors",
    "card_initial",
    "contact_initial",
    "list_filters_restrict",
    "visible_filter_fields",
]
