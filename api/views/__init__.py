"""The API's views, one module per resource; each write calls the same service as the page."""
