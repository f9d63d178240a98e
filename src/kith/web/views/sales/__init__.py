"""Pages of sales: leads and web forms (leads.py), pipelines, deals and the forecast (deals.py),
products, orders and the contact/company panels (orders.py)."""
