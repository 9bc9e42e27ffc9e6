"""Markdown → sanitised HTML: what survives and, above all, what never does."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aizuchi.storefront.selectors.blog import excerpt
from aizuchi.storefront.services.blog import ALLOWED_TAGS, LINK_REL, render_markdown, sanitize_html

ALLOWED_ATTRIBUTES = {"a": {"href", "title", "rel"}, "ol": {"start"}}
SAFE_SCHEMES = ("http://", "https://", "mailto:")


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def assert_safe(output: str) -> None:
    """Only allowlisted tags and attributes; links only to http(s)/mailto, always with rel."""
    parser = _Collect()
    parser.feed(output)
    parser.close()
    for tag, attrs in parser.elements:
        assert tag in ALLOWED_TAGS, (tag, output)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, output)
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()), (tag, name, output)
            if name == "href":
                assert value.strip().lower().startswith(SAFE_SCHEMES), (value, output)
            if name == "start":
                assert value.isdigit(), output
        if tag == "a":
            assert attrs.get("rel") == LINK_REL, output
    lowered = output.lower()
    # Nothing that a browser would treat as markup beyond the allowlist.
    for marker in ("<script", "<img", "<iframe", "<svg", "<style", "<object", "<embed", "<form"):
        assert marker not in lowered, (marker, output)
    # No dangerous URL in any attribute (text may mention "javascript:" harmlessly, escaped).
    for _tag, attrs in parser.elements:
        for value in attrs.values():
            unescaped = html.unescape(value or "").lower().replace("\t", "").replace("\n", "")
            for scheme in ("javascript:", "vbscript:", "data:", "file:"):
                assert scheme not in unescaped, (value, output)


XSS_MARKDOWN = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "text <script>alert(1)</script> more",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<div onmouseover="alert(1)">hover</div>',
    "<iframe src=https://evil.example></iframe>",
    "<svg/onload=alert(1)>",
    "<style>body{display:none}</style>",
    "<!-- comment --><b>bold html</b>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](javascript&colon;alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](java%0ascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](file:///etc/passwd)",
    "[click](//evil.example/)",
    "[click](/relative/path)",
    '[click](https://ok.example "title\\" onmouseover=\\"alert(1))',
    "![img](https://example.com/a.png)",
    "![img](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "[ref][r]\n\n[r]: data:text/html,hi",
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "    <script>alert(1)</script>",
    "> <script>alert(1)</script>\n> [x](javascript:alert(1))",
    "- <img src=x onerror=alert(1)>\n- [y](javascript:alert(1))",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "**<img src=x onerror=alert(1)>**",
    "*[x](javascript:alert(1))*",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "[a](https://ok.example/?q=<script>alert(1)</script>)",
    '<https://ok.example/"onmouseover="alert(1)>',
    '<input autofocus onfocus="alert(1)">',
    "# <script>alert(1)</script>",
    "1. x\n\n2000000000000. y",
]

XSS_HTML = [
    "<script>alert(1)</script>safe",
    '<p onclick="alert(1)">p</p>',
    '<a href="javascript:alert(1)">a</a>',
    '<a href="JAVASCRIPT:alert(1)">a</a>',
    '<a href="java&#x09;script:alert(1)">a</a>',
    '<a href="data:text/html,<script>alert(1)</script>">a</a>',
    '<a href="/relative">a</a>',
    '<a href="https://ok.example" target="_blank" rel="opener">a</a>',
    '<img src="x" onerror="alert(1)">',
    '<p style="background:url(javascript:alert(1))">p</p>',
    '<h1 id="x" class="y">h1 is not allowed</h1>',
    "<h5>h5 is not allowed</h5>",
    '<ol start="1 onclick=alert(1)"><li>x</li></ol>',
    "<svg><script>alert(1)</script></svg>",
    "<table><tr><td>no tables</td></tr></table>",
    '<code class="language-js" onmouseover="x">c</code>',
]


@pytest.mark.parametrize("source", XSS_MARKDOWN)
def test_nothing_dangerous_survives_markdown(source):
    assert_safe(render_markdown(source))


@pytest.mark.parametrize("fragment", XSS_HTML)
def test_the_sanitiser_alone_keeps_only_the_allowlist(fragment):
    assert_safe(sanitize_html(fragment))


def test_raw_html_in_markdown_is_shown_as_text():
    out = render_markdown('<b onclick="x">hi</b>')
    assert "&lt;b onclick=" in out
    assert "<b" not in out


def test_script_content_is_dropped_by_the_sanitiser():
    assert sanitize_html("<script>alert(1)</script>safe") == "safe"


def test_links_keep_safe_urls_and_get_rel():
    out = render_markdown(
        "[web](https://example.com/a?b=1&c=2) [plain](http://example.com) "
        "[mail](mailto:hello@example.com) <https://auto.example/>"
    )
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener ugc">web</a>' in out
    assert 'href="http://example.com"' in out
    assert 'href="mailto:hello@example.com"' in out
    assert 'href="https://auto.example/"' in out
    assert out.count('rel="nofollow noopener ugc"') == 4


def test_bare_urls_are_not_linkified():
    assert "<a" not in render_markdown("see https://example.com today")


def test_markdown_basics_render():
    out = render_markdown(
        "# One\n\n## Two\n\n###### Six\n\n*em* **strong** `code`\n\n"
        "> quote\n\n- a\n- b\n\n3. c\n\n---\n\nline  \nbreak\n\n```\npre\n```"
    )
    assert "<h2>One</h2>" in out  # the page owns h1
    assert "<h3>Two</h3>" in out
    assert "<h4>Six</h4>" in out
    for piece in (
        "<em>em</em>",
        "<strong>strong</strong>",
        "<code>code</code>",
        "<blockquote>",
        "<ul>",
        '<ol start="3">',
        "<hr>",
        "<br>",
        "<pre><code>pre",
    ):
        assert piece in out, piece
    assert "<h1" not in out
    assert "<h5" not in out
    assert "<h6" not in out


def test_images_become_links_not_images():
    out = render_markdown("![a cat](https://example.com/cat.png)")
    assert "<img" not in out
    assert '<a href="https://example.com/cat.png"' in out


def test_excerpt_is_plain_text_without_entities_or_tags():
    out = excerpt(render_markdown("## Hi\n\nA & B <script>x</script> **bold**"))
    assert out == "Hi A & B <script>x</script> bold"
    assert len(excerpt(render_markdown("あ" * 500))) <= 140


_PIECES = st.sampled_from(
    [
        "<",
        ">",
        "script",
        "img",
        "a",
        " ",
        "\n",
        "\t",
        "=",
        '"',
        "'",
        "(",
        ")",
        "[",
        "]",
        "!",
        "`",
        "*",
        "#",
        "-",
        ">",
        ":",
        "/",
        "&",
        "#x6a;",
        "javascript:",
        "data:",
        "vbscript:",
        "https://ok.example",
        "onerror",
        "onclick",
        "alert(1)",
        "&#106;",
        "%0a",
        "<!--",
        "-->",
        "\\",
        "style",
        "href",
        "src",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_any_mix_of_dangerous_pieces_renders_safe(source):
    assert_safe(render_markdown(source))
    assert_safe(sanitize_html(source))


@pytest.mark.parametrize(
    "bad",
    [
        "<script>x</script>",
        '<a href="javascript:alert(1)" rel="nofollow noopener ugc">x</a>',
        '<a href="https://ok.example">no rel</a>',
        '<p onclick="x">p</p>',
        '<img src="https://ok.example/a.png">',
        '<a href="data:text/html,x" rel="nofollow noopener ugc">x</a>',
    ],
)
def test_the_safety_check_itself_catches_dangerous_output(bad):
    with pytest.raises(AssertionError):
        assert_safe(bad)
