"""Generated news for the scale-out test: many feeds, distinct stories, verbatim copies, filler.

`build_corpus(now)` returns a `Corpus` of `Item`s spread over `feeds` RSS feeds:
- `original`: a distinct on-topic story about the Russia–Iran partnership treaty — one event
  (a ferry line, a grain cargo, a bank link …) with its own facts: numbers and the names of
  the people quoted are never reused, so each story is genuinely new against the seeds and
  against every other story, whatever order they are judged in;
- `copy`: an original republished word for word (title and text) by another outlet on
  another feed, appearing in the same wave as the original, a minute later;
- `filler`: off-topic local news that names neither Russia nor Iran.
Every item belongs to a wave (0, 1, 2 …: when it appears) and is dated a few minutes before
`now`. `corpus.document(feed, wave)` is the RSS of one feed showing the items of waves up to
`wave`, newest first. Deterministic for a given `seed`. All text is invented here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from itertools import product
from xml.sax.saxutils import escape

RU_CITIES = ("Astrakhan", "Kazan", "Volgograd", "Samara", "Makhachkala", "Nizhny Novgorod")
IR_CITIES = ("Isfahan", "Tabriz", "Rasht", "Mashhad", "Shiraz", "Qazvin")
RU_PORTS = ("Astrakhan", "Olya", "Makhachkala")
IR_PORTS = ("Bandar Anzali", "Amirabad", "Nowshahr", "Astara")
MONTHS = ("March", "April", "May", "June", "July", "September", "October", "November")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
SHIPS = ("Volga Star", "Caspian Dawn", "Sulak", "Golestan", "Terek", "Mazandaran Bay")
RU_FIRST = ("Arkady", "Boris", "Gleb", "Lev", "Oleg", "Pavel", "Rodion", "Stepan", "Timur", "Yuri")
RU_LAST = ("Velmin", "Krasnov", "Lugovets", "Shatrov", "Dubinin", "Zorkin", "Prokhin", "Galkov")
IR_FIRST = ("Farhad", "Kaveh", "Dariush", "Behrouz", "Nader", "Siavash", "Omid", "Parviz")
IR_LAST = (
    "Kamrani", "Tavakoli", "Rostami", "Javanfar", "Mirzadeh", "Ghaffari", "Bahrami", "Nikpour",
)  # fmt: skip
TOWNS = ("Elmsford", "Lakeport", "Brightwater", "Oakridge", "Millbrook", "Stonehaven")


@dataclass(frozen=True)
class Item:
    """One feed entry. `group` is the original's number for originals and their copies."""

    kind: str  # "original" | "copy" | "filler"
    feed: int
    wave: int
    guid: str
    link: str
    title: str
    text: str
    published: datetime
    group: int | None = None


@dataclass(frozen=True)
class Corpus:
    feeds: int
    waves: int
    items: tuple[Item, ...]

    @staticmethod
    def path(feed: int) -> str:
        return f"/feed/{feed:03d}.xml"

    def of(self, kind: str) -> list[Item]:
        return [item for item in self.items if item.kind == kind]

    def document(self, feed: int, wave: int) -> bytes:
        shown = sorted(
            (i for i in self.items if i.feed == feed and i.wave <= wave),
            key=lambda i: i.published,
            reverse=True,
        )
        entries = "".join(
            f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
            f'<guid isPermaLink="false">{escape(i.guid)}</guid>'
            f"<pubDate>{format_datetime(i.published)}</pubDate>"
            f"<description>{escape(i.text)}</description></item>\n"
            for i in shown
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>Outlet {feed:03d}</title><link>https://outlet{feed:03d}.example/</link>"
            f"<description>Generated feed {feed:03d}</description>\n{entries}</channel></rss>\n"
        ).encode()


