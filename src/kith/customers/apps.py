"""Companies, contacts and their points, addresses, relationships and consents."""

from django.utils.translation import gettext_lazy as _

from kith.core.apps import RECORD_GRANTS, AccessModule, ImportKind, KithAppConfig, NavEntry


class CustomersConfig(KithAppConfig):
    name = "kith.customers"
    search_sources = ("kith.customers.selectors.search:palette_search",)
    label = "customers"
    personal_data = ("kith.customers.personal_data",)

    access_modules = {
        "contacts": AccessModule(_("contacts"), RECORD_GRANTS),
        "companies": AccessModule(_("companies"), RECORD_GRANTS),
    }
    api_routers = ("kith.api.customers:router",)
    url_modules = ("kith.web.urls_customers",)
    nav_entries = (
        NavEntry("contacts", _("Contacts"), "contact-list", order=10, url_prefixes=("contact",)),
        NavEntry("companies", _("Companies"), "company-list", order=20, url_prefixes=("company",)),
    )
    import_kinds = (
        ImportKind(
            "contacts",
            _("Contacts"),
            model="customers.contact",
            module="contacts",
            order=10,
            list_url_name="contact-list",
            spec="kith.customers.importing:CONTACTS",
        ),
        ImportKind(
            "companies",
            _("Companies"),
            model="customers.company",
            module="companies",
            order=20,
            list_url_name="company-list",
            spec="kith.customers.importing:COMPANIES",
        ),
    )
