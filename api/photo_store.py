"""Where the photos' bytes live: files under `data_dir/photos`, or an S3-compatible bucket (AWS S3, MinIO, R2, ...)
when RETURNFLOW_PHOTO_S3_ENDPOINT is set. Both answer the same: put bytes under a key, get them back or None.

Keys are `<merchant id>/<photo id>` (db/photos.storage_key); the photos are stored already cleaned (api/photo_files).
The calls block: run them off the event loop.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from fastapi import Request

from settings import Settings

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*/[A-Za-z0-9][A-Za-z0-9_.:-]*$")


class PhotoStoreUnavailable(Exception):
    """The store did not take or give the bytes (the bucket unreachable or refusing, the disk full): retry later."""


class PhotoStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


def _checked(key: str) -> str:
    """Ids only (no "/" inside, no "..", no leading dot): a key never leaves its folder or the bucket's prefix."""
    if not KEY_PATTERN.fullmatch(key):
        raise ValueError(f"not a photo key: {key!r}")
    return key


class LocalPhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.root / _checked(key)
        # Written aside and renamed: a reader never sees half a photo.
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        except OSError as err:
            raise PhotoStoreUnavailable(str(err)) from err
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException as err:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(err, OSError):
                raise PhotoStoreUnavailable(str(err)) from err
            raise

    def get(self, key: str) -> bytes | None:
        path = self.root / _checked(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise PhotoStoreUnavailable(str(err)) from err

    def delete(self, key: str) -> None:
        try:
            (self.root / _checked(key)).unlink(missing_ok=True)
        except OSError as err:
            raise PhotoStoreUnavailable(str(err)) from err


class S3PhotoStore:
    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str) -> None:
        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region,
            # Path-style works with every S3-compatible server; retries for the odd dropped connection.
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )

    def put(self, key: str, data: bytes, content_type: str) -> None:
        key = _checked(key)
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        except (BotoCoreError, ClientError) as err:
            raise PhotoStoreUnavailable(type(err).__name__) from err

    def get(self, key: str) -> bytes | None:
        key = _checked(key)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            return answer["Body"].read()
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise PhotoStoreUnavailable(type(err).__name__) from err
        except BotoCoreError as err:
            raise PhotoStoreUnavailable(type(err).__name__) from err

    def delete(self, key: str) -> None:
        key = _checked(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)  # S3 answers the same for a key it never had
        except (BotoCoreError, ClientError) as err:
            raise PhotoStoreUnavailable(type(err).__name__) from err


def photo_store_for(settings: Settings) -> PhotoStore:
    """The S3 store when its endpoint is set (with bucket and keys, else ValueError), else the local folder."""
    if not settings.photo_s3_endpoint:
        return LocalPhotoStore(settings.data_dir.resolve() / "photos")
    missing = [
        name
        for name, value in (
            ("RETURNFLOW_PHOTO_S3_BUCKET", settings.photo_s3_bucket),
            ("RETURNFLOW_PHOTO_S3_ACCESS_KEY", settings.photo_s3_access_key),
            ("RETURNFLOW_PHOTO_S3_SECRET_KEY", settings.photo_s3_secret_key.get_secret_value()),
        )
        if not value
    ]
    if missing:
        raise ValueError(f"RETURNFLOW_PHOTO_S3_ENDPOINT is set, so {', '.join(missing)} must be too")
    return S3PhotoStore(
        settings.photo_s3_endpoint,
        settings.photo_s3_bucket,
        settings.photo_s3_access_key,
        settings.photo_s3_secret_key.get_secret_value(),
        settings.photo_s3_region,
    )


def get_photo_store(request: Request) -> PhotoStore:
    """The app's one store, made on first use (a boto3 client is slow to make and safe to share)."""
    store = getattr(request.app.state, "photo_store", None)
    if store is None:
        store = request.app.state.photo_store = photo_store_for(request.app.state.settings)
    return store