class _Facts:
    """Fresh facts for one story: names never reused, numbers drawn without repeats."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        ru = list(product(RU_FIRST, RU_LAST))
        ir = list(product(IR_FIRST, IR_LAST))
        rng.shuffle(ru)
        rng.shuffle(ir)
        self._ru, self._ir = ru, ir
        self._numbers: set[int] = set()

    def number(self, low: int, high: int) -> str:
        while (n := self.rng.randint(low, high)) in self._numbers:
            pass
        self._numbers.add(n)
        return f"{n:,}"

    def filler(self) -> dict[str, str]:
        """Slots for an off-topic item: a town, a weekday, a month and two numbers."""
        rng = self.rng
        return {
            "town": rng.choice(TOWNS),
            "weekday": rng.choice(DAYS),
            "month": rng.choice(MONTHS),
            "n1": str(rng.randint(2, 40)),
            "n2": f"{rng.randint(1_000, 90_000):,}",
        }

    def slots(self) -> dict[str, str]:
        """Slots for an on-topic story: two people never quoted before, fresh numbers."""
        pick = self.rng.choice
        return {
            "ru_name": " ".join(self._ru.pop()),
            "ir_name": " ".join(self._ir.pop()),
            "ru_city": pick(RU_CITIES),
            "ir_city": pick(IR_CITIES),
            "ru_port": pick(RU_PORTS),
            "ir_port": pick(IR_PORTS),
            "ship": pick(SHIPS),
            "month": pick(MONTHS),
            "weekday": pick(DAYS),
            "day": str(self.rng.randint(2, 28)),
            "n1": self.number(12, 990),
            "n2": self.number(1_000, 98_000),
            "n3": self.number(100_000, 9_000_000),
        }


Template = Callable[[dict[str, str]], tuple[str, str]]

EVENTS: tuple[Template, ...] = (
    lambda s: (
        f"Russia and Iran open {s['ru_port']} to {s['ir_port']} ferry under partnership treaty",
        f"A ferry line between {s['ru_port']} in Russia and the Iranian port of {s['ir_port']} "
        f"opened on {s['weekday']} as part of the strategic partnership treaty. The ship "
        f"{s['ship']} will carry {s['n1']} passengers on each crossing. {s['ru_name']}, head of "
        f"the port authority, said the line would move {s['n2']} trucks a year. Iranian "
        f"shipping official {s['ir_name']} said a ticket would cost {s['n3']} rials.",
    ),
    lambda s: (
        f"Iran and Russia agree {s['ru_city']}–{s['ir_city']} rail freight link under treaty",
        f"Russian and Iranian railways agreed on {s['weekday']} to run a container train from "
        f"{s['ru_city']} to {s['ir_city']}, citing the partnership treaty. The first train of "
        f"{s['n1']} containers leaves on {s['month']} {s['day']}, said {s['ru_name']} of the "
        f"Russian side. {s['ir_name']}, Iran's deputy roads minister, said the line could "
        f"carry {s['n2']} tonnes in its first year and {s['n3']} tonnes by the end of the decade.",
    ),
    lambda s: (
        f"Russian wheat cargo reaches {s['ir_port']} as Iran grain deal takes effect",
        f"A cargo of {s['n2']} tonnes of Russian wheat reached {s['ir_port']} on "
        f"{s['weekday']}, the first under a grain agreement between Russia and Iran signed "
        f"within the partnership treaty. The vessel {s['ship']} loaded in {s['ru_port']}. "
        f"Trader {s['ru_name']} said {s['n3']} tonnes would follow by {s['month']}. Iran's "
        f"grain board chief {s['ir_name']} put the price at {s['n1']} dollars a tonne.",
    ),
    lambda s: (
        f"Russia and Iran link {s['n1']} more banks to card network under cooperation deal",
        f"The central banks of Russia and Iran connected {s['n1']} more banks to their joint "
        f"card network on {s['weekday']}, a step named in the strategic partnership treaty. "
        f"Cardholders can now use {s['n2']} cash machines in {s['ir_city']}. {s['ru_name']} of "
        f"the Bank of Russia said transfers reached {s['n3']} rubles in {s['month']}. Iranian "
        f"banker {s['ir_name']} welcomed the link.",
    ),
    lambda s: (
        f"Iran and Russia to exchange {s['n1']} students under partnership treaty",
        f"Universities in {s['ru_city']} and {s['ir_city']} will exchange {s['n1']} students "
        f"from {s['month']} under an education agreement that Russia and Iran signed on "
        f"{s['weekday']} within the treaty. Rector {s['ru_name']} said the programme would cost "
        f"{s['n3']} rubles. {s['ir_name']}, Iran's deputy science minister, said {s['n2']} "
        "applications had already arrived.",
    ),
    lambda s: (
        f"Russia and Iran sign gas swap accord for {s['ir_city']} region",
        f"Russia will supply {s['n2']} cubic metres of gas a day to the {s['ir_city']} region "
        f"of Iran under a swap accord signed on {s['weekday']}, the energy ministries said, "
        f"calling it part of the partnership treaty. {s['ru_name']} said deliveries start on "
        f"{s['month']} {s['day']}. Iranian energy official {s['ir_name']} said the swap would "
        f"save {s['n3']} dollars and employ {s['n1']} engineers.",
    ),
    lambda s: (
        f"Russia–Iran treaty commission meets in {s['ir_city']}, approves {s['n1']} projects",
        f"The joint commission that oversees the Russia–Iran partnership treaty met in "
        f"{s['ir_city']} on {s['weekday']} and approved {s['n1']} projects. Co-chair "
        f"{s['ru_name']} said the projects were worth {s['n3']} dollars. Iran's co-chair "
        f"{s['ir_name']} said the next session would be held in {s['ru_city']} in "
        f"{s['month']} with {s['n2']} delegates.",
    ),
    lambda s: (
        f"Iran registers {s['n1']} Russian medicines under health cooperation agreement",
        f"Iran's food and drug agency registered {s['n1']} Russian medicines on "
        f"{s['weekday']} under a health agreement between Moscow and Tehran signed within the "
        f"partnership treaty. Pharmacies in {s['ir_city']} will stock them from {s['month']}. "
        f"{s['ru_name']} of the Russian health ministry said exports could reach {s['n3']} "
        f"dollars. Iranian regulator {s['ir_name']} said {s['n2']} patients would benefit.",
    ),
    lambda s: (
        f"Russian firm to build {s['n1']}-megawatt plant in {s['ir_city']} under Iran pact",
        f"A Russian engineering company will build a {s['n1']}-megawatt power plant near "
        f"{s['ir_city']}, Iran's energy ministry said on {s['weekday']}, under the partnership "
        f"pact between Russia and Iran. The contract is worth {s['n3']} dollars, according to "
        f"{s['ru_name']}. Iranian project manager {s['ir_name']} said {s['n2']} homes would be "
        f"supplied from {s['month']}.",
    ),
    lambda s: (
        f"Russia and Iran hold {s['ir_city']} film week under cultural cooperation deal",
        f"Russian films will be shown for a week in {s['ir_city']} from {s['month']} "
        f"{s['day']} under a cultural agreement between Russia and Iran that cites the "
        f"partnership treaty. Director {s['ru_name']} will open the festival with "
        f"{s['n1']} guests. Organiser {s['ir_name']} said {s['n2']} tickets were sold on "
        f"{s['weekday']} and the budget was {s['n3']} rials.",
    ),
)

FILLER: tuple[Template, ...] = (
    lambda s: (
        f"{s['town']} council approves {s['n1']} new bus stops",
        f"The {s['town']} town council voted on {s['weekday']} to add {s['n1']} bus stops. "
        f"Works start in {s['month']} and cost {s['n2']} dollars.",
    ),
    lambda s: (
        f"{s['town']} Rovers win {s['n1']}th derby in a row",
        f"{s['town']} Rovers beat their neighbours again on {s['weekday']} before "
        f"{s['n2']} fans. The coach praised the young defenders.",
    ),
    lambda s: (
        f"Museum in {s['town']} shows {s['n1']} old maps",
        f"An exhibition of {s['n1']} hand-drawn maps opened in {s['town']} on {s['weekday']}. "
        f"It runs until {s['month']} and expects {s['n2']} visitors.",
    ),
)


def build_corpus(
    now: datetime,
    *,
    feeds: int = 200,
    stories: int = 60,
    copies: int = 20,
    filler_per_feed: int = 2,
    waves: int = 3,
    seed: int = 7,
) -> Corpus:
    """The items described in the module docstring; `copies` ≤ `stories`."""
    rng = random.Random(seed)
    facts = _Facts(rng)
    now = now.astimezone(UTC).replace(microsecond=0)
    items: list[Item] = []
    for n in range(stories):
        title, text = EVENTS[n % len(EVENTS)](facts.slots())
        feed, wave = (n * 7) % feeds, n % waves
        published = datetime.fromtimestamp(now.timestamp() - 600 + n, UTC)
        items.append(_item("original", feed, wave, n, title, text, published, group=n))
        if n < copies:
            other = (feed + feeds // 2 + 1) % feeds
            later = datetime.fromtimestamp(published.timestamp() + 60, UTC)
            items.append(_item("copy", other, wave, n, title, text, later, group=n))
    for feed in range(feeds):
        for k in range(filler_per_feed):
            title, text = FILLER[(feed + k) % len(FILLER)](facts.filler())
            published = datetime.fromtimestamp(now.timestamp() - 900 + feed + k, UTC)
            items.append(_item("filler", feed, (feed + k) % waves, k, title, text, published))
    return Corpus(feeds=feeds, waves=waves, items=tuple(items))


def _item(
    kind: str,
    feed: int,
    wave: int,
    n: int,
    title: str,
    text: str,
    published: datetime,
    group: int | None = None,
) -> Item:
    guid = f"outlet{feed:03d}-{kind}-{n}"
    link = f"https://outlet{feed:03d}.example/news/{kind}-{n}"
    return Item(kind, feed, wave, guid, link, title, text, published, group)
