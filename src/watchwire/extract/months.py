"""Month names as news pages write them, in the languages of the sites watchwire reads.

Data, not logic: ``MONTHS`` maps a lower-case (casefolded) month word, without a trailing dot,
to its number. Names and their grammatical cases (``März``, ``марта``, ``вересня``,
``czerwca``) and the usual abbreviations are listed per language; the parsing is in
``dates.py``. A word that means different months in two languages (Croatian ``listopad`` is
October, Polish and Czech ``listopad`` November) keeps the more common reading.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MONTHS"]

# fmt: off
# One row a month, January first; each row is the spellings of that month in this language.
_BY_LANGUAGE: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "january jan", "february feb", "march mar", "april apr", "may",
        "june jun", "july jul", "august aug", "september sep sept",
        "october oct", "november nov", "december dec",
    ),
    "de": (
        "januar jänner jan", "februar feber feb", "märz maerz mär mrz", "april apr", "mai",
        "juni jun", "juli jul", "august aug", "september sep sept",
        "oktober okt", "november nov", "dezember dez",
    ),
    "fr": (
        "janvier janv", "février fevrier févr fevr fév", "mars", "avril avr", "mai",
        "juin", "juillet juil", "août aout", "septembre sept",
        "octobre oct", "novembre nov", "décembre decembre déc dec",
    ),
    "es": (
        "enero ene", "febrero feb", "marzo mar", "abril abr", "mayo may",
        "junio jun", "julio jul", "agosto ago", "septiembre setiembre sep sept set",
        "octubre oct", "noviembre nov", "diciembre dic",
    ),
    "pt": (
        "janeiro jan", "fevereiro fev", "março marco mar", "abril abr", "maio mai",
        "junho jun", "julho jul", "agosto ago", "setembro set",
        "outubro out", "novembro nov", "dezembro dez",
    ),
    "it": (
        "gennaio gen", "febbraio feb", "marzo mar", "aprile apr", "maggio mag",
        "giugno giu", "luglio lug", "agosto ago", "settembre set sett",
        "ottobre ott", "novembre nov", "dicembre dic",
    ),
    "ca": (
        "gener", "febrer", "març", "abril", "maig",
        "juny", "juliol", "agost", "setembre",
        "octubre", "novembre", "desembre",
    ),
    "nl": (
        "januari jan", "februari feb", "maart mrt", "april apr", "mei",
        "juni jun", "juli jul", "augustus aug", "september sep sept",
        "oktober okt", "november nov", "december dec",
    ),
    "sv da no": (
        "januari januar", "februari februar", "mars marts", "april", "maj mai",
        "juni", "juli", "augusti august", "september",
        "oktober", "november", "december desember",
    ),
    "fi": (
        "tammikuuta tammikuu", "helmikuuta helmikuu", "maaliskuuta maaliskuu",
        "huhtikuuta huhtikuu", "toukokuuta toukokuu", "kesäkuuta kesäkuu",
        "heinäkuuta heinäkuu", "elokuuta elokuu", "syyskuuta syyskuu",
        "lokakuuta lokakuu", "marraskuuta marraskuu", "joulukuuta joulukuu",
    ),
    "pl": (
        "styczeń stycznia sty", "luty lutego lut", "marzec marca", "kwiecień kwietnia kwi",
        "maj maja", "czerwiec czerwca cze", "lipiec lipca lip", "sierpień sierpnia sie",
        "wrzesień września wrz", "październik października paź", "listopad listopada lis",
        "grudzień grudnia gru",
    ),
    "cs": (
        "leden ledna", "únor února", "březen března", "duben dubna", "květen května",
        "červen června", "červenec července", "srpen srpna", "září",
        "říjen října", "listopadu", "prosinec prosince",
    ),
    "sk": (
        "január januára", "február februára", "marec", "apríl apríla", "máj mája",
        "jún júna", "júl júla", "augusta", "septembra",
        "október októbra", "novembra", "decembra",
    ),
    "sl sr bs hr (latin)": (
        "januar januara januarja", "februar februara februarja", "mart marta marec",
        "aprila", "maja", "jun juna junij junija", "jul jula julij julija",
        "avgust avgusta augusta", "septembar septembra", "oktobar oktobra",
        "novembar novembra", "decembar decembra",
    ),
    "hr": (
        "siječanj siječnja", "veljača veljače", "ožujak ožujka", "travanj travnja",
        "svibanj svibnja", "lipanj lipnja", "srpanj srpnja", "kolovoz kolovoza",
        "rujan rujna", "", "studeni studenoga studenog", "prosinac prosinca",
    ),
    "hu": (
        "január jan", "február febr", "március márc", "április ápr", "május máj",
        "június jún", "július júl", "augusztus aug", "szeptember szept",
        "október okt", "november nov", "december dec",
    ),
    "ro": (
        "ianuarie ian", "februarie", "martie", "aprilie", "mai",
        "iunie iun", "iulie iul", "august", "septembrie",
        "octombrie", "noiembrie noi", "decembrie",
    ),
    "tr": (
        "ocak", "şubat", "mart", "nisan", "mayıs",
        "haziran", "temmuz", "ağustos", "eylül",
        "ekim", "kasım", "aralık",
    ),
    "id ms": (
        "januari", "februari", "maret mac", "april", "mei",
        "juni", "juli julai", "agustus ogos", "september",
        "oktober", "november", "desember disember",
    ),
    "uk": (
        "січень січня січ", "лютий лютого лют", "березень березня бер",
        "квітень квітня квіт кві", "травень травня трав тра", "червень червня черв чер",
        "липень липня лип", "серпень серпня серп сер", "вересень вересня вер",
        "жовтень жовтня жовт жов", "листопад листопада лист лис", "грудень грудня груд гру",
    ),
    "ru": (
        "январь января янв", "февраль февраля фев февр", "март марта мар",
        "апрель апреля апр", "май мая", "июнь июня июн", "июль июля июл",
        "август августа авг", "сентябрь сентября сен сент", "октябрь октября окт",
        "ноябрь ноября ноя нояб", "декабрь декабря дек",
    ),
    "bg sr (cyrillic)": (
        "януари јануар", "февруари фебруар", "март", "април", "май мај",
        "юни јун", "юли јул", "август", "септември септембар",
        "октомври октобар", "ноември новембар", "декември децембар",
    ),
    "el": (
        "ιανουαρίου ιανουάριος ιαν", "φεβρουαρίου φεβρουάριος φεβ", "μαρτίου μάρτιος μαρ",
        "απριλίου απρίλιος απρ", "μαΐου μαΐος μαΐ μαιου", "ιουνίου ιούνιος ιουν",
        "ιουλίου ιούλιος ιουλ", "αυγούστου αύγουστος αυγ", "σεπτεμβρίου σεπτέμβριος σεπ",
        "οκτωβρίου οκτώβριος οκτ", "νοεμβρίου νοέμβριος νοε", "δεκεμβρίου δεκέμβριος δεκ",
    ),
    "ar": (
        "يناير", "فبراير شباط", "مارس آذار", "أبريل إبريل ابريل نيسان", "مايو أيار ايار",
        "يونيو يونيه حزيران", "يوليو يوليه تموز", "أغسطس اغسطس آب", "سبتمبر أيلول ايلول",
        "أكتوبر اكتوبر", "نوفمبر", "ديسمبر",
    ),
    "he": (
        "ינואר", "פברואר", "מרץ מרס", "אפריל", "מאי",
        "יוני", "יולי", "אוגוסט", "ספטמבר",
        "אוקטובר", "נובמבר", "דצמבר",
    ),
}
# fmt: on


def _table() -> dict[str, int]:
    table: dict[str, int] = {}
    for language, rows in _BY_LANGUAGE.items():
        for number, row in enumerate(rows, start=1):
            for word in row.split():
                table.setdefault(word.casefold(), number)
                if language == "he":  # "in August": ב prefixed, as Hebrew dates write it
                    table.setdefault("ב" + word, number)
    return table


MONTHS: Final[dict[str, int]] = _table()
"""Casefolded month word (no trailing dot) to month number."""
