"""Fixtures for the engine tests: no app, no database."""
from pathlib import Path

import pytest

from matchmaker.matching import ChainBook, Matcher, NeedProfile, OutputProfile
from matchmaker.matching.io import seed_profiles, seed_regions

SEED = Path(__file__).resolve().parents[2] / "seed_data"

MINI_CHAINS = [{
    "key": "hydrogen", "name_zh": "氢能", "name_en": "Hydrogen",
    "segments": [
        {"key": "production", "position": 1, "keywords_zh": ["电解水制氢", "碱性电解槽", "电解槽"],
         "keywords_en": ["water electrolysis", "electrolyser"], "ipc_prefixes": ["C25B 1/04"]},
        {"key": "storage", "position": 2, "keywords_zh": ["储氢瓶", "高压储氢", "液氢"],
         "keywords_en": ["hydrogen tank"], "ipc_prefixes": ["F17C"]},
        {"key": "fuel_cell", "position": 3, "keywords_zh": ["燃料电池", "双极板", "膜电极"],
         "keywords_en": ["fuel cell", "bipolar plate"], "ipc_prefixes": ["H01M 8"]},
    ],
    "synonyms": [["质子交换膜", "PEM", "proton exchange membrane"], ["双极板", "bipolar plate"]],
}, {
    "key": "photovoltaics", "name_zh": "光伏", "name_en": "Photovoltaics",
    "segments": [
        {"key": "cells", "position": 1, "keywords_zh": ["钙钛矿", "异质结", "TOPCon电池"],
         "keywords_en": ["perovskite", "heterojunction", "TOPCon"], "ipc_prefixes": ["H10K 30"]},
        {"key": "modules", "position": 2, "keywords_zh": ["光伏组件", "封装胶膜"],
         "keywords_en": ["PV module"], "ipc_prefixes": ["H02S"]},
    ],
}]


@pytest.fixture(scope="session")
def mini_book() -> ChainBook:
    return ChainBook.from_dicts(MINI_CHAINS)


def output(id, title, abstract, **kw) -> OutputProfile:
    return OutputProfile(id=id, title=title, abstract=abstract, **kw)


def need(id, title, description, **kw) -> NeedProfile:
    return NeedProfile(id=id, title=title, description=description, **kw)


@pytest.fixture(scope="session")
def seed_data():
    return seed_profiles(SEED)


@pytest.fixture(scope="session")
def seed_matcher(seed_data) -> Matcher:
    outputs, needs = seed_data
    return Matcher(ChainBook.from_path(SEED / "chains"), regions=seed_regions(SEED)).fit(
        outputs, needs)
