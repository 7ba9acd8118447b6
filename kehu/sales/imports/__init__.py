"""Spreadsheet imports of the sales app: `common` (the shared reader) and one module per import."""
