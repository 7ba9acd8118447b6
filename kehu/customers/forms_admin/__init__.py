"""Web forms for the administrative customer pages: groups and segments, card loans, custom fields.

Forms only parse what a person typed; the services decide what is allowed and valid.
"""
