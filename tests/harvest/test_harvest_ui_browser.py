"""A harvest's progress updates on the source page as the run goes, without reloading."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

DUMP = Path(__file__).resolve().parents[2] / "fixtures" / "harvest" / "stackexchange" / "hearthlink"


def test_progress_is_live(db, admin_user, browser_page, settings):
    from playwright.sync_api import expect

    from harvest.models import HarvestRun
    from harvest.services import source_create

    settings.HARVEST_DUMP_DIRS = [DUMP.parent]
    source = source_create(name="Hearthlink SE", kind="stackexchange", path=str(DUMP))
    run = HarvestRun.objects.create(source=source, new_count=3)
    page = browser_page
    page.goto(f"/accounts/login/?next=/harvest/{source.slug}/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("correct horse battery 9")
    page.get_by_role("button", name="Log in").click()
    counts = page.locator('[data-field="counts"]')
    expect(counts).to_contain_text("3 new")
    expect(page.locator('[data-field="bar"]')).to_be_visible()

    HarvestRun.objects.filter(pk=run.pk).update(new_count=40, failed_count=2)
    expect(counts).to_contain_text("40 new")
    HarvestRun.objects.filter(pk=run.pk).update(status="partial", message="2 item(s) could not be read; see the errors")
    expect(page.locator('[data-field="summary"]')).to_contain_text("Finished with errors")
    expect(page.locator('[data-field="message"]')).to_have_text("2 item(s) could not be read; see the errors")
    expect(page.locator('[data-field="bar"]')).to_be_hidden()
