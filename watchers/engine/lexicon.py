"""Small word lists the engine reads text with: synonyms, calendar words, opposites.

- `SYNONYMS`: groups of English news words that say the same thing; every word of a group is
  compared as the group's first word (after stemming), so "inked a pact" reads as "signed a
  treaty". Kept small and generic to news wording, never to one story.
- `FALSE_FRIENDS`: words whose stem looks like a synonym's but means something else
  ("according" is not an accord).
- `MONTHS` / `WEEKDAYS`: calendar words in English, German, Russian (all case forms), Persian
  and Arabic, and — from dateparser's locale data rather than lists of our own — Spanish,
  Italian, French, Danish, Norwegian, Swedish, Dutch and Portuguese, mapped to their number,
  so dates compare across wording and language.
- `OPPOSITES`: pairs of word-stem sets that cannot both describe one fact (renews
  automatically / by consent; ratified / rejected); used to name yes/no conflicts. `OPPOSED`
  holds every one of their stems.
- `NUMBER_WORDS`: English number words written as digits, from three: "one" is mostly a
  pronoun and "two" mostly pairs ("the two countries").
"""

from __future__ import annotations

from dateparser.languages import default_loader
from wordfreq import zipf_frequency

SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("signed", "inked", "sealed", "concluded", "clinched"),
    ("treaty", "pact", "accord", "agreement", "deal", "compact"),
    ("strengthen", "bolster", "boost", "enhance", "deepen", "reinforce", "cement", "solidify"),
    ("cooperation", "collaboration", "cooperate", "collaborate"),
    ("exercises", "drills", "manoeuvres", "maneuvers", "wargames"),
    ("ties", "relations", "relationship"),
    ("countries", "nations"),
    ("concerns", "worries", "alarm", "unease", "disquiet", "anxiety"),
    ("comprehensive", "broad", "sweeping"),
    ("defence", "defense"),
    ("ratify", "ratification", "approve", "approval", "endorse"),
    ("lawmakers", "legislators", "deputies", "parliamentarians", "mps", "senators"),
    ("parliament", "legislature"),
    ("visit", "trip"),
    ("renew", "extend", "prolong"),
    ("force", "effect"),
    ("ships", "vessels", "warships"),
    ("aimed", "directed", "targeted"),
    ("intend", "plan", "seek"),
    ("threat", "danger"),
    ("talks", "negotiations", "discussions"),
    ("western", "west"),
)

FALSE_FRIENDS: frozenset[str] = frozenset({"according", "accordingly", "accordance"})

_EN_MONTHS = (
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
    ("october", "oct"), ("november", "nov"), ("december", "dec"),
)  # fmt: skip
_DE_MONTHS = (
    "januar februar märz april mai juni juli august september oktober november dezember"
).split()
_RU_MONTHS = (
    ("январь", "января", "январе"), ("февраль", "февраля", "феврале"), ("март", "марта", "марте"),
    ("апрель", "апреля", "апреле"), ("май", "мая", "мае"), ("июнь", "июня", "июне"),
    ("июль", "июля", "июле"), ("август", "августа", "августе"),
    ("сентябрь", "сентября", "сентябре"), ("октябрь", "октября", "октябре"),
    ("ноябрь", "ноября", "ноябре"), ("декабрь", "декабря", "декабре"),
)  # fmt: skip
_FA_MONTHS = "ژانویه فوریه مارس آوریل مه ژوئن ژوئیه اوت سپتامبر اکتبر نوامبر دسامبر".split()
_AR_MONTHS = "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر".split()


def _calendar(*tables: tuple | list) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for table in tables:
        for number, forms in enumerate(table, start=1):
            for form in (forms,) if isinstance(forms, str) else forms:
                mapping.setdefault(form, number)
    return mapping


_MONTH_KEYS = (
    "january february march april may june july august september october november december"
).split()
ENGLISH_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
LOCALE_LANGUAGES = ("es", "it", "fr", "da", "nb", "sv", "nl", "pt")
WEEKDAY_LANGUAGES = LOCALE_LANGUAGES[:-1]  # Portuguese weekdays are compounds ("segunda-feira")
ENGLISH_WORD_ZIPF = 3.5  # a calendar word this common in English ("mars") is left out


def _locale_table(keys: list[str], languages: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Month or weekday names in these languages, from dateparser's locale data: full forms
    only (its abbreviations, "man", "lun", are common words elsewhere), and only where the
    word is not more an English word than a calendar one ("mars")."""
    table: list[tuple[str, ...]] = []
    for key in keys:
        forms = set()
        for code in languages:
            names = [n.lower() for n in default_loader.get_locale(code).info.get(key, [])]
            longest = max(map(len, names), default=0)
            forms.update(
                n
                for n in names
                if n.isalpha()
                and (len(n) >= 5 or len(n) == longest)
                and (
                    zipf_frequency(n, "en") < ENGLISH_WORD_ZIPF
                    or zipf_frequency(n, code) > zipf_frequency(n, "en")
                )
            )
        table.append(tuple(sorted(forms)))
    return table


MONTHS: dict[str, int] = _calendar(
    _EN_MONTHS,
    _DE_MONTHS,
    _RU_MONTHS,
    _FA_MONTHS,
    _AR_MONTHS,
    _locale_table(_MONTH_KEYS, LOCALE_LANGUAGES),
)
WEEKDAYS: dict[str, int] = _calendar(
    _locale_table(ENGLISH_WEEKDAYS, WEEKDAY_LANGUAGES),
    ENGLISH_WEEKDAYS,
    "montag dienstag mittwoch donnerstag freitag samstag sonntag".split(),
    (
        ("понедельник", "понедельника"), ("вторник", "вторника"), ("среда", "среду"),
        ("четверг", "четверга"), ("пятница", "пятницу"), ("суббота", "субботу"),
        ("воскресенье",),
    ),
    "دوشنبه سهشنبه چهارشنبه پنجشنبه جمعه شنبه یکشنبه".split(),
    "الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد".split(),
)  # fmt: skip

OPPOSITES: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (frozenset({"automat", "tacit"}), frozenset({"consent", "mutual"})),
    (frozenset({"ratifi", "ratif", "adopt", "pass"}), frozenset({"reject", "veto", "block"})),
    (frozenset({"includ"}), frozenset({"exclud", "omit"})),
    (
        frozenset({"increas", "rise", "rose", "grow", "grew"}),
        frozenset({"decreas", "fell", "fall"}),
    ),
    (frozenset({"confirm"}), frozenset({"deni", "deny"})),
)

OPPOSED: frozenset[str] = frozenset().union(*(left | right for left, right in OPPOSITES))

NUMBER_WORDS: dict[str, str] = {
    word: str(number)
    for number, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
    if number > 2
} | {"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100"}
