"""Customer import engine: spreadsheets in, cards out (see docs/architecture.md, "Import").

The UI and API code against these names.
"""

from kehu.customers.imports.errors import ImportFileError
from kehu.customers.imports.services import (
    format_problem,
    import_cancel,
    import_check,
    import_commit,
    import_configure,
    import_jobs_visible_to,
    import_progress,
    import_upload,
)
from kehu.customers.imports.targets import Target, import_targets
from kehu.customers.imports.template import import_template

__all__ = [
    "ImportFileError",
    "Target",
    "format_problem",
    "import_cancel",
    "import_check",
    "import_commit",
    "import_configure",
    "import_jobs_visible_to",
    "import_progress",
    "import_targets",
    "import_template",
    "import_upload",
]
