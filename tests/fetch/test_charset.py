"""Charset sniffing: header, BOM, meta, XML declaration, detection."""

from __future__ import annotations

import codecs

import pytest

from watchwire.fetch import decode_html, normalize_charset, sniff_charset

RU = "Лукашенко заявил о готовности к переговорам с США по санкциям против Беларуси."
UK = "Сполучені Штати запропонували Білорусі послаблення санкцій в обмін на звільнення в'язнів."


def page(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>Новости</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize("encoding", ["windows-1251", "koi8-r", "utf-8"])
def test_undeclared_cyrillic_is_detected(encoding: str) -> None:
    """No declaration anywhere: utf-8 is validated, cp1251 and koi8-r are told apart."""
    data = page(RU + " " + RU).encode(encoding)
    assert RU in decode_html(data, charset=None)


@pytest.mark.parametrize("encoding", ["windows-1251", "koi8-r"])
def test_meta_charset_is_honoured(encoding: str) -> None:
    data = page(RU, f'<meta charset="{encoding}">').encode(encoding)
    assert sniff_charset(data) == encoding
    assert RU in decode_html(data)


def test_http_equiv_is_honoured() -> None:
    head = '<meta content="text/html; charset=windows-1251" http-equiv="Content-Type">'
    data = page(UK, head).encode("windows-1251")
    assert sniff_charset(data) == "windows-1251"
    assert UK in decode_html(data)


def test_header_charset_wins_over_meta() -> None:
    data = page(RU, '<meta charset="koi8-r">').encode("windows-1251")
    assert RU in decode_html(data, charset="windows-1251")


def test_header_utf8_that_is_not_utf8_falls_through_to_meta() -> None:
    """A server-wide ``charset=utf-8`` over a cp1251 page: the page's own meta is believed."""
    data = page(RU, '<meta charset="windows-1251">').encode("windows-1251")
    assert sniff_charset(data, charset="utf-8") == "windows-1251"


def test_bom_wins_over_everything() -> None:
    data = codecs.BOM_UTF8 + page(RU, '<meta charset="koi8-r">').encode("utf-8")
    text = decode_html(data, charset="windows-1251")
    assert RU in text
    assert not text.startswith("\ufeff")


def test_utf16_bom() -> None:
    data = codecs.BOM_UTF16_LE + page(RU).encode("utf-16-le")
    assert RU in decode_html(data)


def test_xml_declaration() -> None:
    data = f'<?xml version="1.0" encoding="windows-1251"?><rss><title>{RU}</title></rss>'
    assert RU in decode_html(data.encode("windows-1251"))


def test_meta_claiming_utf16_means_utf8() -> None:
    """WHATWG: an ASCII-compatible page that says utf-16 in <meta> is utf-8."""
    data = page(RU, '<meta charset="utf-16">').encode("utf-8")
    assert sniff_charset(data) == "utf-8"


def test_unknown_labels_are_ignored() -> None:
    data = page(RU, '<meta charset="no-such-charset">').encode("utf-8")
    assert RU in decode_html(data, charset="bogus")


def test_utf8_cut_mid_character_is_still_utf8() -> None:
    """A body cut at the size cap inside a multibyte character is still recognised."""
    data = page(RU).encode("utf-8")
    cut = data[: data.index("Лукашенко".encode()) + 1]  # half of the "Л"
    assert sniff_charset(cut) == "utf-8"


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("CP1251", "cp1251"),
        ("Windows-1251", "windows-1251"),
        ("ISO-8859-1", "windows-1252"),
        ("us-ascii", "windows-1252"),
        ('"utf-8"', "utf-8"),
        ("nonsense", None),
        (None, None),
    ],
)
def test_normalize_charset(label: str | None, name: str | None) -> None:
    assert normalize_charset(label) == name


@pytest.mark.parametrize(
    "label", ["utf-7", "UTF7", "unicode-1-1-utf-7", "utf-32", "base64", "cp037"]
)
def test_labels_outside_the_whatwg_standard_are_ignored(label: str) -> None:
    """A page declaring utf-7 (or a codec browsers do not know) is read as if undeclared:
    ``+ADw-script+AD4-`` must not become ``<script>``."""
    data = page("+ADw-script+AD4-alert(1)", f'<meta charset="{label}">').encode()
    assert normalize_charset(label) is None
    assert "<script>" not in decode_html(data)
    assert "<script>" not in decode_html(data, charset=label)


@pytest.mark.parametrize("declared", ["ISO-8859-1", "iso-8859-2", "windows-1251"])
def test_a_stale_single_byte_meta_over_utf8_bytes_is_not_believed(declared: str) -> None:
    """A template's ``ISO-8859-1`` over a page the CMS writes in UTF-8: valid multi-byte UTF-8
    is UTF-8 (legacy text practically never is)."""
    text = "Andrés Iniesta: «Los recuerdos son mágicos» — Paweł będzie"
    data = page(text, f'<meta charset="{declared}">').encode("utf-8")
    assert sniff_charset(data) == "utf-8"
    assert text in decode_html(data)


def test_a_single_byte_meta_over_its_own_bytes_is_still_believed() -> None:
    """Real ISO-8859-1 text is not valid UTF-8, so its declaration stands."""
    html = '<html><head><meta charset="ISO-8859-1"></head><body><p>Andrés Iniesta</p></body></html>'
    data = html.encode("latin-1")
    assert sniff_charset(data) == "windows-1252"
    assert "Andrés Iniesta" in decode_html(data)
