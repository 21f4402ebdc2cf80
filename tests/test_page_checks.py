"""The page checks' own logic, on known cases (the book tests rely on it)."""
from page_checks import sentences_in_glue
from page_code import pyflakes_problems


def test_a_glued_sentence_is_found_and_a_list_of_values_is_not():
    values = {"verdict": "carved from MNIST's training digits", "classes": "classes 0, 4, 5 and 8",
              "word": "official", "number": 0.5, "path": "/work/main/data/fashion-mnist",
              "run": "f06_h512_flip_shift1_e100", "hidden": "a sentence the page does not show"}
    shown = {"verdict", "classes", "word", "number", "path", "run"}
    assert sentences_in_glue(values, shown) == ["verdict: \"carved from MNIST's training digits\""]
    assert sentences_in_glue(values, shown, generated=(values["verdict"],)) == []


def test_pyflakes_finds_an_unused_import_and_an_undefined_name_across_cells():
    cells = ["import numpy as np\nfrom scratchnet import data, model\n",
             "W = model.init(3)\nprint(X)\n", "display(W)\n"]
    found = pyflakes_problems(cells, "known")
    assert [line.split(": ", 1)[1].split()[0] for line in found] == ["F401", "F401", "F821"]
    assert "`numpy` imported but unused" in found[0] and "`X`" in found[2]
    assert pyflakes_problems(["import numpy as np\nnp.ones(2)\n", "display(np)\n"]) == []
