"""The browser UI: one views module per domain (see kith.web.views)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from kith.web.views import account, auth, companies, contacts, home, search

urlpatterns = [
    path("", home.home, name="home"),
    # Sign in/out and language
    path("login/", auth.KithLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", auth.language_set, name="language-set"),
    # Account: password and API tokens
    path("account/", account.account_detail, name="account"),
    path("account/password/", account.password_change, name="password-change"),
    path("account/tokens/", account.token_create, name="token-create"),
    path("account/tokens/<int:token_id>/revoke/", account.token_revoke, name="token-revoke"),
    # Search
    path("search/", search.search, name="search"),
    path("search/live/", search.search_live, name="search-live"),
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
    # Later domains, one URL module each
    path("", include("kith.web.urls_engagement")),
    path("", include("kith.web.urls_sales")),
    path("", include("kith.web.urls_service")),
    path("", include("kith.web.urls_insights")),
    path("", include("kith.web.urls_intake")),
    path("", include("kith.web.urls_settings")),
]
