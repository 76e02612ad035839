"""The links a person follows to our files (reports and exports), in emails and in the API's answers.

They point at the stack's own download route with a signed token (docs/adr/0008), so they work for the stated
lifetime whatever credentials made them. A link's lifetime counts from when its file was written, so the link in
the email and the one in ``GET /imports/{id}`` are the same link."""

from datetime import datetime, timedelta

from customer_bulk.download_links import Download, ExpiredLink, InvalidLink, link, make_token, read_token
from customer_bulk.ports import Stores
from customer_bulk.settings import get_settings

# A redirect's presigned GET only has to last until the browser follows it.
REDIRECT_TTL_S = 300


def file_link(stores: Stores, api_url: str, tenant_id: str, key: str, file_name: str, written_at: datetime) -> str:
    expires_at = written_at + timedelta(seconds=get_settings().report_url_ttl_s)
    return link(api_url, make_token(stores.signing_key(), Download(tenant_id, key, file_name, expires_at)))


def redirect_for(stores: Stores, token: str, now: datetime) -> str:
    """The short-lived S3 address a valid token leads to; ``InvalidLink`` or ``ExpiredLink`` otherwise."""
    download = read_token(stores.signing_key(), token, now)
    return stores.files.presigned_download(download.key, download.file_name, REDIRECT_TTL_S)


__all__ = ["ExpiredLink", "InvalidLink", "file_link", "redirect_for"]
