"""Demo content for a fresh database: ``seed_demo()``, run by ``manage.py seed_demo``.

Everything comes from one seed: ``random.Random(seed)`` picks the structure and a seeded
Faker instance supplies names, so the same seed always writes the same titles, slugs and
bodies. Dates are offsets from an anchor, today's midnight (UTC) unless one is given, so
two runs on the same day match exactly and runs on different days differ only in dates.
"""
from __future__ import annotations

import datetime
import html
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker

from blog.models import Category, Post, Tag

# (slug, name, parent slug, description); parents come before their children.
CATEGORIES = [
    ("games", "Games", None, "Reviews, previews and deep dives into the games worth your evenings."),
    ("pc", "PC", "games", "Mouse, keyboard and far too many settings menus."),
    ("console", "Console", "games", "The couch, the controller and the big screen."),
    ("indie", "Indie", "games", "Small teams, strange ideas, our favourite surprises."),
    ("hardware", "Hardware", None, "Benchmarks, teardowns and honest buying advice."),
    ("components", "Components", "hardware", "Graphics cards, processors and the parts in between."),
    ("peripherals", "Peripherals", "hardware", "Keyboards, mice, headsets and handhelds."),
    ("culture", "Culture", None, "The people, communities and history around the games."),
    ("making-games", "Making Games", None, "How games get made, from the people who make them."),
]
TAGS = [
    "RPG", "Indie", "Open World", "Roguelike", "Strategy", "Co-op", "Esports", "Speedrunning",
    "Retro", "VR", "Handhelds", "GPUs", "Benchmarks", "Mechanical Keyboards", "Linux Gaming",
    "Modding", "Soundtracks", "Game Design", "Interviews", "Emulation", "Accessibility", "Early Access",
]
GAME_ADJECTIVES = [
    "Hollow", "Neon", "Iron", "Crimson", "Silent", "Last", "Broken", "Astral", "Feral", "Sunken",
    "Echo", "Paper", "Quantum", "Rogue", "Velvet", "Frozen", "Ashen", "Starlit", "Tiny", "Endless",
]
GAME_NOUNS = [
    "Frontier", "Drift", "Protocol", "Harbor", "Citadel", "Orbit", "Saga", "Circuit", "Dynasty",
    "Tides", "Signal", "Lantern", "Garden", "Arcade", "Reactor", "Kingdom", "Relay", "Hearth",
]
GAME_SUFFIXES = ["", "", "", "", " II", " 3", ": Rebirth", " Zero", ": Afterglow"]
STUDIOS = [
    "Moonlit Forge", "Tinybyte", "Ninefold Games", "Paper Crane Studio", "Redshift Interactive",
    "Overclock Collective", "Lumen & Lark", "Bitmill", "Northlight Works", "Saltwater Games",
]
BRANDS = ["Voltic", "Corsa", "Nimbus", "Halcyon", "Arcturus", "Kestrel", "Obsidian Labs", "Quanta"]
PRODUCTS = [
    "X7 graphics card", "Pulse 65 keyboard", "Aero wireless headset", "Nova handheld",
    "Quasar 27 monitor", "Flux Pro mouse", "Helix 9 processor", "Atlas mini PC", "Rift SSD",
]
GENRES = [
    "roguelike", "strategy game", "open-world RPG", "racing game", "puzzle game", "shooter",
    "survival game", "metroidvania", "city builder", "fighting game", "deckbuilder",
]
PLATFORMS = ["PC", "the big consoles", "handheld PCs", "the Switch", "Linux", "the Steam Deck"]
VERDICTS = [
    "a triumph with rough edges", "gorgeous, generous and a little too long",
    "the comeback nobody expected", "clever ideas buried under grind", "an instant classic",
    "brilliant in short bursts", "ambitious, messy and unforgettable", "pure comfort food",
]
HEADINGS = {
    "game": ["What works", "Where it stumbles", "How it plays", "The verdict", "First impressions",
             "The small details", "Who it is for", "Performance"],
    "culture": ["Where it started", "The people", "Keeping it alive", "What comes next", "Looking back"],
    "dev": ["Where it started", "The hard parts", "Tools and tricks", "What we would do again",
            "What we would change", "Shipping it"],
    "hardware": ["First impressions", "Under the hood", "Performance", "Noise and heat",
                 "Who it is for", "The verdict"],
}
TITLE_TEMPLATES = {
    "games": [
        "{game} review: {verdict}",
        "Hands-on with {game}, the {genre} everyone is talking about",
        "{n} things we learned from twenty hours of {game}",
        "Why {game} might be the best {genre} on {platform}",
        "{game} patch {version} finally fixes the endgame",
        "Speedrunners have already broken {game}",
        "{game} is coming to {platform}, and it looks great",
        "The secret history of {game}'s strangest level",
    ],
    "hardware": [
        "{brand} {product} review: {verdict}",
        "Is the {brand} {product} worth the upgrade?",
        "We benchmarked {n} graphics cards so you don't have to",
        "The {brand} {product}, taken apart screw by screw",
        "Why {brand} is betting everything on the {product}",
        "{n} ways to make an old gaming PC feel new again",
        "Handheld PCs are eating the living room",
        "A quiet build: the {brand} {product} in a silent PC",
    ],
    "culture": [
        "How a small community kept {game} alive for a decade",
        "The quiet rise of the cosy {genre}",
        "{n} soundtracks that deserve a vinyl release",
        "Why we still love the {genre}s of our childhood",
        "Inside the tournament scene of {game}",
        "The modders rebuilding {game} from scratch",
        "What {game} taught a generation about failure",
        "Accessibility options every {genre} should copy",
    ],
    "making-games": [
        "Postmortem: shipping {game} with a team of {n}",
        "How {studio} built the world of {game}",
        "A beginner's guide to designing a {genre}",
        "What {n} years of early access taught {studio}",
        "The tools behind {game}'s hand-drawn look",
        "Inside {studio}: small team, big {genre}",
        "Why {studio} rewrote its engine halfway through {game}",
        "Playtesting {game}: {n} lessons from a thousand players",
    ],
}
# Body text per kind of story; slots name the post's subject, drawn once per post.
SENTENCES = {
    "game": [
        "{game} opens quietly, then spends twenty hours proving it has something to say.",
        "The first hour is the weakest, which is a strange thing to admit about a {genre}.",
        "{studio} clearly knows what made the genre tick, and is not afraid to break it.",
        "On {platform} it holds a steady frame rate, even when the screen fills with particles.",
        "It is the rare {genre} that respects your time as much as your skill.",
        "Every system feeds into another, and the loop is hard to put down at midnight.",
        "The soundtrack does a lot of heavy lifting, swelling at exactly the right moments.",
        "Not every idea lands, but the ones that do linger for days afterwards.",
        "Menus are fast, loading is short, and the options screen is refreshingly thorough.",
        "We played most of it with a controller, and switched to a mouse only for the late game.",
        "There is a confidence to the art direction that bigger budgets rarely buy.",
        "The difficulty curve spikes hard in the third act, then settles into something fair.",
        "Co-op adds chaos in the best way, though the matchmaking still needs work.",
        "Small touches, like the way the camera lingers after a victory, add up.",
        "Its best moments come when {game} stops explaining itself and lets you experiment.",
        "A day-one patch fixed most of the crashes we ran into during our time with it.",
        "{person}, who worked on the combat, describes it as a puzzle you solve with your hands.",
        "Compared with other recent {genre}s, {game} feels lean and deliberate.",
    ],
    "culture": [
        "The community around {game} has outlived two publishers and a shutdown notice.",
        "Fan wikis for {game} now run to tens of thousands of pages, most written at night.",
        "{person} has organised a weekly tournament for {game} for six years straight.",
        "Nostalgia is part of it, but the {genre} itself still holds up remarkably well.",
        "Modders have restored cut content that {studio} never got around to shipping.",
        "Speedrunners found a route through {game} that skips almost half the map.",
        "Streams of {game} still draw thousands of viewers on a quiet weekday evening.",
        "There is something generous about a game that lets strangers build on top of it.",
        "Not everyone agrees on what made {game} special, which is half the fun.",
        "Players on {platform} have kept the servers busy long after the official ones went dark.",
        "The soundtrack alone has been remixed by hundreds of fans.",
        "Accessibility groups praised {game} for letting players tune nearly every challenge.",
    ],
    "dev": [
        "{studio} started {game} as a two-week jam prototype that refused to die.",
        "The team rebuilt the movement system four times before it felt right.",
        "Early playtests of {game} were brutal, and the team says that was the point.",
        "{person}, the lead designer at {studio}, keeps a wall of sticky notes for every cut feature.",
        "Tools matter more than engines, the team argues, and they built a lot of them.",
        "Shipping on {platform} meant months of work on memory budgets nobody sees.",
        "Most of the art was drawn by hand and then scanned, frame by frame.",
        "Scope was the enemy: the first design document described a game three times the size.",
        "Players in early access shaped the late game more than any internal review.",
        "Crunch was off the table from day one, and the schedule was built around that.",
        "The hardest bug took three weeks to find and one line to fix.",
        "For a {genre}, {game} has surprisingly little text; the levels do the teaching.",
    ],
    "hardware": [
        "The {brand} {product} arrives in refreshingly plain packaging, with almost no plastic.",
        "Build quality feels premium, down to the satisfying click of every button.",
        "Thermals stayed reasonable under load, and the fans never climbed above a murmur.",
        "Price is the sticking point: it is good, but it is not twice as good.",
        "Drivers were stable throughout our testing, which was not true a year ago.",
        "If you already own last year's model, there is little reason to rush.",
        "In our benchmark suite it trades blows with cards that cost a third more.",
        "{brand}'s companion software is finally optional, and it is better for it.",
        "Battery life lands at around three hours in demanding games, more in older ones.",
        "We ran it for a fortnight on {platform} without a single crash.",
        "Power draw at idle is impressively low, which matters for a machine left on all day.",
        "{person}, an engineer at {brand}, says the team spent a year on the cooling alone.",
        "The {product} is easy to open and repair, with standard screws throughout.",
        "Coil whine was audible only with our ear pressed against the case.",
    ],
}
# Which body text each section's stories are written in.
SECTION_VOICE = {"games": "game", "culture": "culture", "making-games": "dev", "hardware": "hardware"}
BULLETS = {
    "game": [
        "A combat system that rewards patience over button-mashing",
        "Gorgeous hand-painted environments",
        "Sensible accessibility options, including full remapping",
        "A map that finally tells you what you have missed",
        "Boss fights that teach instead of punish",
        "Too many fetch quests in the middle chapters",
        "A photo mode you will lose an evening to",
        "Cross-saves between {platform} and PC",
        "An inventory screen that still needs a second pass",
        "A soundtrack worth listening to on its own",
    ],
    "culture": [
        "A weekly community tournament, still running",
        "Fan translations into more than a dozen languages",
        "A speedrun category for every ending",
        "Restored cut levels and dialogue",
        "A wiki that outgrew the official manual years ago",
        "Community servers on {platform}",
    ],
    "dev": [
        "Keep the first playable build ugly and fast",
        "Cut features early, before anyone falls in love with them",
        "Budget a month for porting to {platform}",
        "Write tools for the designers before writing content",
        "Playtest with strangers, not friends",
        "Ship small patches often",
    ],
    "hardware": [
        "Sixty frames per second at 1440p in most games we tried",
        "Quiet under load, silent at idle",
        "Standard screws and easy access to every part",
        "Companion software is optional",
        "Expensive next to last year's model",
        "Three years of warranty as standard",
        "Runs well on {platform} out of the box",
    ],
}
MAX_POSTS = 10_000
_PUBLISHED_SPREAD = datetime.timedelta(days=540)  # about eighteen months


