"""Navigation shown in the top bar; each entry appears only to roles that may use it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from kehu.accounts import scope

CUSTOMERS, SALES, FIELD = _("Customers"), _("Sales"), _("Field work")

# (URL name, label, who may see it (None: everyone signed in), menu it sits in (None: the bar itself)).
NAV: list[tuple[str, Any, Any, Any]] = [
    ("customers:list", _("Customers"), None, CUSTOMERS),
    ("customers:groups", _("Groups"), None, CUSTOMERS),
    ("customers:grants", _("Card loans"), None, CUSTOMERS),
    ("customers:import-list", _("Import"), scope.can_import, CUSTOMERS),
    ("customers:duplicates", _("Duplicates"), scope.can_restore, CUSTOMERS),  # custodian and admin
    ("customers:fields", _("Custom fields"), scope.can_manage_custom_fields, CUSTOMERS),
    ("sales:orders", _("Orders"), None, SALES),
    ("sales:plans", _("Plans"), None, SALES),
    ("sales:receivables", _("Receivables"), None, SALES),
    ("sales:holds", _("Credit holds"), None, SALES),
    ("sales:credit-review", _("Credit review"), scope.can_review_credit, SALES),
    ("sales:products", _("Products"), None, SALES),
    ("field:today", _("Today's visits"), scope.works_in_field, FIELD),
    ("field:plans", _("Visit plans"), None, FIELD),
    ("field:map", _("Map"), None, FIELD),
    ("field:unreturned", _("Unreturned visits"), scope.can_review_field_work, FIELD),
    ("field:review", _("Route review"), scope.can_review_field_work, FIELD),
    ("field:handovers", _("Handover"), scope.sees_handovers, FIELD),
    ("accounts:audit", _("Audit log"), scope.can_read_audit_log, None),
    ("api-docs", _("API"), None, None),
]


def _groups(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bar: a menu per area (a lone entry stays a plain link), in the order of NAV."""
    groups: list[dict[str, Any]] = []
    for item in items:
        menu = item["menu"]
        if menu is not None and groups and groups[-1]["label"] == menu:
            groups[-1]["items"].append(item)
        else:
            groups.append({"label": menu if menu is not None else item["label"], "items": [item]})
    for group in groups:
        group["active"] = any(item["active"] for item in group["items"])
    return groups


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for name, label, allowed, menu in NAV:
        if allowed is not None and not allowed(user):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": False, "menu": menu})
    # The longest matching entry is the page's own: /customers/imports/ is Import, not Customers too.
    matching = [item for item in items if request.path.startswith(item["url"]) and item["url"] != "/"]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    return {"nav_items": items, "nav_groups": _groups(items)}
