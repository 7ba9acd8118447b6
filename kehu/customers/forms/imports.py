"""Forms of the import wizard: the upload, and the column mapping with its options.

They parse what the person sent; the import engine (kehu.customers.imports) decides what a file,
a mapping or a mode may be and answers with ImportFileError or a ValidationError field map.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.customers.models import ImportMode, OnError

# Larger uploads are refused before the engine reads them (1M rows of a wide sheet fit well below).
DEFAULT_MAX_UPLOAD_BYTES = 256 * 1024 * 1024
ACCEPTED_EXTENSIONS = ".xlsx,.xls,.csv"
SAMPLES_SHOWN = 3

GROUP_LABELS = {
    "card": gettext_lazy("Card"),
    "contact": gettext_lazy("Contact"),
    "custom": gettext_lazy("Custom fields"),
}


def max_upload_bytes() -> int:
    return int(getattr(settings, "KEHU_IMPORT_MAX_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def check_upload_size(uploaded: Any) -> None:
    """Refuse a file larger than the configured limit, with a message naming the limit."""
    limit = max_upload_bytes()
    if (getattr(uploaded, "size", 0) or 0) > limit:
        raise ValidationError(
            _("The file is larger than %(limit)s; split it into smaller files.") % {"limit": filesizeformat(limit)}
        )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("An Excel workbook (.xlsx, .xls) or a CSV file, with the column names in the first row."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_EXTENSIONS}),
        error_messages={"required": gettext_lazy("Choose a file to import.")},
    )

    def clean_file(self) -> Any:
        uploaded = self.cleaned_data["file"]
        check_upload_size(uploaded)
        return uploaded


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as the spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def target_choices(targets: Iterable[Any]) -> list[tuple[str, Any]]:
    """The select's options: "ignore" first, then the targets grouped as card / contact / custom."""
    grouped: dict[str, list[tuple[str, str]]] = {group: [] for group in GROUP_LABELS}
    for target in targets:
        label = f"{target.label} *" if target.required_for_create else str(target.label)
        grouped.setdefault(target.group, []).append((target.key, label))
    choices: list[tuple[str, Any]] = [("", _("— do not import —"))]
    for group, options in grouped.items():
        if options:
            choices.append((str(GROUP_LABELS.get(group, group)), options))
    return choices


def column_field_name(index: int) -> str:
    return f"col_{index}"


class MappingForm(forms.Form):
    """One select per column of the file, pre-filled with the job's (guessed or remembered) mapping."""

    mode = forms.ChoiceField(label=gettext_lazy("What to do"), choices=ImportMode.choices, widget=forms.RadioSelect)
    on_error = forms.ChoiceField(
        label=gettext_lazy("Rows with problems"), choices=OnError.choices, widget=forms.RadioSelect
    )
    import_duplicates = forms.BooleanField(
        label=gettext_lazy("Import rows that look like existing customers anyway"), required=False,
        help_text=gettext_lazy("Otherwise such rows are left out and listed on the next page."),
    )

    def __init__(self, *args: Any, job: Any, targets: Sequence[Any], **kwargs: Any) -> None:
        mapping = job.mapping or {}
        kwargs.setdefault("initial", {
            "mode": job.mode or ImportMode.CREATE,
            "on_error": job.on_error or OnError.SKIP,
            "import_duplicates": bool(job.import_duplicates),
            **{column_field_name(int(i)): key for i, key in mapping.items() if str(i).isdigit()},
        })
        super().__init__(*args, **kwargs)
        self.job = job
        self.mapping_errors: list[str] = []
        choices = target_choices(targets)
        for index, header in enumerate(job.headers or []):
            self.fields[column_field_name(index)] = forms.ChoiceField(
                label=header or _("Column %(letter)s") % {"letter": column_letter(index)},
                choices=choices, required=False,
            )

    def mapping(self) -> dict[int, str]:
        """column index → target key ("" = ignore), from the cleaned data."""
        return {
            index: self.cleaned_data.get(column_field_name(index)) or ""
            for index in range(len(self.job.headers or []))
        }

    def columns(self) -> list[dict[str, Any]]:
        """What each row of the mapping table shows: letter, header, a few sample values, the select."""
        samples = self.job.sample_rows or []
        rows = []
        for index, header in enumerate(self.job.headers or []):
            values = [row[index] for row in samples[:SAMPLES_SHOWN] if index < len(row) and str(row[index]).strip()]
            rows.append({
                "letter": column_letter(index), "header": header, "samples": values,
                "field": self[column_field_name(index)],
            })
        return rows

    def add_engine_errors(self, exc: ValidationError) -> None:
        """Put the engine's field map back where the person sees it: per option, or over the table."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            head, _dot, tail = key.partition(".")
            if head == "mapping" and tail.isdigit() and column_field_name(int(tail)) in self.fields:
                self.add_error(column_field_name(int(tail)), messages)
            elif head == "mapping":
                self.mapping_errors.extend(messages)
            elif key in self.fields:
                self.add_error(key, messages)
            else:
                self.add_error(None, messages)


def duplicate_rows(user: Any, duplicates: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The file's rows that look like existing cards, linking only the cards this user may open."""
    from django.urls import reverse

    from kehu.customers.models import Customer

    wanted = {match.get("id") for row in duplicates for match in row.get("matches", [])}
    ids = {number for number in wanted if isinstance(number, int)}
    visible = set(Customer.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    rows = []
    for row in duplicates:
        shown, hidden = [], 0
        for match in row.get("matches", []):
            if match.get("id") is None:  # an earlier row of the same file
                shown.append({**match, "url": ""})
            elif match["id"] in visible:
                shown.append({**match, "url": reverse("customers:detail", args=[match["id"]])})
            else:
                hidden += 1
        rows.append({"row": row.get("row"), "name": row.get("name", ""), "matches": shown, "hidden": hidden})
    return rows
