"""Files in messages: each accepted kind goes through and comes back byte for byte to either
party; refused kinds, renamed programs, files over the limit and too many files get a clear
message and leave no row and no file behind; odd names are stored safely."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from marketplace.messages import file_types
from tests.messages import files
from tests.messages.attachment_helpers import attachments_of, counts, send_files, stored_files
from tests.messages.helpers import open_as_owner, scene, stranger_client

INVOICE = files.pdf()


def conversation(client, other_client, db_session):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    other_client.login_as(va)
    return cid, owner, va


def download_link(page_html: str) -> str:
    match = re.search(r'href="(/messages/files/\d+)"', page_html)
    assert match, "no download link on the page"
    return match.group(1)


def test_a_file_reaches_the_other_party_and_downloads_byte_for_byte(
    app, client, other_client, db_session
):
    cid, owner, va = conversation(client, other_client, db_session)
    sent = send_files(other_client, cid, "Here is November's invoice.", (INVOICE, "invoice.pdf"))
    assert sent.status_code == 302

    page = client.get(f"/messages/{cid}").get_data(as_text=True)
    assert "Here is November&#39;s invoice." in page and "invoice.pdf" in page
    link = download_link(page)
    for party in (client, other_client):
        response = party.get(link, buffered=True)
        assert response.status_code == 200
        assert response.data == INVOICE
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "invoice.pdf" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert "no-store" in response.headers["Cache-Control"]
    (attachment,) = attachments_of(db_session, cid)
    assert attachment.filename == "invoice.pdf" and attachment.size_bytes == len(INVOICE)
    assert re.fullmatch(r"[0-9a-f]{32}", attachment.storage_key)  # never the user's name


def test_strangers_and_visitors_cannot_download(app, client, other_client, db_session):
    cid, owner, va = conversation(client, other_client, db_session)
    send_files(client, cid, "The bank statement", (INVOICE, "statement.pdf"))
    link = download_link(client.get(f"/messages/{cid}").get_data(as_text=True))

    stranger = stranger_client(app, db_session)
    response = stranger.get(link)
    assert response.status_code == 404 and response.data != INVOICE
    assert stranger.get("/messages/files/999999").status_code == 404
    other_assistant = stranger_client(app, db_session)
    assert other_assistant.get(link).status_code == 404

    client.logout()
    visitor = client.get(link)
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]


@pytest.mark.parametrize(
    "data, name, content_type",
    [
        (files.png(), "receipt.png", "image/png"),
        (files.jpeg(), "photo.JPG", "image/jpeg"),
        (files.gif(), "logo.gif", "image/gif"),
        (files.webp(), "banner.webp", "image/webp"),
        (
            files.docx(),
            "contract.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            files.xlsx(),
            "budget.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (files.odt(), "notes.odt", "application/vnd.oasis.opendocument.text"),
        (files.csv(), "expenses.csv", "text/csv"),
        (b"Call the bank at 9.\n", "todo.txt", "text/plain"),
    ],
)
def test_each_accepted_kind_goes_through(
    client, other_client, db_session, data, name, content_type
):
    cid, owner, va = conversation(client, other_client, db_session)
    assert send_files(client, cid, "", (data, name)).status_code == 302  # a file alone is fine
    (attachment,) = attachments_of(db_session, cid)
    response = other_client.get(f"/messages/files/{attachment.id}", buffered=True)
    assert response.data == data and response.mimetype == content_type
    inbox = other_client.get("/messages").get_data(as_text=True)
    assert "Sent a file" in inbox


@pytest.mark.parametrize(
    "data, name, says",
    [
        (files.exe(), "setup.exe", "“setup.exe” is not a kind of file we accept"),
        (files.exe(), "invoice.pdf", "“invoice.pdf” is not a PDF inside"),
        (files.exe(), "photo.png", "“photo.png” is not a PNG image inside"),
        (b"<html><script>alert(1)</script></html>", "page.html", "is not a kind of file"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg", "is not a kind of file"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.png", "is not a PNG image inside"),
        (files.plain_zip(), "contract.docx", "is not a Word document inside"),
        (files.docx(), "sheet.xlsx", "is not an Excel workbook inside"),
        (files.exe(), "notes.txt", "is not a plain text file inside"),
        (b"\xff\xfe\x00bad", "data.csv", "is not a CSV file inside"),
        (b"", "empty.pdf", "“empty.pdf” is empty"),
        (INVOICE, "no-extension", "is not a kind of file we accept"),
    ],
)
def test_refused_files_get_a_clear_message_and_store_nothing(
    app, client, other_client, db_session, data, name, says
):
    cid, owner, va = conversation(client, other_client, db_session)
    before, on_disk = counts(db_session), stored_files(app)
    response = send_files(client, cid, "Please see attached", (INVOICE, "good.pdf"), (data, name))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert says in page
    assert "Please see attached</textarea>" in page  # what was typed is kept
    assert counts(db_session) == before
    assert stored_files(app) == on_disk

    as_json = send_files(client, cid, "Again", (data, name), headers={"Accept": "application/json"})
    assert as_json.status_code == 422
    assert says in as_json.json["message"] and as_json.json["field"] == "files"
    assert counts(db_session) == before and stored_files(app) == on_disk


def test_limits_on_size_and_count_are_clear_and_store_nothing(
    app, client, other_client, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 2 * 1024 * 1024)
    monkeypatch.setitem(app.config, "ATTACHMENTS_PER_MESSAGE", 3)
    cid, owner, va = conversation(client, other_client, db_session)
    before, on_disk = counts(db_session), stored_files(app)

    too_big = files.pdf() + b"0" * (2 * 1024 * 1024)
    response = send_files(client, cid, "The scans", (too_big, "scans.pdf"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "“scans.pdf” is 2.0 MB; each file can be at most 2 MB." in page
    assert "up to 3 per message, each at most 2 MB" in page  # said before anyone tries

    four = [(INVOICE, f"part-{n}.pdf") for n in range(4)]
    response = send_files(client, cid, "All parts", *four)
    assert response.status_code == 422
    assert "Attach at most 3 files to one message; you chose 4." in response.get_data(as_text=True)
    assert counts(db_session) == before and stored_files(app) == on_disk

    exactly = files.pdf() + b"0" * (2 * 1024 * 1024 - len(files.pdf()))
    assert send_files(client, cid, "Just fits", (exactly, "fits.pdf")).status_code == 302
    assert len(stored_files(app) - on_disk) == 1


def test_a_body_over_the_request_limit_gets_a_page_that_says_why(
    app, client, other_client, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1024 * 1024)
    monkeypatch.setitem(app.config, "ATTACHMENTS_PER_MESSAGE", 1)
    cid, owner, va = conversation(client, other_client, db_session)
    before, on_disk = counts(db_session), stored_files(app)
    huge = files.pdf() + b"0" * (3 * 1024 * 1024)

    response = send_files(client, cid, "Huge", (huge, "huge.pdf"))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The files are too large to send: each can be at most 1 MB" in page
    assert "<!doctype html>" in page.lower()  # the site's page, not a bare error

    as_json = send_files(
        client, cid, "Huge", (huge, "huge.pdf"), headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 413
    assert "too large to send" in as_json.json["message"]
    assert counts(db_session) == before and stored_files(app) == on_disk

    # Other forms keep the small general limit, with a page that says so.
    other = client.post("/messages/start", {"task_id": "1", "assistant_id": "x" * 2_000_000})
    assert other.status_code == 413
    assert "larger than this form accepts" in other.get_data(as_text=True)


@pytest.mark.parametrize(
    "sent_as, shown",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("inv\u202eoice\u200b.pdf", "invoice.pdf"),  # a right-to-left override, a zero-width
        ("bell\x07and\ttab.pdf", "bellandtab.pdf"),
        ("Résumé – 日本語 “final”.pdf", "Résumé – 日本語 “final”.pdf"),
        ("ＡＢ／ｃｄ.pdf", "cd.pdf"),  # full-width letters and slash fold to plain ones
        ("...pdf", "pdf"),
    ],
)
def test_odd_names_are_stored_safely(client, other_client, db_session, sent_as, shown):
    cid, owner, va = conversation(client, other_client, db_session)
    response = send_files(client, cid, "Named oddly", (INVOICE, sent_as))
    if shown == "pdf":
        # Only dots before it: no name, so no extension either; refused, with a message.
        assert response.status_code == 422
        assert "“pdf” is not a kind of file we accept" in response.get_data(as_text=True)
        return
    assert response.status_code == 302
    (attachment,) = attachments_of(db_session, cid)
    assert attachment.filename == shown
    download = other_client.get(f"/messages/files/{attachment.id}", buffered=True)
    disposition = download.headers["Content-Disposition"]
    assert "/" not in disposition and "\\" not in disposition and "\u202e" not in disposition
    encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    offered = (
        unquote(encoded.group(1)) if encoded else re.search(r"filename=(\S+)", disposition).group(1)
    )
    assert offered.strip('"') == shown


@pytest.mark.parametrize(
    "raw, clean",
    [
        # Werkzeug unquotes backslashes in the header before the app sees a name, so the
        # Windows path of an old browser is checked here, on the function itself.
        ("C:\\Users\\dana\\Desktop\\report.pdf", "report.pdf"),
        ("..\\..\\boot.ini.pdf", "boot.ini.pdf"),
        # Quotes would end the Content-Disposition value; the others upset Windows.
        ('a"b<c>d|e?.pdf', "a_b_c_d_e_.pdf"),
        ("  spaced   out  .pdf ", "spaced out .pdf"),
        ("x" * 200 + "." + "y" * 30, "x" * 120),
        ("", "file"),
        (None, "file"),
    ],
)
def test_clean_name(raw, clean):
    assert file_types.clean_name(raw) == clean


def test_a_very_long_name_is_cut_but_keeps_its_extension(client, other_client, db_session):
    cid, owner, va = conversation(client, other_client, db_session)
    assert send_files(client, cid, "", (INVOICE, "q" * 300 + ".pdf")).status_code == 302
    (attachment,) = attachments_of(db_session, cid)
    assert len(attachment.filename) == 120 and attachment.filename.endswith("….pdf")


def test_a_refused_post_after_storing_leaves_no_file(
    app, client, other_client, db_session, monkeypatch
):
    """The files are stored before the sender's rate limit is checked (no lock held while
    uploading); a post refused there removes them again."""
    monkeypatch.setitem(app.config, "MESSAGE_POST_LIMITS", "1 per minute")
    cid, owner, va = conversation(client, other_client, db_session)
    assert send_files(client, cid, "First", (INVOICE, "one.pdf")).status_code == 302
    before, on_disk = counts(db_session), stored_files(app)
    response = send_files(client, cid, "Second", (INVOICE, "two.pdf"))
    assert response.status_code == 429
    assert "Second</textarea>" in response.get_data(as_text=True)
    assert counts(db_session) == before and stored_files(app) == on_disk
