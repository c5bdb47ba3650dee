"""``manage.py seed_demo``: fill an empty database with demo content (see ``blog.demo``)."""
from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from blog.demo import MAX_POSTS, seed_demo

# Report progress this often, so a large run shows it is alive without flooding the terminal.
PROGRESS_EVERY = 100


class Command(BaseCommand):
    help = "Fill an empty database with demo posts, categories, tags and authors."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--posts", type=int, default=60, help="How many posts to write (default 60).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; same seed, same content (default 1).")

    def handle(self, *args: object, posts: int, seed: int, **options: object) -> None:
        if not 1 <= posts <= MAX_POSTS:
            raise CommandError(f"--posts must be between 1 and {MAX_POSTS}, got {posts}.")
        result = seed_demo(posts=posts, seed=seed, progress=self._progress)
        if not result.created:
            self.stdout.write("Posts already exist; seed_demo only fills an empty database. Nothing changed.")
            return
        published = result.posts - result.drafts - result.scheduled
        self.stdout.write(self.style.SUCCESS(
            f"Created {result.posts} posts ({published} published, {result.drafts} drafts, "
            f"{result.scheduled} scheduled), {result.categories} categories, {result.tags} tags "
            f"and {result.authors} authors (seed {seed})."
        ))

    def _progress(self, done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 and done < total:
            self.stdout.write(f"  {done}/{total} posts…")
