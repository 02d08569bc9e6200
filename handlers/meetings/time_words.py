"""The words people use around a meeting time, per language, folded for matching.

Weekday and month names come from CLDR (Babel) in every form a person might type (wide,
abbreviated, stand-alone, with or without the trailing dot); what CLDR does not carry —
"tomorrow", "in the evening", "at", the hour marks of "18h", "7点", "7 giờ", "6è" — is
listed here by hand. Haitian Creole and Somali have thin or placeholder CLDR data, so their
own names are listed in full and they borrow the rules of their nearest language.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from babel import Locale


class Kind:
    """What a matched word means to the time reader."""

    WEEKDAY = "weekday"  # value: 0 = Monday … 6 = Sunday
    NEXT_WEEKDAY = "next_weekday"  # Chinese 下周二: that day of next week
    MONTH = "month"  # value: 1 … 12
    RELATIVE = "relative"  # value: days from today
    TONIGHT = "tonight"  # today, in the evening
    PERIOD = "period"  # value: "am", "pm", "noon", "night"
    AT = "at"  # "at", "à", "в", "lúc", "الساعة": the number after it is an hour
    HOUR = "hour"  # "h", "点", "giờ", "ч", "è": the number before it is an hour
    MINUTE = "minute"  # "分", "phút", "min"
    HALF = "half"  # "半": half past
    NOON = "noon"  # "noon", "midi": 12:00 by itself
    MONTH_MARK = "month_mark"  # "月" after a number, "tháng" before one
    DAY_MARK = "day_mark"  # "日", "号" after a number
    YEAR_MARK = "year_mark"  # "年" after a number
    AMBIGUOUS = "ambiguous"  # Spanish "mar": martes or marzo
    NEXT_WEEK = "next_week"  # "tuần sau", "la semaine prochaine": the weekday of next week


# Languages whose rules a language without its own conventions borrows.
NEAREST = {"ht": "fr", "so": "en"}
# Day/month order for languages whose CLDR pattern does not say how people write dates:
# Haitian Creole CLDR uses ISO order, but people write 25/12 as in French.
DATE_ORDER = {"ht": "DMY"}

_COMMON: list[tuple[str, str, object]] = [
    ("h", Kind.HOUR, None),
    ("hs", Kind.HOUR, None),
    ("hrs", Kind.HOUR, None),
    ("am", Kind.PERIOD, "am"),
    ("a.m.", Kind.PERIOD, "am"),
    ("a.m", Kind.PERIOD, "am"),
    ("pm", Kind.PERIOD, "pm"),
    ("p.m.", Kind.PERIOD, "pm"),
    ("p.m", Kind.PERIOD, "pm"),
    ("min", Kind.MINUTE, None),
    ("@", Kind.AT, None),
]

# Hand-listed words per language: (phrase, kind, value).
_WORDS: dict[str, list[tuple[str, str, object]]] = {
    "en": [
        ("next week", Kind.NEXT_WEEK, None),
        ("today", Kind.RELATIVE, 0),
        ("tomorrow", Kind.RELATIVE, 1),
        ("day after tomorrow", Kind.RELATIVE, 2),
        ("tonight", Kind.TONIGHT, None),
        ("this evening", Kind.TONIGHT, None),
        ("in the morning", Kind.PERIOD, "am"),
        ("in the afternoon", Kind.PERIOD, "pm"),
        ("in the evening", Kind.PERIOD, "pm"),
        ("at night", Kind.PERIOD, "night"),
        ("noon", Kind.NOON, None),
        ("midday", Kind.NOON, None),
        ("at", Kind.AT, None),
        ("o'clock", Kind.HOUR, None),
        ("oclock", Kind.HOUR, None),
        ("tues", Kind.WEEKDAY, 1),
        ("thur", Kind.WEEKDAY, 3),
        ("thurs", Kind.WEEKDAY, 3),
        ("sept", Kind.MONTH, 9),
    ],
    "es": [
        ("la semana que viene", Kind.NEXT_WEEK, None),
        ("la proxima semana", Kind.NEXT_WEEK, None),
        ("hoy", Kind.RELATIVE, 0),
        ("manana", Kind.RELATIVE, 1),
        ("pasado manana", Kind.RELATIVE, 2),
        ("esta noche", Kind.TONIGHT, None),
        ("esta tarde", Kind.TONIGHT, None),
        ("de la manana", Kind.PERIOD, "am"),
        ("por la manana", Kind.PERIOD, "am"),
        ("de la tarde", Kind.PERIOD, "pm"),
        ("por la tarde", Kind.PERIOD, "pm"),
        ("de la noche", Kind.PERIOD, "night"),
        ("por la noche", Kind.PERIOD, "night"),
        ("mediodia", Kind.NOON, None),
        ("a las", Kind.AT, None),
        ("a la", Kind.AT, None),
        ("a", Kind.AT, None),
        ("las", Kind.AT, None),
        ("hrs", Kind.HOUR, None),
        ("horas", Kind.HOUR, None),
        ("miercoles", Kind.WEEKDAY, 2),
        ("sabado", Kind.WEEKDAY, 5),
        ("setiembre", Kind.MONTH, 9),
    ],
    "fr": [
        ("la semaine prochaine", Kind.NEXT_WEEK, None),
        ("aujourd'hui", Kind.RELATIVE, 0),
        ("aujourd’hui", Kind.RELATIVE, 0),
        ("demain", Kind.RELATIVE, 1),
        ("apres-demain", Kind.RELATIVE, 2),
        ("apres demain", Kind.RELATIVE, 2),
        ("ce soir", Kind.TONIGHT, None),
        ("du matin", Kind.PERIOD, "am"),
        ("de l'apres-midi", Kind.PERIOD, "pm"),
        ("de l’apres-midi", Kind.PERIOD, "pm"),
        ("de l'apres midi", Kind.PERIOD, "pm"),
        ("du soir", Kind.PERIOD, "pm"),
        ("midi", Kind.NOON, None),
        ("a", Kind.AT, None),
        ("vers", Kind.AT, None),
        ("heures", Kind.HOUR, None),
        ("heure", Kind.HOUR, None),
        ("fevr", Kind.MONTH, 2),
        ("fev", Kind.MONTH, 2),
        ("juil", Kind.MONTH, 7),
        ("aout", Kind.MONTH, 8),
    ],
    "pt": [
        ("semana que vem", Kind.NEXT_WEEK, None),
        ("proxima semana", Kind.NEXT_WEEK, None),
        ("hoje", Kind.RELATIVE, 0),
        ("amanha", Kind.RELATIVE, 1),
        ("depois de amanha", Kind.RELATIVE, 2),
        ("hoje a noite", Kind.TONIGHT, None),
        ("da manha", Kind.PERIOD, "am"),
        ("de manha", Kind.PERIOD, "am"),
        ("da tarde", Kind.PERIOD, "pm"),
        ("de tarde", Kind.PERIOD, "pm"),
        ("da noite", Kind.PERIOD, "night"),
        ("de noite", Kind.PERIOD, "night"),
        ("meio-dia", Kind.NOON, None),
        ("meio dia", Kind.NOON, None),
        ("as", Kind.AT, None),
        ("a", Kind.AT, None),
        ("horas", Kind.HOUR, None),
        ("segunda", Kind.WEEKDAY, 0),
        ("terca", Kind.WEEKDAY, 1),
        ("quarta", Kind.WEEKDAY, 2),
        ("quinta", Kind.WEEKDAY, 3),
        ("sexta", Kind.WEEKDAY, 4),
        ("segunda feira", Kind.WEEKDAY, 0),
        ("terca feira", Kind.WEEKDAY, 1),
        ("quarta feira", Kind.WEEKDAY, 2),
        ("quinta feira", Kind.WEEKDAY, 3),
        ("sexta feira", Kind.WEEKDAY, 4),
    ],
    "ru": [
        ("на следующей неделе", Kind.NEXT_WEEK, None),
        ("сегодня", Kind.RELATIVE, 0),
        ("завтра", Kind.RELATIVE, 1),
        ("послезавтра", Kind.RELATIVE, 2),
        ("сегодня вечером", Kind.TONIGHT, None),
        ("утра", Kind.PERIOD, "am"),
        ("утром", Kind.PERIOD, "am"),
        ("дня", Kind.PERIOD, "pm"),
        ("днем", Kind.PERIOD, "pm"),
        ("вечера", Kind.PERIOD, "pm"),
        ("вечером", Kind.PERIOD, "pm"),
        ("ночи", Kind.PERIOD, "night"),
        ("полдень", Kind.NOON, None),
        ("в", Kind.AT, None),
        ("во", Kind.AT, None),
        ("ч", Kind.HOUR, None),
        ("час", Kind.HOUR, None),
        ("часа", Kind.HOUR, None),
        ("часов", Kind.HOUR, None),
        ("мин", Kind.MINUTE, None),
        ("минут", Kind.MINUTE, None),
        # Accusative, as after "в": "в среду", "в пятницу", "в субботу".
        ("среду", Kind.WEEKDAY, 2),
        ("пятницу", Kind.WEEKDAY, 4),
        ("субботу", Kind.WEEKDAY, 5),
        ("воскр", Kind.WEEKDAY, 6),
        ("дек", Kind.MONTH, 12),
        ("янв", Kind.MONTH, 1),
        ("фев", Kind.MONTH, 2),
        ("февр", Kind.MONTH, 2),
        ("апр", Kind.MONTH, 4),
        ("авг", Kind.MONTH, 8),
        ("сен", Kind.MONTH, 9),
        ("сент", Kind.MONTH, 9),
        ("окт", Kind.MONTH, 10),
        ("ноя", Kind.MONTH, 11),
        ("нояб", Kind.MONTH, 11),
    ],
    "ar": [
        ("الاسبوع القادم", Kind.NEXT_WEEK, None),
        ("الاسبوع المقبل", Kind.NEXT_WEEK, None),
        ("اليوم", Kind.RELATIVE, 0),
        ("غدا", Kind.RELATIVE, 1),
        ("بكره", Kind.RELATIVE, 1),
        ("بكرة", Kind.RELATIVE, 1),
        ("بعد غد", Kind.RELATIVE, 2),
        ("بعد غدا", Kind.RELATIVE, 2),
        ("الليلة", Kind.TONIGHT, None),
        ("مساء اليوم", Kind.TONIGHT, None),
        ("صباحا", Kind.PERIOD, "am"),
        ("صباح", Kind.PERIOD, "am"),
        ("الصباح", Kind.PERIOD, "am"),
        ("ص", Kind.PERIOD, "am"),
        ("مساء", Kind.PERIOD, "pm"),
        ("المساء", Kind.PERIOD, "pm"),
        ("م", Kind.PERIOD, "pm"),
        ("ظهرا", Kind.PERIOD, "noon"),
        ("الظهر", Kind.NOON, None),
        ("عصرا", Kind.PERIOD, "pm"),
        ("ليلا", Kind.PERIOD, "night"),
        ("الساعة", Kind.AT, None),
        ("الساعه", Kind.AT, None),
        ("في", Kind.AT, None),
        ("الاثنين", Kind.WEEKDAY, 0),
        ("اثنين", Kind.WEEKDAY, 0),
        ("ثلاثاء", Kind.WEEKDAY, 1),
        ("اربعاء", Kind.WEEKDAY, 2),
        ("خميس", Kind.WEEKDAY, 3),
        ("جمعة", Kind.WEEKDAY, 4),
        ("سبت", Kind.WEEKDAY, 5),
        ("احد", Kind.WEEKDAY, 6),
        # Levantine and Iraqi month names.
        ("كانون الثاني", Kind.MONTH, 1),
        ("شباط", Kind.MONTH, 2),
        ("اذار", Kind.MONTH, 3),
        ("نيسان", Kind.MONTH, 4),
        ("ايار", Kind.MONTH, 5),
        ("حزيران", Kind.MONTH, 6),
        ("تموز", Kind.MONTH, 7),
        ("اب", Kind.MONTH, 8),
        ("ايلول", Kind.MONTH, 9),
        ("تشرين الاول", Kind.MONTH, 10),
        ("تشرين الثاني", Kind.MONTH, 11),
        ("كانون الاول", Kind.MONTH, 12),
    ],
    "zh_Hans": [
        ("下周", Kind.NEXT_WEEK, None),
        ("下星期", Kind.NEXT_WEEK, None),
        ("今天", Kind.RELATIVE, 0),
        ("今日", Kind.RELATIVE, 0),
        ("明天", Kind.RELATIVE, 1),
        ("明日", Kind.RELATIVE, 1),
        ("后天", Kind.RELATIVE, 2),
        ("今晚", Kind.TONIGHT, None),
        ("上午", Kind.PERIOD, "am"),
        ("早上", Kind.PERIOD, "am"),
        ("早晨", Kind.PERIOD, "am"),
        ("凌晨", Kind.PERIOD, "am"),
        ("中午", Kind.PERIOD, "noon"),
        ("下午", Kind.PERIOD, "pm"),
        ("傍晚", Kind.PERIOD, "pm"),
        ("晚上", Kind.PERIOD, "pm"),
        ("晚", Kind.PERIOD, "pm"),
        ("早", Kind.PERIOD, "am"),
        ("夜里", Kind.PERIOD, "night"),
        ("点", Kind.HOUR, None),
        ("點", Kind.HOUR, None),
        ("时", Kind.HOUR, None),
        ("時", Kind.HOUR, None),
        ("分", Kind.MINUTE, None),
        ("半", Kind.HALF, None),
        ("月", Kind.MONTH_MARK, None),
        ("日", Kind.DAY_MARK, None),
        ("号", Kind.DAY_MARK, None),
        ("號", Kind.DAY_MARK, None),
        ("年", Kind.YEAR_MARK, None),
        ("在", Kind.AT, None),
    ],
    "vi": [
        ("tuan sau", Kind.NEXT_WEEK, None),
        ("tuan toi", Kind.NEXT_WEEK, None),
        ("hom nay", Kind.RELATIVE, 0),
        ("ngay mai", Kind.RELATIVE, 1),
        ("mai", Kind.RELATIVE, 1),
        ("ngay kia", Kind.RELATIVE, 2),
        ("ngay mot", Kind.RELATIVE, 2),
        ("toi nay", Kind.TONIGHT, None),
        ("sang", Kind.PERIOD, "am"),
        ("trua", Kind.PERIOD, "noon"),
        ("chieu", Kind.PERIOD, "pm"),
        ("toi", Kind.PERIOD, "pm"),
        ("dem", Kind.PERIOD, "night"),
        ("luc", Kind.AT, None),
        ("vao luc", Kind.AT, None),
        ("gio", Kind.HOUR, None),
        ("g", Kind.HOUR, None),
        ("phut", Kind.MINUTE, None),
        ("ruoi", Kind.HALF, None),
        ("thang", Kind.MONTH_MARK, None),
        ("thg", Kind.MONTH_MARK, None),
        ("cn", Kind.WEEKDAY, 6),
        ("chu nhat", Kind.WEEKDAY, 6),
        *[(f"thu {n}", Kind.WEEKDAY, n - 2) for n in range(2, 8)],
        *[(f"t{n}", Kind.WEEKDAY, n - 2) for n in range(2, 8)],
    ],
    "ht": [
        ("semen pwochen", Kind.NEXT_WEEK, None),
        ("lendi", Kind.WEEKDAY, 0),
        ("madi", Kind.WEEKDAY, 1),
        ("mekredi", Kind.WEEKDAY, 2),
        ("jedi", Kind.WEEKDAY, 3),
        ("vandredi", Kind.WEEKDAY, 4),
        ("samdi", Kind.WEEKDAY, 5),
        ("dimanch", Kind.WEEKDAY, 6),
        ("janvye", Kind.MONTH, 1),
        ("fevriye", Kind.MONTH, 2),
        ("mas", Kind.MONTH, 3),
        ("avril", Kind.MONTH, 4),
        ("me", Kind.MONTH, 5),
        ("jen", Kind.MONTH, 6),
        ("jiye", Kind.MONTH, 7),
        ("out", Kind.MONTH, 8),
        ("septanm", Kind.MONTH, 9),
        ("oktob", Kind.MONTH, 10),
        ("novanm", Kind.MONTH, 11),
        ("desanm", Kind.MONTH, 12),
        ("jodi a", Kind.RELATIVE, 0),
        ("jodia", Kind.RELATIVE, 0),
        ("jodi", Kind.RELATIVE, 0),
        ("demen", Kind.RELATIVE, 1),
        ("apre demen", Kind.RELATIVE, 2),
        ("apredemen", Kind.RELATIVE, 2),
        ("aswe a", Kind.TONIGHT, None),
        ("maten", Kind.PERIOD, "am"),
        ("di maten", Kind.PERIOD, "am"),
        ("nan maten", Kind.PERIOD, "am"),
        ("dimaten", Kind.PERIOD, "am"),
        ("apremidi", Kind.PERIOD, "pm"),
        ("nan apremidi", Kind.PERIOD, "pm"),
        ("aswe", Kind.PERIOD, "pm"),
        ("nan aswe", Kind.PERIOD, "pm"),
        ("diswa", Kind.PERIOD, "pm"),
        ("di swa", Kind.PERIOD, "pm"),
        ("lannwit", Kind.PERIOD, "night"),
        ("a", Kind.AT, None),
        ("e", Kind.HOUR, None),
        ("ze", Kind.HOUR, None),
        ("le", Kind.AT, None),
    ],
    "so": [
        ("toddobaadka soo socda", Kind.NEXT_WEEK, None),
        # With the definite article, as in "Talaadada saacadda 7da".
        ("isniinta", Kind.WEEKDAY, 0),
        ("talaadada", Kind.WEEKDAY, 1),
        ("arbacada", Kind.WEEKDAY, 2),
        ("khamiista", Kind.WEEKDAY, 3),
        ("jimcaha", Kind.WEEKDAY, 4),
        ("sabtida", Kind.WEEKDAY, 5),
        ("axadda", Kind.WEEKDAY, 6),
        ("da", Kind.HOUR, None),
        ("isniin", Kind.WEEKDAY, 0),
        ("talaado", Kind.WEEKDAY, 1),
        ("salaasa", Kind.WEEKDAY, 1),
        ("arbaco", Kind.WEEKDAY, 2),
        ("arbaca", Kind.WEEKDAY, 2),
        ("khamiis", Kind.WEEKDAY, 3),
        ("jimco", Kind.WEEKDAY, 4),
        ("jimce", Kind.WEEKDAY, 4),
        ("sabti", Kind.WEEKDAY, 5),
        ("axad", Kind.WEEKDAY, 6),
        ("maanta", Kind.RELATIVE, 0),
        ("berri", Kind.RELATIVE, 1),
        ("saadambe", Kind.RELATIVE, 2),
        ("caawa", Kind.TONIGHT, None),
        ("subax", Kind.PERIOD, "am"),
        ("subaxnimo", Kind.PERIOD, "am"),
        ("subaxnimadii", Kind.PERIOD, "am"),
        ("aroortii", Kind.PERIOD, "am"),
        ("galab", Kind.PERIOD, "pm"),
        ("galabnimo", Kind.PERIOD, "pm"),
        ("galabta", Kind.PERIOD, "pm"),
        ("fiid", Kind.PERIOD, "pm"),
        ("fiidnimo", Kind.PERIOD, "pm"),
        ("fiidkii", Kind.PERIOD, "pm"),
        ("habeen", Kind.PERIOD, "night"),
        ("habeennimo", Kind.PERIOD, "night"),
        ("duhur", Kind.NOON, None),
        ("saacadda", Kind.AT, None),
        ("saacada", Kind.AT, None),
        ("sacadda", Kind.AT, None),
        ("saac", Kind.HOUR, None),
        ("janaayo", Kind.MONTH, 1),
        ("jannaayo", Kind.MONTH, 1),
        ("febraayo", Kind.MONTH, 2),
        ("maarso", Kind.MONTH, 3),
        ("abriil", Kind.MONTH, 4),
        ("maayo", Kind.MONTH, 5),
        ("juun", Kind.MONTH, 6),
        ("luulyo", Kind.MONTH, 7),
        ("agoosto", Kind.MONTH, 8),
        ("agosto", Kind.MONTH, 8),
        ("sebtembar", Kind.MONTH, 9),
        ("oktoobar", Kind.MONTH, 10),
        ("noofeembar", Kind.MONTH, 11),
        ("nofembar", Kind.MONTH, 11),
        ("diseembar", Kind.MONTH, 12),
        ("desembar", Kind.MONTH, 12),
    ],
}

# Chinese "next week" prefixes; 下周二 is Tuesday of next week, not the coming Tuesday.
_ZH_NEXT_WEEK = ("下周", "下週", "下星期", "下礼拜", "下禮拜")
_ZH_DAY_SUFFIXES = ("一", "二", "三", "四", "五", "六", "日", "天")


@dataclass(frozen=True, slots=True)
class Word:
    kind: str
    value: object


def fold_digits(text: str) -> str:
    """ASCII digits for Arabic-Indic, Persian, full-width and other decimal digits."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def fold(text: str) -> str:
    """Text as matched: ASCII digits, lower case, no accents, no bidi marks."""
    text = fold_digits(text)
    text = text.casefold().replace("đ", "d").replace("ё", "е")
    text = text.replace("،", ",").replace("٫", ".").replace("ـ", "")
    text = "".join(
        ch
        for ch in unicodedata.normalize("NFD", text)
        if unicodedata.category(ch) != "Mn" and ch not in "\u200e\u200f\u061c"
    )
    return unicodedata.normalize("NFC", text)


