"""The demo's simulated bookmark panel: where its reading of the level tags puts each bookmark."""
from __future__ import annotations

import numpy as np

from piaa.standard_setting.demo import ideal_pages


def test_each_bookmark_follows_the_mastered_items():
    # Four pages per level in order: a borderline candidate of level L masters the 4(L-1)
    # pages below and the easiest quarter (one page) of level L, so the bookmark is on page 4L - 2.
    tags = np.repeat([1, 2, 3, 4, 5], 4)
    assert ideal_pages(tags, [1, 2, 3, 4, 5]) == {1: 2, 2: 6, 3: 10, 4: 14, 5: 18}


def test_mixed_tags_still_give_rising_bookmarks_within_the_booklet():
    tags = np.array([1, 2, 1, 1, 3, 2, 2, 5, 3, 4, 3, 4, 5, 4, 5])
    pages = ideal_pages(tags, [1, 2, 3, 4, 5])
    ordered = [pages[level] for level in (1, 2, 3, 4, 5)]
    assert ordered == sorted(set(ordered)) and 2 <= ordered[0] and ordered[-1] <= tags.size
