"""The console's second wave in a real headless chromium against the served app: templates
(apply after the dry run's diff, drift), pinning snapshots, point in time on the history
panel, imports in every format with their per-key report, service tokens and the audit
log. Screenshots of the templates and tokens screens go to docs/images/ (README)."""
from __future__ import annotations

from .test_console_browser import IMAGES

STRATEGY = "lazy_loading_unloading_strategy"
CACHE = "cache_size_limit"
MIB = 1 << 20


def _go(page, label: str, ready: str) -> None:
    page.get_by_role("link", name=label, exact=True).click()
    page.wait_for_url(f"**/console/{label.lower()}")
    page.locator(ready).first.wait_for()


def _diff(page) -> dict[str, tuple[str, str]]:
    rows = page.locator("#diff tbody tr.changed")
    return {row.get_attribute("data-key"): (row.locator(".old").inner_text(),
                                            row.locator(".new").inner_text())
            for row in rows.all()}


def test_a_template_is_applied_after_its_diff_and_its_drift_shows_later_changes(editor, console):
    assert console.api("PUT", f"/values/{STRATEGY}", json={"value": "CONSERVATIVE"}).ok
    _go(editor, "Templates", '#templates section[data-name="memory-constrained"]')
    assert editor.locator('#templates section[data-name="balanced"]').is_visible()
    editor.get_by_label("Template", exact=True).select_option("memory-constrained")
    editor.get_by_label("memory_budget").fill(str(512 * MIB))
    editor.get_by_role("button", name="Preview applying it").click()
    editor.locator("#diff tbody tr[data-key]").first.wait_for()
    dry = console.api("POST", "/templates/memory-constrained/apply",
                      json={"params": {"memory_budget": 512 * MIB}, "dry_run": True}).json()
    shown = _diff(editor)
    assert set(shown) == {d["key"] for d in dry["diff"]} and CACHE in shown
    assert shown[CACHE][1] == str(512 * MIB // 16)  # the template's value on the right
    assert shown[STRATEGY] == ("CONSERVATIVE", "AGGRESSIVE")
    assert console.value(STRATEGY) == "CONSERVATIVE"  # only a preview yet
    editor.screenshot(path=str(IMAGES / "console-templates.png"))
    editor.get_by_role("button", name="Apply", exact=True).click()
    editor.locator("#message").filter(has_text="Applied memory-constrained").wait_for()
    assert (console.value(STRATEGY), console.value(CACHE)) == ("AGGRESSIVE", 512 * MIB // 16)
    newest = console.api("GET", f"/values/{STRATEGY}/history?limit=1").json()["history"][0]
    assert (newest["action"], newest["user"]) == ("template", "alice")
    assert console.api("PUT", f"/values/{STRATEGY}", user="bob", json={"value": "BALANCED"}).ok
    editor.get_by_role("button", name="Show the drift").click()
    editor.locator("#diff-title").filter(has_text="1 keys drifted").wait_for()
    assert _diff(editor) == {STRATEGY: ("BALANCED", "AGGRESSIVE")}


def test_a_viewer_sees_templates_and_drift_but_no_apply(viewer):
    _go(viewer, "Templates", "#templates section")
    assert viewer.get_by_role("button", name="Preview applying it").count() == 0
    assert viewer.locator("#apply").count() == 0
    viewer.get_by_role("button", name="Show the drift").click()
    viewer.locator("#diff-title").wait_for()
    _fits_a_phone(viewer)


def _fits_a_phone(page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        page.set_viewport_size({"width": 1280, "height": 800})


def test_an_editor_pins_and_unpins_a_snapshot(editor, viewer, console):
    made = console.api("POST", "/snapshots", json={"description": "to keep"}).json()
    _go(editor, "Snapshots", f'#snapshots tbody tr[data-id="{made["id"]}"]')
    editor.get_by_role("button", name=f"Pin #{made['id']}").click()
    editor.get_by_role("button", name=f"Unpin #{made['id']}").wait_for()
    assert console.api("GET", f"/snapshots/{made['id']}").json()["pinned"] is True
    events = console.api("GET", "/audit").json()["events"]
    assert (events[0]["action"], events[0]["actor"]) == ("snapshot.pin", "alice")
    _go(viewer, "Snapshots", f'#snapshots tbody tr[data-id="{made["id"]}"]')
    assert viewer.get_by_role("button", name=f"Unpin #{made['id']}").count() == 0
    assert "pinned" in viewer.locator(f'#snapshots tbody tr[data-id="{made["id"]}"]').inner_text()
    editor.get_by_role("button", name=f"Unpin #{made['id']}").click()
    editor.get_by_role("button", name=f"Pin #{made['id']}").wait_for()
    assert console.api("GET", f"/snapshots/{made['id']}").json()["pinned"] is False


def test_an_admin_issues_a_token_sees_its_secret_once_and_revokes_it(admin, console):
    _go(admin, "Tokens", "#issue")
    admin.get_by_label("Name").fill("loader-eu1")
    admin.get_by_label("Role").select_option("viewer")
    admin.get_by_label("Key patterns").fill("lazy_loading_*")
    admin.get_by_label("Expires in days").fill("30")
    admin.get_by_role("button", name="Issue the token").click()
    secret = admin.get_by_role("textbox", name="The new token")
    secret.wait_for()
    token = secret.input_value()
    row = admin.locator("#tokens tbody tr", has_text="loader-eu1")
    assert "lazy_loading_*" in row.inner_text() and "live" in row.inner_text()
    admin.screenshot(path=str(IMAGES / "console-tokens.png"))
    as_token = {"Authorization": f"Bearer {token}"}
    whoami = console.api("GET", "/auth/whoami", headers=as_token).json()
    assert (whoami["name"], whoami["role"], whoami["keys"]) == ("loader-eu1", "viewer",
                                                                ["lazy_loading_*"])
    admin.get_by_role("button", name="I have copied it").click()
    assert secret.is_hidden() and token not in admin.content()  # shown once
    admin.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke loader-eu1").click()
    row.filter(has_text="revoked").wait_for()
    deadline_ok = False
    for _ in range(20):  # refused on every process within a second
        if console.api("GET", "/auth/whoami", headers=as_token).status_code == 401:
            deadline_ok = True
            break
        admin.wait_for_timeout(100)
    assert deadline_ok


def test_the_audit_log_is_paged_newest_first(admin, viewer, console):
    for n in range(50):  # a page is 50 events: these and the token's make two pages
        assert console.api("POST", "/tokens/revoke", json={"jti": f"audit-page-{n}"}).ok
    total = console.api("GET", "/audit").json()["total"]
    _go(admin, "Audit", "#audit tbody tr[data-id]")
    first = admin.locator("#audit tbody tr[data-id]")
    assert first.count() == 50 and "audit-page-49" in first.first.inner_text()
    assert admin.locator("#page-of").inner_text() == f"Page 1 of {-(-total // 50)} ({total} events)"
    admin.get_by_role("button", name="Older events").click()
    admin.locator("#page-of").filter(has_text="Page 2").wait_for()
    assert "token.issue" in admin.locator("#audit tbody").inner_text()
    assert admin.get_by_role("button", name="Newer events").is_enabled()
    _fits_a_phone(admin)
    assert viewer.get_by_role("link", name="Tokens").count() == 0
    viewer.goto(f"{console.url}/console/tokens")
    assert "needs the admin role" in viewer.locator("main").inner_text()
    viewer.goto(f"{console.url}/console/values")


def test_the_history_shows_a_past_revision_and_restores_it_after_a_preview(editor, viewer, console):
    assert console.api("PUT", f"/values/{STRATEGY}", json={"value": "CONSERVATIVE"}).ok
    then = console.api("GET", "/status").json()["revision"]
    assert console.api("PUT", f"/values/{STRATEGY}", user="bob", json={"value": "BALANCED"}).ok
    _go(editor, "History", f'#changes tbody tr[data-revision="{then + 1}"]')
    editor.get_by_role("button", name=f"View r{then}", exact=True).click()
    editor.locator("#diff-title").filter(has_text=f"at revision {then}").wait_for()
    assert _diff(editor)[STRATEGY] == ("BALANCED", "CONSERVATIVE")
    assert editor.locator("#restore").is_hidden()  # viewing is not restoring
    editor.get_by_role("button", name=f"Restore to r{then}", exact=True).click()
    editor.locator("#diff-title").filter(has_text=f"Restoring revision {then}").wait_for()
    dry = console.api("POST", "/restore", json={"at_revision": then, "dry_run": True}).json()
    assert set(_diff(editor)) == {d["key"] for d in dry["diff"]} == {STRATEGY}
    assert console.value(STRATEGY) == "BALANCED"  # only a preview
    editor.get_by_role("button", name="Restore these values").click()
    editor.locator("#message").filter(has_text=f"Restored revision {then}").wait_for()
    assert console.value(STRATEGY) == "CONSERVATIVE"
    newest = console.api("GET", f"/values/{STRATEGY}/history?limit=1").json()["history"][0]
    assert (newest["action"], newest["user"]) == ("restore", "alice")
    _go(viewer, "History", "#changes tbody tr")
    assert viewer.get_by_role("button", name=f"Restore to r{then}").count() == 0
    assert viewer.get_by_role("button", name="Preview restoring it").count() == 0
    viewer.get_by_role("spinbutton", name="Revision").fill(str(then))
    viewer.get_by_role("spinbutton", name="Revision").press("Enter")  # the keyboard's way to view it
    viewer.locator("#diff-title").filter(has_text=f"at revision {then}").wait_for()


def test_an_env_file_is_previewed_key_by_key_then_imported(admin, console):
    assert console.api("PUT", "/values/load_timeout", json={"value": 30.0}).ok
    _go(admin, "Import", "#import")
    admin.get_by_label("Format").select_option("env")
    admin.get_by_label("File contents").fill(
        "LAZYCONFIG_LOAD_TIMEOUT=45\nLAZYCONFIG_STRAY_SETTING=1\nmax_concurrent_loads="
        f"{console.value('max_concurrent_loads')}\n")
    admin.get_by_role("button", name="Preview the import").click()
    admin.locator("#diff tbody tr[data-status]").first.wait_for()
    shown = {row.locator("th").inner_text(): row.locator(".status").inner_text()
             for row in admin.locator("#diff tbody tr[data-status]").all()}
    assert shown == {"LAZYCONFIG_LOAD_TIMEOUT": "applied", "LAZYCONFIG_STRAY_SETTING": "unknown key",
                     "max_concurrent_loads": "unchanged"}
    assert console.value("load_timeout") == 30.0  # only a preview
    _fits_a_phone(admin)
    admin.get_by_role("button", name="Import", exact=True).click()
    admin.locator("#message").filter(has_text="Imported: 1 keys changed").wait_for()
    assert console.value("load_timeout") == 45.0
    newest = console.api("GET", "/values/load_timeout/history?limit=1").json()["history"][0]
    assert (newest["action"], newest["user"]) == ("import", "ada")