def _cldr_words(code: str) -> list[tuple[str, str, object]]:
    """Weekday and month names as CLDR spells them, skipping placeholders ("M01")."""
    locale = Locale.parse(code)
    found: list[tuple[str, str, object]] = []
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for index, name in locale.days[context][width].items():
                found.append((name, Kind.WEEKDAY, index))
            for index, name in locale.months[context][width].items():
                found.append((name, Kind.MONTH, index))
    periods = locale.day_periods["format"]
    for width in ("abbreviated", "wide"):
        for key in ("am", "pm"):
            if key in periods.get(width, {}):
                found.append((periods[width][key], Kind.PERIOD, key))
    return [(name, kind, value) for name, kind, value in found if not any(map(str.isdigit, name))]


@functools.cache
def vocabulary(lang: str) -> dict[str, Word]:
    """Every phrase the reader knows for `lang`: its own words, then its nearest language's,
    then English; where one language gives a spelling two meanings (Spanish "mar": martes
    or marzo), it is marked ambiguous, so the reader asks rather than guesses."""
    sources = [lang, NEAREST.get(lang, "en"), "en"]
    words: dict[str, Word] = {}
    blocked: set[str] = set()
    for source in dict.fromkeys(sources):
        from_source: dict[str, Word] = {}
        for phrase, kind, value in _source_entries(source):
            for variant in {fold(phrase).strip(), fold(phrase).strip().rstrip(".")}:
                known = from_source.setdefault(variant, Word(kind, value))
                if variant and known != Word(kind, value):
                    blocked.add(variant)
        for variant, word in from_source.items():
            if variant:
                meaning = Word(Kind.AMBIGUOUS, None) if variant in blocked else word
                words.setdefault(variant, meaning)  # the organizer's own language comes first
    return words


def _source_entries(source: str) -> list[tuple[str, str, object]]:
    entries: list[tuple[str, str, object]] = list(_COMMON)
    if source != "ht":  # CLDR's Haitian Creole names are placeholders
        entries.extend(_cldr_words(source))
    entries.extend(_WORDS.get(source, []))
    if source == "zh_Hans":
        for day, suffix in enumerate(_ZH_DAY_SUFFIXES):
            for prefix in _ZH_NEXT_WEEK:
                entries.append((prefix + suffix, Kind.NEXT_WEEKDAY, min(day, 6)))
            for prefix in ("周", "週", "星期", "礼拜", "禮拜"):
                entries.append((prefix + suffix, Kind.WEEKDAY, min(day, 6)))
    return entries
