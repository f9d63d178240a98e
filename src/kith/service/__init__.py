"""Tickets, SLA policies and business hours, ticket events, CSAT."""
