"""customers: customers recognised by phone, their addresses (parsed to province/city/district, adcode
and coordinates with cpca) and installed products (model, serial, purchase date, warranty end); the
product catalog.

Depends on: accounts, core. Entry points: ``service.find_or_create_customer``, ``service.add_address``,
``service.register_product``; ``rules`` for phone validation and masking.
"""
