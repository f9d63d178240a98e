"""Kith: an open-source CRM with a data-science core."""
