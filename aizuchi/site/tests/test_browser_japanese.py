"""Every main page, read in Japanese in a real Chromium, shows no untranslated word.

The tour (aizuchi.site.tour) walks the demo data as a visitor, the demo customer, the demo
provider and staff. On each page the visible text, the placeholders, the labels read out
to screen readers and the title are checked for Latin-script words outside a short list of
names (Aizuchi, YouTube …): one English UI word fails the test, naming page and word.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from aizuchi.core.testing import in_worker
from aizuchi.site import demo, tour

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What a reader meets besides the text: placeholders, screen-reader labels, tooltips, title.
# The time-zone list (hundreds of place names in the zone database's spelling) is left out.
READ_PAGE = """() => {
  const zones = [...document.querySelectorAll('select[name=time_zone]')];
  zones.forEach((el) => { el.dataset.display = el.style.display; el.style.display = 'none'; });
  const seen = [document.title, document.body.innerText];
  zones.forEach((el) => { el.style.display = el.dataset.display; });
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], img[alt]')) {
    if (el.closest('[hidden]')) continue;
    for (const name of ['placeholder', 'aria-label', 'title', 'alt']) {
      if (el.hasAttribute(name)) seen.push(el.getAttribute(name));
    }
  }
  return seen.join('\\n');
}"""


def _context(browser, base_url: str, who: str):
    context = browser.new_context(
        locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1200, "height": 900}
    )
    page = context.new_page()
    if who != tour.ANONYMOUS:
        page.goto(base_url + "/accounts/login/")
        page.locator("input[name=login]").fill(tour.EMAILS[who])
        page.locator("input[name=password]").fill(demo.DEMO_PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page.locator("details.dropdown summary")).to_be_visible()
    return page


def test_every_main_page_is_in_japanese(asgi_server, browser):
    # In a worker thread: the pushes seed_demo's services send need a thread without a loop.
    in_worker(
        lambda: call_command(
            "seed_demo", "--providers", "6", "--customers", "4", stdout=io.StringIO()
        )
    )
    stops = tour.stops()
    assert len(stops) >= 30
    pages = {}
    problems = []
    for stop in stops:
        if stop.who not in pages:
            pages[stop.who] = _context(browser, asgi_server.url, stop.who)
        page = pages[stop.who]
        response = page.goto(asgi_server.url + stop.path)
        assert response is not None
        assert response.status == 200, f"{stop.name} ({stop.path}): {response.status}"
        assert page.locator("html").get_attribute("lang") == "ja", stop.name
        words = tour.untranslated_words(page.evaluate(READ_PAGE))
        if words:
            problems.append(f"{stop.name} ({stop.path}): {sorted(set(words))}")
    for page in pages.values():
        page.context.close()
    assert not problems, "English on Japanese pages:\n" + "\n".join(problems)


def test_the_check_catches_an_english_word():
    # The detector itself: a UI word is caught, names and data are not.
    assert tour.untranslated_words("保存 Save する") == ["Save"]
    assert tour.untranslated_words("Aizuchi の HSP と YouTube") == []
    assert tour.untranslated_words("customer@aizuchi.example / yuki_0312 / INV-000012") == []
    assert tour.untranslated_words("時刻は Asia/Tokyo で表示") == []
    assert tour.untranslated_words("聞き上手のはるか · chat · 完了") == ["chat"]
