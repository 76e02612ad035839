"""Placeholder until the export issue lands: exports are not implemented yet and this function is not deployed.

It will write export parts (one file up to 10,000 rows at once, or <= 30,000-row parts from the export state
machine) with the import template's columns.
"""
