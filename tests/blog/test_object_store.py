"""Photos on an S3-compatible object store (django-storages), as several app servers share them.

The store is a real HTTP server speaking the S3 protocol (moto's server mode, in a process
of its own on a loopback port): boto3 signs and sends every request as it would to AWS or MinIO.
The storage is the one site_project.settings builds from AWS_STORAGE_BUCKET_NAME and friends.
"""
from __future__ import annotations

import io
import json
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from email.message import Message

import boto3
import pytest
from PIL import Image as PILImage

from blog.models import Image
from cachekeys.testing import free_port, wait_for_port
from site_project.settings import object_store
from tests.factories import make_image, make_post, photo_bytes

pytestmark = pytest.mark.django_db

IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory) -> Iterator[str]:
    """The S3 server, in a process of its own (as a store is: nothing of it in the tests' memory)."""
    port = free_port()
    log = tmp_path_factory.mktemp("s3") / "server.log"
    with open(log, "wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def bucket(endpoint, settings, monkeypatch) -> str:
    """A new, empty bucket the site's photos go to."""
    for name, value in (("AWS_ACCESS_KEY_ID", "test-key"), ("AWS_SECRET_ACCESS_KEY", "test-secret"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    name = f"photos-{secrets.token_hex(4)}"
    client(endpoint).create_bucket(Bucket=name)
    # Objects publicly readable, as deploy/README.md asks of the bucket.
    client(endpoint).put_bucket_policy(Bucket=name, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{name}/*"}],
    }))
    settings.STORAGES = {**settings.STORAGES, "default": object_store(name, endpoint_url=endpoint,
                                                                      region="us-east-1")}
    return name


def client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test-key", aws_secret_access_key="test-secret")


def keys_in(endpoint: str, bucket: str) -> set[str]:
    listed = client(endpoint).list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listed.get("Contents", [])}


def download(url: str) -> tuple[bytes, Message]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read(), answer.headers  # names in any case


def gps_photo() -> bytes:
    exif = PILImage.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 40.0)})
    return photo_bytes(1800, 1200, exif=exif)


def test_a_photo_and_its_sizes_are_stored_in_the_bucket_and_served_from_it(endpoint, bucket):
    photo = make_image(data=gps_photo())
    names = {photo.file.name, *(item["name"] for item in photo.renditions)}
    assert keys_in(endpoint, bucket) == names
    assert photo.file.url.startswith(f"{endpoint}/{bucket}/")  # a plain URL: no signature to expire
    for item in photo.renditions:
        data, headers = download(photo.file.storage.url(item["name"]))
        with PILImage.open(io.BytesIO(data)) as picture:
            assert (picture.width, PILImage.MIME[picture.format]) == (item["width"], item["format"])
        assert (headers["Cache-Control"], headers["Content-Type"]) == (IMMUTABLE, item["format"])
    original, _ = download(photo.file.url)
    with PILImage.open(io.BytesIO(original)) as picture:
        assert not picture.getexif().get_ifd(0x8825)  # no location left in what the store holds


def test_a_story_shows_its_cover_from_the_bucket(endpoint, bucket, client):
    cover = make_image()
    post = make_post("Photo story", slug="photo-story", cover=cover)
    page = client.get(post.get_absolute_url()).content.decode()
    for item in cover.renditions:
        assert f"{endpoint}/{bucket}/{item['name']}" in page


def test_a_deleted_photo_leaves_the_bucket(endpoint, bucket, django_capture_on_commit_callbacks):
    photo = make_image()
    assert keys_in(endpoint, bucket)
    with django_capture_on_commit_callbacks(execute=True):
        Image.objects.get(pk=photo.pk).delete()
    assert keys_in(endpoint, bucket) == set()


def test_the_same_photo_twice_is_stored_once(endpoint, bucket):
    data = photo_bytes(900, 600)
    first, second = make_image(data=data), make_image(data=data)
    assert first.file.name == second.file.name
    assert len(keys_in(endpoint, bucket)) == 1 + len(first.renditions)
