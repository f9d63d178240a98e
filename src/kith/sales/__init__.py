"""Leads and web-to-lead forms, pipelines and deals, products, orders, forecasts."""
