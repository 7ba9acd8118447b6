"""What field work contributes to the card app: the Visits tab, merge row builders, the demo step.

Each part registers itself here so the customers app never imports field work.
"""

from __future__ import annotations

import importlib


def register() -> None:
    for module in ("kehu.field.tabs", "kehu.field.merge", "kehu.field.demo.hook"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        if hasattr(mod, "register"):
            mod.register()
