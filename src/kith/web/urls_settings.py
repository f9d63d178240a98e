"""Admin settings (custom fields, users, teams, roles) and the contact page's small forms."""

from django.urls import path

from kith.web.views import admin_settings as views
from kith.web.views import contacts, privacy, security

urlpatterns = [
    path("settings/", views.settings_home, name="settings-home"),
    path("settings/fields/", views.field_list, name="settings-field-list"),
    path("settings/fields/new/", views.field_create, name="settings-field-create"),
    path("settings/fields/<int:field_id>/", views.field_edit, name="settings-field-edit"),
    path(
        "settings/fields/<int:field_id>/delete/", views.field_delete, name="settings-field-delete"
    ),
    path("settings/users/", views.user_list, name="settings-user-list"),
    path("settings/users/new/", views.user_create, name="settings-user-create"),
    path("settings/users/<int:user_id>/", views.user_edit, name="settings-user-edit"),
    path(
        "settings/users/<int:user_id>/password/",
        views.user_password,
        name="settings-user-password",
    ),
    path("settings/teams/", views.team_list, name="settings-team-list"),
    path("settings/teams/<int:team_id>/", views.team_edit, name="settings-team-edit"),
    path("settings/roles/", views.role_list, name="settings-role-list"),
    path("settings/roles/<int:role_id>/grants/", views.role_grants, name="settings-role-grants"),
    path("settings/security/", security.security_event_list, name="settings-security-list"),
    path("settings/backups/", security.backup_list, name="settings-backup-list"),
    path(
        "settings/privacy-requests/",
        privacy.privacy_request_list,
        name="settings-privacy-request-list",
    ),
    path(
        "settings/security/export.csv",
        security.security_event_export,
        name="settings-security-export",
    ),
]

# The contact page's relationship and consent forms (kith.web.views.contacts).
urlpatterns += [
    path(
        "contacts/<int:contact_id>/relationships/",
        contacts.contact_relationship_add,
        name="contact-relationship-add",
    ),
    path(
        "contacts/<int:contact_id>/relationships/<int:relationship_id>/remove/",
        contacts.contact_relationship_remove,
        name="contact-relationship-remove",
    ),
    path(
        "contacts/<int:contact_id>/consents/",
        contacts.contact_consent_record,
        name="contact-consent-record",
    ),
    path("contacts/options/", contacts.contact_options, name="contact-options"),
    path("contacts/<int:contact_id>/privacy/", privacy.contact_privacy, name="contact-privacy"),
    path(
        "contacts/<int:contact_id>/privacy/export.zip",
        privacy.contact_privacy_export,
        name="contact-privacy-export",
    ),
    path(
        "contacts/<int:contact_id>/privacy/erase/",
        privacy.contact_privacy_erase,
        name="contact-privacy-erase",
    ),
    path("leads/<int:lead_id>/privacy/", privacy.lead_privacy, name="lead-privacy"),
    path(
        "leads/<int:lead_id>/privacy/export.zip",
        privacy.lead_privacy_export,
        name="lead-privacy-export",
    ),
    path(
        "leads/<int:lead_id>/privacy/erase/", privacy.lead_privacy_erase, name="lead-privacy-erase"
    ),
]
