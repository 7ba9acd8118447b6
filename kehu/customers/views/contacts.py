"""Adding, editing and deleting a card's contacts (only for those who may edit the card)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.accounts import scope
from kehu.accounts.models import User
from kehu.core.errors import NotFound, VersionConflict
from kehu.customers import selectors
from kehu.customers.forms import ContactForm, apply_service_errors, contact_initial
from kehu.customers.forms.presentation import format_value
from kehu.customers.models import Contact, Customer
from kehu.customers.services import contact_create, contact_delete, contact_update
from kehu.customers.views.cards import domain_errors, forbidden


def _editable_card(user: User, pk: int) -> Customer:
    return selectors.customer_get(user=user, customer_id=pk)


def _contact(user: User, customer: Customer, contact_pk: int) -> Contact:
    contact = Contact.objects.visible_to(user).filter(pk=contact_pk, customer=customer).first()
    if contact is None:
        raise NotFound
    return contact


def _back(customer: Customer) -> HttpResponse:
    return redirect(reverse("customers:detail", args=[customer.pk]) + "?tab=contacts")


def _render(
    request: HttpRequest,
    form: ContactForm,
    customer: Customer,
    contact: Contact | None,
    status: int = 200,
    **extra: object,
) -> HttpResponse:
    context = {"form": form, "customer": customer, "contact": contact, **extra}
    return render(request, "customers/contact_form.html", context, status=status)


@login_required
@domain_errors
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _editable_card(request.user, pk)
    if not scope.can_edit(request.user, customer):
        return forbidden(request, _("You may not edit this card."))
    if request.method != "POST":
        return _render(request, ContactForm(), customer, None)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            contact_create(
                actor=request.user, customer_id=customer.pk, data=form.service_data(), request=request
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Contact added."))
            return _back(customer)
    return _render(request, form, customer, None, status=400)


@login_required
@domain_errors
def contact_edit(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    customer = _editable_card(request.user, pk)
    contact = _contact(request.user, customer, contact_pk)
    if not scope.can_edit(request.user, customer):
        return forbidden(request, _("You may not edit this card."))
    if request.method != "POST":
        return _render(request, ContactForm(initial=contact_initial(contact)), customer, contact)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            contact_update(
                actor=request.user,
                contact_id=contact.pk,
                data=form.service_data(),
                version=form.cleaned_data.get("version"),
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except VersionConflict as exc:
            return _conflict(request, form, customer, exc.current)
        else:
            messages.success(request, _("Contact saved."))
            return _back(customer)
    return _render(request, form, customer, contact, status=400)


def _conflict(request: HttpRequest, form: ContactForm, customer: Customer, current: Contact) -> HttpResponse:
    saved = contact_initial(current)
    differences = [
        (form.fields[name].label, format_value(None, saved[name]), format_value(None, value))
        for name, value in form.service_data().items()
        if (value.strip() if isinstance(value, str) else value) != saved[name]
    ]
    data = request.POST.copy()
    data["version"] = str(current.version)
    rearmed = ContactForm(data)
    rearmed.is_valid()
    return _render(request, rearmed, customer, current, status=409, conflict=True, differences=differences)


@login_required
@domain_errors
def contact_remove(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    customer = _editable_card(request.user, pk)
    contact = _contact(request.user, customer, contact_pk)
    if not scope.can_edit(request.user, customer):
        return forbidden(request, _("You may not edit this card."))
    if request.method != "POST":
        return render(
            request, "customers/contact_confirm_delete.html", {"customer": customer, "contact": contact}
        )
    contact_delete(actor=request.user, contact_id=contact.pk, request=request)
    messages.success(request, _("Contact %(name)s deleted.") % {"name": contact.name})
    return _back(customer)
