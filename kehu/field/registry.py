"""What field work contributes to the card app: the Visits tab, the merge step, the demo step.

Each part registers itself with the customers app here, so the customers app never imports field work.
"""

from __future__ import annotations


def register() -> None:
    from kehu.field import merge, tabs
    from kehu.field.demo import hook  # noqa: F401  (registers the field step of `kehu demo` on import)

    tabs.register()
    merge.register()
