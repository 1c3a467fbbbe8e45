"""A page whose widget code failed to load (it opened while the server restarted) reloads itself once the
server answers, and then shows its widgets (ui/recover.py). The failure is made by refusing the checkbox's
code to the page's first load only."""
import time

import pytest

from ui.recover import FAILED

pytestmark = pytest.mark.e2e


def test_a_page_whose_widget_code_failed_reloads_and_shows_it(playwright_browser, app_url):
    page = playwright_browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    refused, loads = [], []
    page.on("load", lambda _: loads.append(time.time()))

    def refuse_once(route):
        if not refused:
            refused.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/static/js/Checkbox.*.js", refuse_once)
    page.goto(app_url + "class")
    page.get_by_text(FAILED).first.wait_for(timeout=120_000)  # the broken page, as after a restart
    page.locator('[data-testid="stCheckbox"]').first.wait_for(timeout=60_000)  # after its own reload
    assert refused and len(loads) >= 2
    assert not page.get_by_text(FAILED).count()
    page.context.close()
