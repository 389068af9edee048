"""Fixtures for the clock tests."""

from __future__ import annotations

import random

import duckdb
import pytest

from clock_scenarios import Store, create_record_store


@pytest.fixture
def con():
    c = duckdb.connect()
    create_record_store(c)
    yield c
    c.close()


@pytest.fixture
def store(con):
    random.seed(7)
    return Store(con)
