from django.urls import path

from kehu.customers.views import cards, contacts

urlpatterns = [
    path("", cards.card_list, name="list"),
    path("new/", cards.card_create, name="create"),
    path("autocomplete/", cards.card_autocomplete, name="autocomplete"),
    path("export/", cards.card_export, name="export"),
    path("<int:pk>/", cards.card_detail, name="detail"),
    path("<int:pk>/edit/", cards.card_edit, name="edit"),
    path("<int:pk>/print/", cards.card_print, name="print"),
    path("<int:pk>/archive/", cards.card_archive, name="archive"),
    path("<int:pk>/restore/", cards.card_restore, name="restore"),
    path("<int:pk>/purge/", cards.card_purge, name="purge"),
    path("<int:pk>/contacts/new/", contacts.contact_add, name="contact-create"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", contacts.contact_edit, name="contact-edit"),
    path("<int:pk>/contacts/<int:contact_pk>/delete/", contacts.contact_remove, name="contact-delete"),
]
