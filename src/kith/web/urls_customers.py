"""Contacts and companies: lists, pages, forms, bulk actions and the contact export."""

from django.urls import path

from kith.web.views import companies, contacts

urlpatterns = [
    # Contacts
    path("contacts/", contacts.contact_list, name="contact-list"),
    path("contacts/new/", contacts.contact_create, name="contact-create"),
    path("contacts/bulk/", contacts.contacts_bulk, name="contact-bulk"),
    path("contacts/export.csv", contacts.contacts_export, name="contact-export"),
    path("contacts/<int:contact_id>/", contacts.contact_detail, name="contact-detail"),
    path("contacts/<int:contact_id>/edit/", contacts.contact_edit, name="contact-edit"),
    path("contacts/<int:contact_id>/delete/", contacts.contact_delete, name="contact-delete"),
    # Companies
    path("companies/", companies.company_list, name="company-list"),
    path("companies/new/", companies.company_create, name="company-create"),
    path("companies/options/", companies.company_options, name="company-options"),
    path("companies/<int:company_id>/", companies.company_detail, name="company-detail"),
    path("companies/<int:company_id>/edit/", companies.company_edit, name="company-edit"),
    path("companies/<int:company_id>/delete/", companies.company_delete, name="company-delete"),
]
