"""training.groups: rows naming one brand (or one issue) share a group, so grouped folds keep a brand on one side."""

from __future__ import annotations

from sklearn.model_selection import StratifiedGroupKFold

from training.corpus import Example, load_corpus
from training.groups import brand_stem, groups


def ex(text: str, label: str = "customer_service", lang: str = "en") -> Example:
    return Example(text, label, lang)


def test_a_brand_and_its_support_account_are_one_group():
    rows = [ex("@SkylarkAirHelp my bag is lost"), ex("@SkylarkAir proud of your pride livery", "stance"),
            ex("@AskNorthpeak card declined"), ex("Northpeak Bank app is down again")]
    g = groups(rows)
    assert g[0] == g[1] == "brand:skylarkair"
    assert g[2] == "brand:northpeak"
    assert brand_stem("sakura_mobile_support") == brand_stem("sakura_mobile") == "sakuramobile"


def test_proper_nouns_issues_and_japanese_brands():
    rows = [ex("dropping Fernhill over the DEI rollback", "stance"),
            ex("fernhill? never heard of it", "community"),  # lower case: Fernhill is then not a proper noun
            ex("so the DEI thing again", "stance"),
            ex("ツバメ航空の遅延ひどい"),
            ex("ジェンダーの件、公式の説明まだ？", "stance", "ja"),
            ex("lol same", "community"),
            ex("so proud of Costhaven workers", "stance")]
    g = groups(rows)
    assert g[0] == g[2] == "topic:dei"
    assert g[6] == "brand:costhaven"  # a brand before an issue
    assert g[3] == "brand:ツバメ航空" and g[4] == "topic:ジェンダー" and g[5] == "row:5"


def test_grouped_folds_never_split_a_group_of_the_corpus():
    corpus = load_corpus()
    g = groups(corpus)
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0)
    seen: dict[str, int] = {}
    for k, (_, test) in enumerate(folds.split([e.text for e in corpus], [e.label for e in corpus], g)):
        for i in test:
            assert seen.setdefault(g[i], k) == k, g[i]
    assert sum(x.startswith("brand:") for x in g) > len(corpus) / 5  # most brand-naming rows are found
