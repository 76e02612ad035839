"""customer-bulk: bulk customer import and export for multi-tenant CRM, shop, loyalty and POS products.

Layers inside this package: ``models`` (pydantic), ``logic`` (the rules), ``dal`` (the only code that talks to
boto3), ``spreadsheet`` (reading and writing files safely). Function handlers stay thin and call ``logic``.
"""
