"""The demo's generated English: plurals and articles a reader would trip over."""

from __future__ import annotations

import random
import re

from marketplace.demo import catalog
from marketplace.demo.data import plural, profile_input, task_input, with_article


def test_business_names_pluralise_and_take_the_right_article():
    assert plural("bakery") == "bakeries"
    assert plural("landscaping business") == "landscaping businesses"
    assert plural("coffee roastery") == "coffee roasteries"
    assert plural("Etsy shop") == "Etsy shops"
    assert with_article("Etsy shop") == "an Etsy shop"
    assert with_article("online course business") == "an online course business"
    assert with_article("bakery") == "a bakery"


def test_generated_bios_and_titles_read_correctly():
    rng = random.Random(7)
    texts = [profile_input(rng).bio for _ in range(300)]
    texts += [task_input(rng, "UTC").title for _ in range(300)]
    naive = {f"{b}s" for b in catalog.BUSINESSES} - {plural(b) for b in catalog.BUSINESSES}
    assert naive  # "bakerys", "businesss", ...
    bad_article = re.compile(r"\ba [aeiouAEIOU]|\{")
    assert not [t for t in texts if bad_article.search(t) or any(n in t for n in naive)]
    assert any(f"owners of {plural(b)}" in t for t in texts for b in catalog.BUSINESSES)
