"""Pure helpers for Vietnamese registry data: identifiers, names, phones, dates and reference tables.

Nothing here imports Django, so the synthetic generator, importers and tests can use it without settings.
"""
