from __future__ import annotations

import io

from pypdf import PdfReader

from kehu.core.pdf import FONT_FAMILY, FONT_PATH, html_to_pdf


def _fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_the_shipped_font_is_a_cut_of_noto_sans_sc() -> None:
    assert FONT_PATH.exists()
    assert FONT_PATH.stat().st_size < 4_000_000


def test_chinese_text_prints_with_the_shipped_font_embedded() -> None:
    pdf = html_to_pdf("<h1>客户资料卡</h1><p>北京海淀区单氏副食店 应收 ¥1,234.00</p>")
    reader = PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert "北京海淀区单氏副食店" in text
    assert "1,234.00" in text
    assert any(name.endswith(FONT_FAMILY.replace(" ", "-")) for name in _fonts(reader))
