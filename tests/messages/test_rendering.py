"""Messages are stored as written and shown escaped; only http(s) addresses become links."""

import re

from marketplace.messages.text import linkify
from tests.messages.helpers import messages, open_as_owner, scene, send

HOSTILE = (
    "<script>alert('owned')</script> "
    '<img src=x onerror="alert(1)"> '
    "javascript:alert(document.cookie) "
    "[click](javascript:alert(1)) "
    "see https://docs.example.com/guide?a=1&b=2."
)


def test_script_and_javascript_links_render_inert_and_https_links_are_anchors(
    client, other_client, db_session
):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    assert send(client, cid, HOSTILE).status_code == 302
    (stored,) = messages(db_session, cid)
    assert stored.body == HOSTILE  # stored as written

    other_client.login_as(va)
    page = other_client.get(f"/messages/{cid}").get_data(as_text=True)
    polled = other_client.get(f"/messages/{cid}/poll?after=0").get_json()["messages"][0]["html"]
    for html in (page, polled):
        assert "<script>alert" not in html and "<img" not in html
        assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in html
        assert 'href="javascript:' not in html.lower()
        anchors = re.findall(r"<a [^>]*>", html[html.index("message-body") :])
        assert anchors == [
            '<a href="https://docs.example.com/guide?a=1&amp;b=2" '
            'rel="nofollow noopener" target="_blank">'
        ]


def test_linkify_keeps_only_http_and_https_and_trims_sentence_punctuation():
    assert str(linkify("(see https://x.example/a_(b)), ok")) == (
        '(see <a href="https://x.example/a_(b)" rel="nofollow noopener" target="_blank">'
        "https://x.example/a_(b)</a>), ok"
    )
    for text in ("data:text/html,<b>x</b>", "vbscript:msgbox", "ftp://x.example", "https://"):
        assert "<a " not in str(linkify(text))
    assert 'href="http://a.example/&#34;onmouseover' not in str(linkify('http://a.example/"x'))
    assert str(linkify('http://a.example/"onmouseover=x')).startswith(
        '<a href="http://a.example/" '
    )
    assert "xhttps://" in str(linkify("xhttps://glued.example")) and "<a" not in str(
        linkify("xhttps://glued.example")
    )
    long = "https://x.example/" + "a" * 200
    assert f'href="{long}"' in str(linkify(long)) and "…</a>" in str(linkify(long))
