"""The explorer page in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright. It opens a small model's page from file://, clicks through it and reads back numbers
that must be the tensors' own.

Without Playwright or Chromium the tests skip, saying why; under CI (``CI=true``) they fail
instead, since CI installs both.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from explorer_models import TOKENS, H, T, recorded_pass, reference_attention

import minigrad.viz as viz
from minigrad.ops.reduce import Sum
from minigrad.viz.explorer import data

CHROMIUM = os.environ.get("MINIGRAD_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install playwright)")
    if not os.path.exists(CHROMIUM):
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if shutil.which("dot") is None:
        unavailable("Graphviz's dot is not installed (apt-get install graphviz)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def opened(browser, tmp_path_factory):
    """The page of ``Tiny`` open in a tab, with the console errors it logged."""
    model, x, w, loss = recorded_pass()
    path = tmp_path_factory.mktemp("explorer") / "explorer.html"
    viz.explore(loss, model=model, depth=1, tokens=TOKENS, path=path)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector("#graph g.node")
    yield page, errors, model, x, w, loss
    page.close()


def first_values(page, section: str) -> np.ndarray:
    """The first elements a details section shows, at full float32 precision (their titles)."""
    spans = page.locator(f"#d-{section} .first span")
    return np.array([float(spans.nth(i).get_attribute("title")) for i in range(spans.count())])


def test_opens_without_errors(opened):
    page, errors, *_ = opened
    assert page.locator("#graph g.node").count() > 3
    assert errors == []


def test_open_a_module_and_read_a_parameter(opened):
    page, errors, model, *_ = opened
    page.click('#graph g.node[data-kind="module"]:has(text:text-is("head"))')
    assert page.locator("#d-title").inner_text().startswith("head")
    assert page.locator("#d-params tr").count() == 2  # its weight and bias, by gradient norm
    page.click('#graph g.node:has(text:text-is("head.weight"))')
    assert page.locator("#d-title").inner_text().startswith("head.weight")
    assert page.locator("#d-shape").inner_text() == "[8, 8]"
    weight, grad = model.head.weight.detach().numpy(), model.head.weight.grad.numpy()
    np.testing.assert_array_equal(first_values(page, "value"), weight.reshape(-1)[:8])
    np.testing.assert_array_equal(first_values(page, "grad"), grad.reshape(-1)[:8])
    norm = float(page.locator("#d-grad .stat-norm").inner_text())
    assert norm == pytest.approx(np.linalg.norm(grad), rel=1e-3)
    # a module closes again from its label
    page.click('#graph g.cluster:has(text:text-matches("⊟ head ")) text')
    assert page.locator('#graph g.node:has(text:text-is("head.weight"))').count() == 0
    assert errors == []


def test_click_the_loss(opened):
    page, errors, _, _, _, loss = opened
    page.click('#graph g.node[data-kind="output"]')
    assert float(
        page.locator("#d-value .first span").first.get_attribute("title")
    ) == pytest.approx(loss.item(), rel=1e-6)
    page.click("#d-made-by a")  # the op that made it
    assert page.locator("#d-forward").inner_text() == "forward:  " + data.formulas(Sum)["forward"]
    assert page.locator("#d-flow tr").count() >= 2  # its gradient and its input's
    assert errors == []


def test_attention_heads_and_gradients(opened):
    page, errors, model, x, w, _ = opened
    p, dp = reference_attention(model, x, w)
    page.click('#tabs button[data-tab="attention"]')

    def cell(q: int, k: int):
        return page.locator(f'#attn-map rect.cell[data-q="{q}"][data-k="{k}"]')

    for head in range(H):
        page.click(f'#attn-heads button[data-head="{head}"]')
        assert float(cell(2, 1).get_attribute("data-v")) == pytest.approx(p[head, 2, 1], abs=1e-5)
    assert cell(0, 3).get_attribute("data-masked") == "1"
    assert cell(3, 0).get_attribute("data-masked") == "0"
    labels = page.eval_on_selector_all("#attn-map text", "els => els.map(e => e.textContent)")
    assert all(t in labels for t in TOKENS)
    page.check("#attn-grad")
    page.click('#attn-heads button[data-head="1"]')
    assert float(cell(3, 2).get_attribute("data-v")) == pytest.approx(
        dp[1, 3, 2], rel=1e-3, abs=1e-6
    )
    assert page.locator("#attn-lines line").count() == T * (T + 1) // 2  # the unmasked pairs
    cell(3, 2).click()  # the query's weights and gradients in the details panel
    assert page.locator("#d-title").inner_text() == f"query 3: {TOKENS[3]}"
    assert page.locator("#d-query tr").count() == T + 1
    assert errors == []


def test_find_reveals_a_hidden_parameter(opened):
    page, errors, model, *_ = opened
    page.click('#tabs button[data-tab="graph"]')
    page.select_option("#depth", "0")  # the whole model as one box
    page.fill("#find", "attn.c_proj.weight")
    page.press("#find", "Enter")
    assert page.locator("#d-title").inner_text().startswith("attn.c_proj.weight")
    assert page.locator("#graph g.node.selected").count() == 1  # its module was opened
    weight = model.attn.c_proj.weight.detach().numpy()
    np.testing.assert_array_equal(first_values(page, "value"), weight.reshape(-1)[:8])
    assert errors == []


def test_play_backward_starts_at_the_output(opened):
    page, errors, *_ = opened
    page.click('#tabs button[data-tab="graph"]')
    page.click("#play")
    page.wait_for_function("document.getElementById('play-status').textContent.length > 0")
    assert page.locator("#play-status").inner_text().startswith("backward 1/")
    assert "output" in page.locator("#play-status").inner_text()  # backward starts at the loss
    grey = page.locator('#graph g.node .shape[fill="#f2f2f2"]').count()
    assert grey > 0  # the rest wait their turn
    assert errors == []


def test_inline_display_runs_in_its_iframe(browser):
    """What Jupyter shows (``_repr_html_``): the page in a sandboxed iframe, drawing the graph."""
    model, _, _, loss = recorded_pass()
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content(viz.explore(loss, model=model)._repr_html_())
    frame = page.frame_locator("iframe")
    frame.locator("#graph g.node").first.wait_for()
    assert frame.locator("#graph g.node").count() > 3
    assert errors == []
    page.close()


def test_overview_of_every_layer_and_head(opened):
    page, errors, *_ = opened
    page.click('#tabs button[data-tab="attention"]')
    assert page.locator("#attn-overview canvas").count() == H  # one attention layer here
    page.click('#attn-overview canvas[data-head="0"]')
    assert page.locator('#attn-heads button[data-head="0"]').get_attribute("class") == "active"
    assert errors == []
