"""Writes for companies, contacts, relationships, consents, tags and custom fields.

Every service checks access through kith.identity.access, validates and normalises input
(raising FieldError keyed by field, e.g. "emails.0"), writes atomically, bumps the record's
version and records each changed field in the history. One module per concept; the public
services are re-exported here (`from kith.customers.services import contact_create`).
"""

from kith.customers.services.companies import (
    COMPANY_FIELDS,
    company_create,
    company_delete,
    company_update,
)
from kith.customers.services.consents import consent_record, consent_set
from kith.customers.services.contact_points import POINT_LISTS
from kith.customers.services.contacts import (
    CONTACT_FIELDS,
    contact_create,
    contact_delete,
    contact_update,
)
from kith.customers.services.contacts_bulk import contacts_bulk_assign, contacts_bulk_tag
from kith.customers.services.custom_fields import (
    custom_field_create,
    custom_field_delete,
    custom_field_update,
    custom_field_values_count,
)
from kith.customers.services.relationships import relationship_create, relationship_delete
from kith.customers.services.tags import MAX_TAG

__all__ = [
    "COMPANY_FIELDS",
    "CONTACT_FIELDS",
    "MAX_TAG",
    "POINT_LISTS",
    "company_create",
    "company_delete",
    "company_update",
    "consent_record",
    "consent_set",
    "contact_create",
    "contact_delete",
    "contact_update",
    "contacts_bulk_assign",
    "contacts_bulk_tag",
    "custom_field_create",
    "custom_field_delete",
    "custom_field_update",
    "custom_field_values_count",
    "relationship_create",
    "relationship_delete",
]
