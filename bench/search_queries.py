"""The search benchmark's queries and its variant-spelling test set (see docs/benchmark.md).

The query list is fixed for a given data file: the hand-written queries below, then headline
fragments drawn from the loaded records with a fixed seed until there are 200. The hand-written
ones cover what readers type into a newsroom's search box: single words from common to rare,
two to four words, "exact phrases", prefix* words, -exclusions and the spellings of a name or
a word that differ from one outlet to the next.

The variant cases are (document spelling, query spelling) pairs that a reader expects to find
each other. They were written from newsroom spelling habits and the variation the data's README
counts, not from the app's tables: a few are known misses of the pipeline, kept so that the
figure stays honest. The negative cases are pairs that must not find each other (a substring
that is another word), where a naive LIKE scan finds too much.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

QUERY_COUNT = 200
HEADLINE_SEED = 20261129

# (query, kind). Kinds: word, words (2-4 words), phrase, prefix, exclude, variant.
HAND_WRITTEN: list[tuple[str, str]] = [
    # Single words, from very common to rare.
    ("الرئيس", "word"),
    ("الحكومة", "word"),
    ("الانتخابات", "word"),
    ("النفط", "word"),
    ("الدولار", "word"),
    ("الذهب", "word"),
    ("اللاجئين", "word"),
    ("الجيش", "word"),
    ("الإرهاب", "word"),
    ("البرلمان", "word"),
    ("المعارضة", "word"),
    ("الاقتصاد", "word"),
    ("التضخم", "word"),
    ("البورصة", "word"),
    ("العقوبات", "word"),
    ("مونديال", "word"),
    ("ليفربول", "word"),
    ("برشلونة", "word"),
    ("رونالدو", "word"),
    ("صلاح", "word"),
    ("خاشقجي", "word"),
    ("الحوثيين", "word"),
    ("الغوطة", "word"),
    ("داعش", "word"),
    ("بوتين", "word"),
    ("ماكرون", "word"),
    ("أردوغان", "word"),
    ("ميركل", "word"),
    ("تويتر", "word"),
    ("فيسبوك", "word"),
    ("بيتكوين", "word"),
    ("مهرجان", "word"),
    ("رمضان", "word"),
    ("الزلزال", "word"),
    ("الفيضانات", "word"),
    ("كورونا", "word"),
    # Two to four words (all must match, in any order).
    ("مجلس الأمن", "words"),
    ("الأمم المتحدة", "words"),
    ("كوريا الشمالية", "words"),
    ("البيت الأبيض", "words"),
    ("أسعار النفط", "words"),
    ("كأس العالم", "words"),
    ("ولي العهد", "words"),
    ("الاتفاق النووي", "words"),
    ("حقوق الإنسان", "words"),
    ("الاتحاد الأوروبي", "words"),
    ("البنك المركزي", "words"),
    ("الهواتف الذكية", "words"),
    ("السيارات الكهربائية", "words"),
    ("وزير الخارجية", "words"),
    ("رئيس الوزراء", "words"),
    ("قطاع غزة", "words"),
    ("صندوق النقد", "words"),
    ("الرئيس الأمريكي دونالد ترامب", "words"),
    ("أسعار النفط العالمية", "words"),
    ("منتخب مصر كأس العالم", "words"),
    ("وزير الخارجية الروسي لافروف", "words"),
    ("الحرب في سوريا", "words"),
    ("مقتل الصحفي جمال خاشقجي", "words"),
    ("الانتخابات الرئاسية في مصر", "words"),
    ("قمة ترامب وكيم", "words"),
    ("البنك المركزي سعر الفائدة", "words"),
    ("شركة أبل آيفون الجديد", "words"),
    ("مانشستر سيتي الدوري الإنجليزي", "words"),
    ("العقوبات الأمريكية على إيران", "words"),
    # Exact phrases.
    ('"مجلس الأمن"', "phrase"),
    ('"كأس العالم"', "phrase"),
    ('"الأمم المتحدة"', "phrase"),
    ('"البيت الأبيض"', "phrase"),
    ('"ولي العهد السعودي"', "phrase"),
    ('"سعر الفائدة"', "phrase"),
    ('"حقوق الإنسان"', "phrase"),
    ('"دوري أبطال أوروبا"', "phrase"),
    ('"الذكاء الاصطناعي"', "phrase"),
    ('"الشرق الأوسط" سلام', "phrase"),
    # Prefixes.
    ("اقتصا*", "prefix"),
    ("تكنولوج*", "prefix"),
    ("انتخا*", "prefix"),
    ("صوار*", "prefix"),
    ("مفاوض*", "prefix"),
    ("برشل*", "prefix"),
    ("إلكترو*", "prefix"),
    ("استثمار*", "prefix"),
    ("النفط مصا*", "prefix"),
    ("رون*", "prefix"),
    # Exclusions.
    ("سوريا -روسيا", "exclude"),
    ("ترامب -كيم", "exclude"),
    ("النفط -إيران", "exclude"),
    ("برشلونة -ميسي", "exclude"),
    ("فيسبوك -بيانات", "exclude"),
    ("كأس -العالم", "exclude"),
    ("الحوثيين -الحديدة", "exclude"),
    ("أسعار -النفط", "exclude"),
    ('الاتحاد -"الاتحاد الأوروبي"', "exclude"),
    ("الانتخابات -العراق -لبنان", "exclude"),
    # Variant spellings: the less common spelling of something frequent.
    ("ترمب", "variant"),
    ("أميركا", "variant"),
    ("الأميركية", "variant"),
    ("مسئول", "variant"),
    ("شئون", "variant"),
    ("جوجل", "variant"),
    ("فيس بوك", "variant"),
    ("اسرائيل", "variant"),
    ("امريكا", "variant"),
    ("سورية", "variant"),
    ("نتانياهو", "variant"),
    ("الرَّئِيسُ", "variant"),
    ("الحكـومة", "variant"),
    ("٢٠١٨", "variant"),
    ("ایران", "variant"),
    ("إنكلترا", "variant"),
    ("تليفزيون", "variant"),
    ("بتكوين", "variant"),
    ("الكونجرس", "variant"),
    ("ترمب بوتين", "variant"),
]

# Words that make a poor first or last word of a headline fragment (a reader would not type
# "في سوريا" or "الرئيس إلى"); inside a fragment they stay, as in "الحرب في سوريا".
_FUNCTION = frozenset(
    # A word list reads better as text than as a list literal of quoted strings.
    str.split("""في من على عن بعد إلى الى مع ما بين هل لا أن إن التي الذي هذا هذه كيف منذ خلال هي هو
    قد لم لن كان كانت قبل حول بشأن أمام ضد رغم عبر إذا أم كل غير أول أكثر أكبر ماذا لماذا
    شاهد شاهد.. هكذا تعرف وسط إثر قرب داخل يمكن مرة بـ""")
)
_STRIP = "\"'«»“”‘’.,:;!?؟،؛()[]-–—…/|"
_ARABIC_WORD = re.compile(r"^[\u0600-\u06ff]{2,}$")


def headline_queries(
    records: Sequence[dict[str, Any]], count: int, *, exclude: set[str], seed: int = HEADLINE_SEED
) -> list[tuple[str, str]]:
    """count fragments of 1-4 consecutive Arabic words of headlines, drawn with a fixed seed."""
    rng = random.Random(seed)
    order = list(range(len(records)))
    rng.shuffle(order)
    out: list[tuple[str, str]] = []
    seen = set(exclude)
    for index in order:
        if len(out) == count:
            break
        words = [w.strip(_STRIP) for w in records[index]["title"].split()]
        words = [w for w in words if w]
        length = rng.choices((1, 2, 3, 4), weights=(25, 35, 25, 15))[0]
        if len(words) < length:
            continue
        start = rng.randrange(len(words) - length + 1)
        fragment = words[start : start + length]
        if not all(_ARABIC_WORD.match(w) for w in fragment):
            continue
        if fragment[0] in _FUNCTION or fragment[-1] in _FUNCTION:
            continue
        query = " ".join(fragment)
        if query in seen:
            continue
        seen.add(query)
        out.append((query, "headline"))
    return out


def queries(records: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """The fixed list: hand-written first, then headline fragments up to QUERY_COUNT."""
    hand = HAND_WRITTEN[:QUERY_COUNT]
    rest = headline_queries(records, QUERY_COUNT - len(hand), exclude={query for query, _ in hand})
    return [*hand, *rest]


# (document spelling, query spelling, kind). The document spelling is written in a short
# article; the query spelling must find it.
VARIANT_CASES: list[tuple[str, str, str]] = [
    # Hamza seats and bare alef.
    ("إعلان", "اعلان", "hamza/alef"),
    ("أحمد", "احمد", "hamza/alef"),
    ("الإمارات", "الامارات", "hamza/alef"),
    ("آلاف", "الاف", "hamza/alef"),
    ("اسرائيل", "إسرائيل", "hamza/alef"),
    ("أوكرانيا", "اوكرانيا", "hamza/alef"),
    # Hamza before و and final ئ.
    ("مسؤول", "مسئول", "hamza on waw/yeh"),
    ("المسئولين", "مسؤولين", "hamza on waw/yeh"),
    ("شؤون", "شئون", "hamza on waw/yeh"),
    ("رءوس", "رؤوس", "hamza on waw/yeh"),
    ("شاطيء", "شاطئ", "hamza on waw/yeh"),
    ("مبادئ", "مباديء", "hamza on waw/yeh"),
    # ة/ه and ى/ي.
    ("غزة", "غزه", "ta marbuta / alef maqsura"),
    ("القاهره", "القاهرة", "ta marbuta / alef maqsura"),
    ("مستشفى", "مستشفي", "ta marbuta / alef maqsura"),
    ("مصطفي", "مصطفى", "ta marbuta / alef maqsura"),
    ("كرة القدم", "كره القدم", "ta marbuta / alef maqsura"),
    # Marks, tatweel, digits, Persian letters, presentation forms, invisible controls.
    ("الرَّئِيسُ", "الرئيس", "diacritics"),
    ("مُحَمَّد", "محمد", "diacritics"),
    ("الحكومة", "الحُكُومَة", "diacritics"),
    ("الحكـــومة", "الحكومة", "tatweel"),
    ('بـ"تويتر"', "تويتر", "tatweel"),
    ("الوزير", "الوزيـــر", "tatweel"),
    ("عام ٢٠١٨", "2018", "digits"),
    ("عام 2018", "٢٠١٨", "digits"),
    ("ایران", "إيران", "Persian letters"),
    ("کابول", "كابول", "Persian letters"),
    ("\ufedf\ufe92\ufee8\ufe8e\ufee5", "لبنان", "presentation forms"),
    ("\u200f\u202bترامب", "ترامب", "bidi marks"),
    ("ال\u200cحكومة", "الحكومة", "bidi marks"),
    # Proclitics and the article.
    ("والمدرسة", "مدرسة", "proclitics"),
    ("وبوتين", "بوتين", "proclitics"),
    ("بالقاهرة", "القاهرة", "proclitics"),
    ("للحكومة", "الحكومة", "proclitics"),
    ("فالرئيس", "الرئيس", "proclitics"),
    ("لموسكو", "موسكو", "proclitics"),
    ("بواشنطن", "واشنطن", "proclitics"),
    ("ولبنان", "لبنان", "proclitics"),
    ("لترمب", "ترامب", "proclitics"),
    # Plural and feminine endings.
    ("الانتخابات", "انتخابات", "suffixes"),
    ("اللاجئون", "اللاجئين", "suffixes"),
    ("المسلحين", "مسلحون", "suffixes"),
    ("الاقتصادية", "الاقتصاد", "suffixes"),
    # Transliterations of names, places and brands.
    ("الأمريكية", "أميركا", "transliteration"),
    ("ترمب", "ترامب", "transliteration"),
    ("ترامب", "ترمب", "transliteration"),
    ("جوجل", "غوغل", "transliteration"),
    ("فيسبوك", "فيس بوك", "transliteration"),
    ("فيس بوك", "فيسبوك", "transliteration"),
    ("نتانياهو", "نتنياهو", "transliteration"),
    ("إنكلترا", "إنجلترا", "transliteration"),
    ("سورية", "سوريا", "transliteration"),
    ("بتكوين", "بيتكوين", "transliteration"),
    ("التليفزيون", "تلفزيون", "transliteration"),
    ("الديموقراطية", "ديمقراطية", "transliteration"),
    ("يوتيوب", "يو تيوب", "transliteration"),
    ("انستجرام", "إنستغرام", "transliteration"),
    ("الكونجرس", "الكونغرس", "transliteration"),
    ("هونج كونج", "هونغ كونغ", "transliteration"),
    ("سامسونج", "سامسونغ", "transliteration"),
    ("جوارديولا", "غوارديولا", "transliteration"),
    ("كيم جونج أون", "كيم جونغ أون", "transliteration"),
    ("بلومبيرغ", "بلومبرغ", "transliteration"),
    ("جرينلاند", "غرينلاند", "transliteration"),
    ("نيو يورك", "نيويورك", "transliteration"),
    ("مانشيستر", "مانشستر", "transliteration"),
]

# (document word, query word): another word that contains the query as a substring.
NEGATIVE_CASES: list[tuple[str, str]] = [
    ("الإسلام", "سلام"),
    ("مصرف", "مصر"),
    ("عمانوئيل", "عمان"),
    ("سلمان", "سلم"),
    ("قطرات", "قطر"),
    ("العراقيل", "العراق"),
    ("أمسية", "أمس"),
    ("استعمار", "عمر"),
]
