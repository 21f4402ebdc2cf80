"""scratchnet.plots: how small a figure's text comes out on a phone."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import pytest

from scratchnet import plots


@pytest.mark.parametrize("width_in, fontsize, readable", [(4.0, 10, True), (10.0, 8, False),
                                                          (7.0, 8, False), (5.2, 10, True)])
def test_smallest_text_px_is_the_font_shrunk_with_the_image(width_in, fontsize, readable):
    fig, ax = plt.subplots(figsize=(width_in, 2.5), dpi=110)
    ax.set_xticks([0, 1], ["a", "b"], fontsize=12)
    ax.set_yticks([])
    ax.text(0.5, 0.5, "label", fontsize=fontsize)
    px = plots.smallest_text_px(fig, shown_width_px=plots.PHONE_COLUMN_PX)
    image_px = (fig.get_tightbbox().width + 2 * matplotlib.rcParams["savefig.pad_inches"]) * 110
    expected = fontsize * 110 / 72 * min(1.0, plots.PHONE_COLUMN_PX / image_px)
    assert px == pytest.approx(expected)
    assert (px >= plots.MIN_TEXT_PX) is readable
    assert plots.smallest_text_px(fig, shown_width_px=1e6) == pytest.approx(fontsize * 110 / 72)
    plt.close(fig)


def test_hidden_and_empty_texts_do_not_count():
    fig, ax = plt.subplots(figsize=(3, 2), dpi=100)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.1, 0.1, "shown", fontsize=11)
    ax.text(0.2, 0.2, "hidden", fontsize=3).set_visible(False)
    ax.text(0.3, 0.3, "  ", fontsize=2)
    assert plots.smallest_text_px(fig, shown_width_px=1e6) == pytest.approx(11 * 100 / 72)
    plt.close(fig)
