"""Steps for the Content-Security-Policy (site_project/settings.py, CONTENT_SECURITY_POLICY).

Firefox reports every blocked resource as a ``securitypolicyviolation`` event. The steps
record them from the moment they first look (a listener added once per page: what the
page's script and the admin's do afterwards is covered), check the site's stylesheet is
in force, and inject an inline script to prove the policy is enforced, not merely sent.
"""
from __future__ import annotations

from lettuce import step, world
from tests.http import fetch

LISTEN = """
if (!window.__cspViolations) {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
  });
}
return window.__cspViolations;
"""
INJECT = """
const script = document.createElement("script");
script.textContent = "window.__injectedRan = true;";
document.body.append(script);
"""


def violations() -> list[str]:
    return list(world.browser.execute_script(LISTEN))


@step(r'^the page "([^"]*)" carries the same Content-Security-Policy from the cache as from Django$')
def same_policy(step, path):
    hit = fetch(world.base_url, path)
    assert hit.header("X-Cache") == "HIT", f"{path}: X-Cache {hit.header('X-Cache')}"
    policy = hit.header("Content-Security-Policy") or ""
    assert "script-src 'self'" in policy and "style-src 'self'" in policy, policy
    # An editor's request is rendered by Django: the very same policy.
    rendered = fetch(world.base_url, path, headers={"Cookie": "sessionid=not-a-session"})
    assert rendered.header("X-Cache") != "HIT"
    assert rendered.header("Content-Security-Policy") == policy


@step(r"^an inline script injected into the page does not run$")
def inline_script_blocked(step):
    violations()  # start listening
    world.browser.execute_script(INJECT)
    ran = world.browser.execute_script("return window.__injectedRan === true;")
    assert not ran, "an inline script ran: the policy is not enforced"
    blocked = world.browser.execute_script("return window.__cspViolations;")
    assert any(entry.startswith("script-src") for entry in blocked), blocked
    world.browser.execute_script("window.__cspViolations.length = 0;")  # only ours so far


@step(r"^the browser reported no blocked script or style of the site's own$")
def nothing_of_ours_blocked(step):
    # Recorded since the listener was added (the injected script's report was cleared).
    blocked = violations()
    assert not blocked, f"the policy blocked: {blocked}"
    sheets = world.browser.execute_script(
        "return Array.from(document.styleSheets).filter(s => s.cssRules.length > 0).length;")
    assert sheets >= 1, "no stylesheet of the site's own is in force"
