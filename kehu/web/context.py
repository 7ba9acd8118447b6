"""Navigation shown in the top bar; each entry appears only to roles that may use it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from kehu.accounts import scope

NAV: list[tuple[str, Any, Any]] = [
    ("customers:list", _("Customers"), None),
    ("customers:groups", _("Groups"), None),
    ("sales:orders", _("Orders"), None),
    ("sales:plans", _("Plans"), None),
    ("sales:receivables", _("Receivables"), None),
    ("sales:holds", _("Credit holds"), None),
    ("sales:credit-review", _("Credit review"), scope.can_review_credit),
    ("sales:products", _("Products"), None),
    ("field:today", _("Today's visits"), scope.works_in_field),
    ("field:plans", _("Visit plans"), None),
    ("field:map", _("Map"), None),
    ("field:unreturned", _("Unreturned visits"), scope.can_review_field_work),
    ("field:review", _("Route review"), scope.can_review_field_work),
    ("field:handovers", _("Handover"), scope.sees_handovers),
    ("customers:grants", _("Card loans"), None),
    ("accounts:audit", _("Audit log"), scope.can_read_audit_log),
    ("customers:import-list", _("Import"), scope.can_import),
    ("customers:duplicates", _("Duplicates"), scope.can_restore),  # custodian and admin
    ("customers:fields", _("Custom fields"), scope.can_manage_custom_fields),
    ("api-docs", _("API"), None),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for name, label, allowed in NAV:
        if allowed is not None and not allowed(user):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": False})
    # The longest matching entry is the page's own: /customers/imports/ is Import, not Customers too.
    matching = [item for item in items if request.path.startswith(item["url"]) and item["url"] != "/"]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    return {"nav_items": items}
