"""``./manage.py search_index``: index every post again (after bulk changes that sent no signals)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from blog import search
from blog.models import Post


class Command(BaseCommand):
    help = "Rebuild the full-text search index of posts (SQLite FTS5 or PostgreSQL)."

    def handle(self, *args, **options) -> None:
        total = Post.objects.count()
        with tqdm(total=total, unit="post", disable=options["verbosity"] == 0, file=self.stderr) as bar:
            try:
                done = search.rebuild(progress=lambda n: bar.update(n - bar.n))
            except DatabaseError as error:
                raise CommandError(f"Could not rebuild the search index: {error}") from error
        self.stdout.write(f"Indexed {done} post{'s' if done != 1 else ''}.")
