"""Readers' comments: checking a submission, the thread a post page shows, and purges.

A comment is stored as "pending" and appears in the (cached, shared) post page only
once an editor approves it, so nothing a reader writes reaches another reader first.
The author alone sees their pending comment: the answer to their own submission shows
it, and the page's script keeps a secret key for it (``Comment.author_key`` holds its
sha256) to ask the API for its state later. Cached pages carry no per-reader token:
the submission endpoints are CSRF-exempt (a forged submission could only queue a
comment for moderation under the victim's address, which the rate limit also counts).

Abuse: a honeypot field bots fill (answered like a success, stored nowhere), a
per-address rate limit (django-ratelimit, on memcached), a length limit, a cap on links,
and bodies sanitised like posts (``blog.html.sanitize_comment``).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from blog.models import Comment, Post
from cachekeys.clients import client_address
from cachekeys.dependencies import depends_on
from cachekeys.tracking import tracker

MAX_LENGTH = 3000  # characters in a comment's body
MAX_LINKS = 2
MAX_DEPTH = 4  # replies deeper than this are shown at this depth
HONEYPOT = "website"  # hidden from people by CSS; bots fill every field
RATE = "5/10m"  # submissions per address (valid or not)
_LINK = re.compile(r"https?://|www\.|<a\b", re.IGNORECASE)


def thread_of(post_id: int) -> str:
    """The approved comments shown under a post."""
    return f"blog.comments:post:{post_id}"


def count_of_post(post_id: int) -> str:
    """A post's comment count, as its cards print it."""
    return f"blog.comments:count:{post_id}"


class CommentForm(forms.ModelForm):
    website = forms.CharField(required=False, label="Leave this empty")

    class Meta:
        model = Comment
        fields = ["author_name", "author_email", "author_url", "body", "parent"]
        labels = {"author_name": "Name", "author_email": "Email (never shown)",
                  "author_url": "Website (optional)", "body": "Comment"}
        widgets = {"parent": forms.HiddenInput}
        field_classes = {"author_url": forms.URLField}

    author_url = forms.URLField(required=False, max_length=200, assume_scheme="https", label="Website (optional)")

    def __init__(self, *args, post: Post, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.post = post
        self.fields["parent"].queryset = Comment.objects.filter(post=post, status=Comment.Status.APPROVED)
        self.fields["parent"].error_messages["invalid_choice"] = "That comment cannot be replied to."
        self.fields["body"].max_length = MAX_LENGTH
        self.fields["body"].widget.attrs.update(maxlength=MAX_LENGTH, rows=5)

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError("Write something first.", code="required")
        if len(body) > MAX_LENGTH:
            raise forms.ValidationError(f"Comments may be at most {MAX_LENGTH} characters.", code="max_length")
        if len(_LINK.findall(body)) > MAX_LINKS:
            raise forms.ValidationError(f"A comment may hold at most {MAX_LINKS} links.", code="links")
        return body

    def clean_author_name(self) -> str:
        name = " ".join(self.cleaned_data["author_name"].split())
        if not name:
            raise forms.ValidationError("Tell us your name.", code="required")
        return name

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))


@dataclass
class Outcome:
    """What became of a submission: a stored comment (with its author's key), a bot, or errors."""

    comment: Comment | None = None
    key: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    limited: bool = False
    bot: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.limited


def client_ip(request: HttpRequest) -> str:
    """The reader's address as Nginx saw it (X-Real-IP, believed from loopback and the Nginx
    fronts only: cachekeys.clients), the same one login throttling counts."""
    return client_address(request)


def ratelimit_key(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def submit(request: HttpRequest, post: Post, data) -> Outcome:
    """Check and store a reader's comment on ``post`` as pending."""
    if is_ratelimited(request, group="blog.comments", key=ratelimit_key,
                      rate=getattr(settings, "COMMENT_RATE", RATE), increment=True):
        return Outcome(limited=True, errors={"form": ["Too many comments from your address; try again later."]})
    form = CommentForm(data, post=post)
    if form.is_bot:
        return Outcome(bot=True)
    if not form.is_valid():
        # "form" for errors of the whole form: templates cannot read "__all__".
        return Outcome(errors={("form" if name == "__all__" else name): [str(e) for e in errors]
                               for name, errors in form.errors.items()})
    key = secrets.token_urlsafe(24)
    comment = form.save(commit=False)
    comment.post, comment.ip = post, _valid_ip(client_ip(request))
    comment.author_key = hash_key(key)
    comment.save()
    return Outcome(comment=comment, key=key)


def _valid_ip(value: str) -> str | None:
    try:
        return forms.GenericIPAddressField(unpack_ipv4=True).clean(value) or None
    except forms.ValidationError:
        return None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def owns(comment: Comment, key: str) -> bool:
    return bool(key and comment.author_key) and secrets.compare_digest(comment.author_key, hash_key(key))


# -- the thread ---------------------------------------------------------------------------
@dataclass
class Node:
    comment: Comment
    depth: int
    replies: list["Node"] = field(default_factory=list)


def approved_thread(post: Post) -> list[Node]:
    """The approved comments of a post as a tree, oldest first at every level."""
    depends_on(thread_of(post.pk))
    comments = list(post.comments.filter(status=Comment.Status.APPROVED).order_by("created_at", "pk"))
    nodes = {c.pk: Node(c, 0) for c in comments}
    roots: list[Node] = []
    for comment in comments:
        node = nodes[comment.pk]
        parent = nodes.get(comment.parent_id)
        if parent is None:
            roots.append(node)  # a reply whose parent is not shown stands on its own
        else:
            node.depth = min(parent.depth + 1, MAX_DEPTH)
            (parent.replies if parent.depth < MAX_DEPTH else _siblings(roots, nodes, parent)).append(node)
    return roots


def _siblings(roots: list[Node], nodes: dict[int, Node], parent: Node) -> list[Node]:
    """Where a reply deeper than MAX_DEPTH goes: beside its parent."""
    grand = nodes.get(parent.comment.parent_id)
    return grand.replies if grand else roots


def count_of(thread: list[Node]) -> int:
    return sum(1 + count_of(node.replies) for node in thread)


# -- purges -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CommentState:
    approved: bool
    post_id: int
    shown: tuple  # what the thread prints


def comment_state(pk: int) -> CommentState | None:
    comment = Comment.objects.filter(pk=pk).first()
    if comment is None:
        return None
    return CommentState(
        comment.status == Comment.Status.APPROVED, comment.post_id,
        (comment.parent_id, comment.author_name, comment.author_url, comment.body_html, comment.created_at),
    )


def comment_tags(pk: int, old: CommentState | None, new: CommentState | None) -> set[str]:
    """Approving or removing: the thread and every card counting it; an edit: the thread only."""
    shown = [state for state in (old, new) if state is not None and state.approved]
    if not shown or old == new:
        return set()  # pending and spam show nowhere
    tags = {thread_of(state.post_id) for state in shown}
    if not (old and new and old.approved and new.approved and old.post_id == new.post_id):
        tags |= {count_of_post(state.post_id) for state in shown}  # the counts on its cards
    return tags


def register() -> None:
    """Purge the pages showing a comment when it is approved, edited or removed (``ready()``)."""
    tracker.watch(Comment, comment_state, comment_tags)
