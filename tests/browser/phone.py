"""What a phone screen must give a thumb (issue 8): tap targets of at least 44×44 CSS px, and no page wider than
the screen. Measured in the browser, on what is visible."""
import os

MIN_TAP = 44

_SMALL_TAP_TARGETS = """min => [...document.querySelectorAll(
    'a[href], button, select, textarea, label.check, input:not([type=hidden]):not([type=checkbox]):not([type=radio])')]
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden' && !el.closest('.hp'))
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.width < min || r.height < min)
  .map(([el, r]) => `${el.outerHTML.slice(0, 90)} ${Math.round(r.width)}×${Math.round(r.height)}`)"""


def small_tap_targets(page):
    """Visible links, buttons and fields smaller than 44×44 (checkboxes count by their label)."""
    return page.evaluate(_SMALL_TAP_TARGETS, MIN_TAP)


def overflow(page):
    """How many CSS px the page is wider than the screen (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def shot(page, name):
    """A full-page screenshot into $PAIMO_SHOTS when it is set, to look at the pages by eye."""
    folder = os.environ.get("PAIMO_SHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)
