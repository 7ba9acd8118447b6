"""PDF from templates (WeasyPrint), with the Chinese font that ships with Kehu embedded.

The font is Noto Sans CJK SC cut down to GB 2312 plus Latin and punctuation (3.5 MB, OFL);
rarer characters fall back to any CJK font installed on the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-Regular-GB2312.otf"
FONT_FAMILY = "Kehu Sans"

BASE_CSS = f"""
@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{FONT_PATH.as_uri()}"); }}
@page {{ size: A4; margin: 14mm 12mm; @bottom-right {{ content: counter(page) " / " counter(pages);
  font-family: "{FONT_FAMILY}"; font-size: 8pt; color: #666; }} }}
html {{ font-family: "{FONT_FAMILY}", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; font-size: 10pt; }}
"""


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it needs (Pango) are not installed on this server."""


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    try:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        raise PdfUnavailable(str(exc)) from exc
    fonts = FontConfiguration()
    css = CSS(string=BASE_CSS, font_config=fonts)
    return HTML(string=html, base_url=base_url).write_pdf(stylesheets=[css], font_config=fonts)


def render_pdf(template_name: str, context: dict[str, Any], request: HttpRequest | None = None) -> bytes:
    html = render_to_string(template_name, context, request=request)
    base_url = request.build_absolute_uri("/") if request is not None else None
    return html_to_pdf(html, base_url=base_url)
