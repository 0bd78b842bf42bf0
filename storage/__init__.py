"""The archive's storage layer: tables, migrations, URL keys and text fingerprints.

It imports nothing from ``crawler`` or ``scheduler``; they write through the functions here.
"""
