"""The OpenAPI document of API v1."""

from __future__ import annotations

from django.test import Client


def test_openapi_lists_the_foundation_endpoints(db):
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Kith API"
    operations = {(path, method) for path, methods in schema["paths"].items() for method in methods}
    # Each domain's tests check its own endpoints; these are the foundation's.
    assert operations >= {
        ("/api/v1/me", "get"),
        ("/api/v1/tokens", "get"),
        ("/api/v1/tokens", "post"),
        ("/api/v1/tokens/{token_id}", "delete"),
        ("/api/v1/contacts", "get"),
        ("/api/v1/contacts", "post"),
        ("/api/v1/contacts/{contact_id}", "get"),
        ("/api/v1/contacts/{contact_id}", "patch"),
        ("/api/v1/contacts/{contact_id}", "delete"),
        ("/api/v1/contacts/bulk-tag", "post"),
        ("/api/v1/contacts/bulk-assign", "post"),
        ("/api/v1/companies", "get"),
        ("/api/v1/companies", "post"),
        ("/api/v1/companies/{company_id}", "get"),
        ("/api/v1/companies/{company_id}", "patch"),
        ("/api/v1/companies/{company_id}", "delete"),
        ("/api/v1/search", "get"),
    }
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    contact = schema["components"]["schemas"]["ContactOut"]["properties"]
    assert {
        "emails",
        "phones",
        "socials",
        "addresses",
        "tags",
        "custom",
        "company",
        "owner",
        "team",
        "lifecycle_stage",
        "source_channel",
        "version",
        "created_at",
        "updated_at",
    } <= set(contact)