@dataclass(frozen=True)
class SeedResult:
    """What ``seed_demo`` did; ``created`` is False when posts already existed."""

    created: bool
    posts: int = 0
    drafts: int = 0
    scheduled: int = 0
    categories: int = 0
    tags: int = 0
    authors: int = 0


def seed_demo(
    posts: int = 60,
    seed: int = 1,
    now: datetime.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Fill an empty database with demo content; do nothing if any post exists."""
    if not 1 <= posts <= MAX_POSTS:
        raise ValueError(f"posts must be between 1 and {MAX_POSTS}, got {posts}.")
    if Post.objects.exists():
        return SeedResult(created=False)
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    anchor = _midnight(now or timezone.now())
    with transaction.atomic():
        categories = _make_categories()
        tags = _make_tags()
        authors = _make_authors(fake, rng)
        statuses = _plan_statuses(posts, rng)
        writer = _Writer(rng, fake)
        for index, status in enumerate(statuses, start=1):
            _make_post(writer, status, anchor, categories, tags, authors)
            if progress is not None:
                progress(index, posts)
    return SeedResult(
        created=True,
        posts=posts,
        drafts=statuses.count("draft"),
        scheduled=statuses.count("scheduled"),
        categories=len(categories),
        tags=len(tags),
        authors=len(authors),
    )


def _midnight(moment: datetime.datetime) -> datetime.datetime:
    """Return the start of ``moment``'s day in UTC, the anchor every date is offset from."""
    day = moment.astimezone(datetime.timezone.utc).date()
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.timezone.utc)


