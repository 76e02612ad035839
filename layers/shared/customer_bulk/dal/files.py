"""The files bucket: uploads, a job's chunk files and decision records, and the reports we write."""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from botocore.exceptions import ClientError

from customer_bulk.dal.clients import aws_client


class FileStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    @property
    def client(self) -> Any:
        """Built on first use and shared by the process (``aws_client``), so a bundle of stores costs nothing."""
        return aws_client("s3")

    def presigned_upload(self, key: str, prefix: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        """A browser-ready POST form whose policy pins the key prefix, the size and the expiry."""
        post = self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Conditions=[["starts-with", "$key", prefix], ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )
        return {"url": post["url"], "fields": post["fields"]}

    def size(self, key: str) -> int:
        return int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])

    def download(self, key: str, path: Path) -> None:
        self.client.download_file(self.bucket, key, str(path))

    def put_json_lines(self, key: str, records: Iterable[dict[str, Any]]) -> None:
        body = "".join(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n" for record in records)
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body.encode(), ContentType="application/x-ndjson")

    def read_json_lines(self, key: str) -> list[dict[str, Any]]:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode()
        return [json.loads(line) for line in body.splitlines() if line]

    def put_json(self, key: str, data: dict[str, Any], tags: dict[str, str] | None = None) -> None:
        """``tags`` become the object's tags, which lifecycle rules can expire it by."""
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        extra = {"Tagging": urlencode(tags)} if tags else {}
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json", **extra)

    def get_json(self, key: str) -> dict[str, Any] | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        data: dict[str, Any] = json.loads(body)
        return data

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        self.client.upload_file(str(path), self.bucket, key, ExtraArgs={"ContentType": content_type})

    def presigned_download(self, key: str, file_name: str, expires_in: int) -> str:
        disposition = f"attachment; filename*=UTF-8''{quote(file_name)}"
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentDisposition": disposition},
            ExpiresIn=expires_in,
        )
        return url

    def keys_under(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys

    def delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
