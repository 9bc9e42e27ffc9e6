"""``core.db.insert_or_skip``: one statement, a new row or nothing, on both databases."""

import pytest

from aizuchi.core.db import insert_or_skip
from aizuchi.core.models import Operation

pytestmark = pytest.mark.django_db


def test_a_new_row_is_inserted_and_gets_its_id(django_assert_num_queries):
    operation = Operation(key="k-1", name="first", fingerprint="a" * 64)
    with django_assert_num_queries(1):
        assert insert_or_skip(operation) is True
    assert operation.pk is not None
    assert not operation._state.adding
    assert Operation.objects.get(pk=operation.pk).name == "first"


def test_a_row_already_there_is_left_as_it_is(django_assert_num_queries):
    Operation.objects.create(key="k-1", name="first", fingerprint="a" * 64)
    again = Operation(key="k-1", name="second", fingerprint="b" * 64)
    with django_assert_num_queries(1):
        assert insert_or_skip(again) is False
    assert again.pk is None
    assert list(Operation.objects.values_list("key", "name")) == [("k-1", "first")]
    # Nothing failed: the transaction goes on without a savepoint to roll back to.
    assert Operation.objects.count() == 1