def _make_categories() -> list[Category]:
    """Create the category tree, reusing any category whose slug already exists."""
    by_slug: dict[str, Category] = {}
    for slug, name, parent, description in CATEGORIES:
        by_slug[slug], _ = Category.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "parent": by_slug.get(parent), "description": description},
        )
    return list(by_slug.values())


def _make_tags() -> list[Tag]:
    """Create the demo tags, reusing existing ones by slug."""
    return [Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0] for name in TAGS]


def _make_authors(fake: Faker, rng: random.Random) -> list[AbstractBaseUser]:
    """Create three to five writers with real-looking names and no usable password."""
    users = []
    for _ in range(rng.randint(3, 5)):
        first, last = fake.unique.first_name(), fake.unique.last_name()
        username = re.sub(r"[^a-z]", "", f"{first}{last[0]}".lower())
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users.append(user)
    return users


def _plan_statuses(posts: int, rng: random.Random) -> list[str]:
    """Return each post's fate: mostly published, two drafts and one scheduled per sixty-odd."""
    drafts, scheduled = min(2, posts // 10), min(1, posts // 10)
    plan = ["published"] * (posts - drafts - scheduled) + ["draft"] * drafts + ["scheduled"] * scheduled
    rng.shuffle(plan)
    return plan


def _make_post(
    writer: _Writer,
    status: str,
    anchor: datetime.datetime,
    categories: list[Category],
    tags: list[Tag],
    authors: list[AbstractBaseUser],
) -> Post:
    """Write and save one post; ``Post.save()`` derives its HTML, excerpt and reading time."""
    rng = writer.rng
    category = rng.choice(categories)
    section = category.parent.slug if category.parent else category.slug
    story = writer.story(section)
    post = Post.objects.create(
        title=story.title,
        slug=story.slug,
        body=story.body,
        status=Post.Status.DRAFT if status == "draft" else Post.Status.PUBLISHED,
        published_at=_publish_date(status, anchor, rng),
        author=rng.choice(authors),
        category=category,
    )
    post.tags.set(rng.sample(tags, rng.randint(2, 4)))
    return post


def _publish_date(status: str, anchor: datetime.datetime, rng: random.Random) -> datetime.datetime:
    """Spread published posts over the last eighteen months; schedule one a few days out."""
    if status == "scheduled":
        return anchor + datetime.timedelta(days=rng.randint(3, 14), hours=rng.randint(8, 18))
    if status == "draft":
        return anchor - datetime.timedelta(days=rng.randint(1, 20))
    seconds = rng.randint(3600, int(_PUBLISHED_SPREAD.total_seconds()))
    return anchor - datetime.timedelta(seconds=seconds)


@dataclass(frozen=True)
class _Story:
    title: str
    slug: str
    body: str


class _Writer:
    """Compose stories from the word lists, driven by one RNG and one seeded Faker."""

    def __init__(self, rng: random.Random, fake: Faker) -> None:
        self.rng = rng
        self.fake = fake
        self.slugs: set[str] = set()
        self.titles: set[str] = set()
        self.subject: dict[str, str] = {}
        self._deck: list[str] = []

    def story(self, section: str) -> _Story:
        """Return a story for ``section`` about one game, studio or product throughout."""
        voice = SECTION_VOICE[section]
        title = self._headline(section)
        body = self._body(voice)
        return _Story(title, self._unique_slug(slugify(title)[:180] or "post"), body)

    def _headline(self, section: str) -> str:
        """Pick a subject and a title not used yet (a few tries, then accept a repeat)."""
        for _ in range(20):
            self.subject = self._new_subject()
            title = self._fill(self.rng.choice(TITLE_TEMPLATES[section]))
            if title not in self.titles:
                break
        self.titles.add(title)
        return title

    def _new_subject(self) -> dict[str, str]:
        rng = self.rng
        return {
            "game": rng.choice(GAME_ADJECTIVES) + " " + rng.choice(GAME_NOUNS) + rng.choice(GAME_SUFFIXES),
            "genre": rng.choice(GENRES),
            "platform": rng.choice(PLATFORMS),
            "verdict": rng.choice(VERDICTS),
            "studio": rng.choice(STUDIOS),
            "brand": rng.choice(BRANDS),
            "product": rng.choice(PRODUCTS),
        }

    def _body(self, voice: str) -> str:
        """Return an article: paragraphs under subheadings, with a list or a pull quote."""
        rng = self.rng
        self._deck = []
        parts = [self._paragraph(voice), self._paragraph(voice)]
        for heading in rng.sample(HEADINGS[voice], rng.randint(2, 3)):
            parts.append(f"<h2>{html.escape(heading)}</h2>")
            parts.append(self._paragraph(voice))
            roll = rng.random()
            if roll < 0.45:
                parts.append(self._list(voice))
            elif roll < 0.7:
                parts.append(self._quote(voice))
            parts.append(self._paragraph(voice))
        return "\n".join(parts)

    def _paragraph(self, voice: str) -> str:
        wanted = self.rng.randint(3, 5)
        if len(self._deck) < wanted:
            # Deal sentences like cards, so one article rarely says the same thing twice.
            self._deck = self.rng.sample(SENTENCES[voice], len(SENTENCES[voice]))
        sentences, self._deck = self._deck[:wanted], self._deck[wanted:]
        return f"<p>{html.escape(' '.join(self._fill(s) for s in sentences))}</p>"

    def _list(self, voice: str) -> str:
        tag = self.rng.choice(["ul", "ol"])
        items = "".join(
            f"<li>{html.escape(self._fill(item))}</li>"
            for item in self.rng.sample(BULLETS[voice], self.rng.randint(3, 5))
        )
        return f"<{tag}>{items}</{tag}>"

    def _quote(self, voice: str) -> str:
        sentence = self._fill(self.rng.choice(SENTENCES[voice]))
        employer = self.subject["brand"] if voice == "hardware" else self.subject["studio"]
        credit = f"{self.fake.name()}, {employer}"
        return f"<blockquote><p>{html.escape(sentence)}</p><cite>{html.escape(credit)}</cite></blockquote>"

    def _fill(self, template: str) -> str:
        """Fill ``template``'s slots from the story's subject; people and numbers are fresh each time."""
        values: dict[str, object] = dict(self.subject)
        # Drawn only when used, so the RNG sequence depends only on the templates chosen.
        if "{person}" in template:
            values["person"] = self.fake.name()
        if "{n}" in template:
            values["n"] = self.rng.randint(3, 12)
        if "{version}" in template:
            values["version"] = f"{self.rng.randint(1, 3)}.{self.rng.randint(0, 9)}"
        return template.format(**values)

    def _unique_slug(self, base: str) -> str:
        slug, counter = base, 2
        while slug in self.slugs:
            slug, counter = f"{base}-{counter}", counter + 1
        self.slugs.add(slug)
        return slug
