"""Views of the browser UI, one module per domain. Each view parses input, calls one selector or
service, and renders; permission checks live in those selectors and services."""
