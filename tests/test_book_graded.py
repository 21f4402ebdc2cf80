"""The worked solutions of the graded exercises, as built: the numbers their prose glues follow
from each other and from the chapter's own values (read by name with ``glue_values``)."""

from __future__ import annotations

import pytest
from book_support import glue_values


@pytest.fixture(scope="module")
def evaluation(built_book):
    return glue_values("evaluation")


def test_top_1_is_the_chapters_test_accuracy_and_a_second_guess_helps(evaluation):
    assert evaluation["ch8_ex_top1"] == pytest.approx(evaluation["ch8_test_acc"])
    assert evaluation["ch8_ex_top1"] <= evaluation["ch8_ex_top2"] <= 1
    top1, top2 = evaluation["ch8_ex_top1"], evaluation["ch8_ex_top2"]
    assert evaluation["ch8_ex_second_choice"] == pytest.approx((top2 - top1) / (1 - top1))
