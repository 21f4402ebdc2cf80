"""The page checks' own logic, on known cases (the book tests rely on it)."""
from page_checks import sentences_in_glue


def test_a_glued_sentence_is_found_and_a_list_of_values_is_not():
    values = {"verdict": "carved from MNIST's training digits", "classes": "classes 0, 4, 5 and 8",
              "word": "official", "number": 0.5, "path": "/work/main/data/fashion-mnist",
              "run": "f06_h512_flip_shift1_e100", "hidden": "a sentence the page does not show"}
    shown = {"verdict", "classes", "word", "number", "path", "run"}
    assert sentences_in_glue(values, shown) == ["verdict: \"carved from MNIST's training digits\""]
    assert sentences_in_glue(values, shown, generated=(values["verdict"],)) == []
