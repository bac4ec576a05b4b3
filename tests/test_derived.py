"""Data kept in the shared cache and dropped by a change: a reader racing the commit cannot
put the value from before the change back (broadsheet/derived.py)."""

from django.core.cache import cache
from wagtail.models import PageViewRestriction

from broadsheet import derived
from broadsheet.articles import visibility


def test_a_value_worked_out_before_a_change_committed_is_not_read_after_it(
        db, django_capture_on_commit_callbacks):
    def read_before_the_commit_lands():
        # The reader has read the database; the change commits before it stores its answer.
        with django_capture_on_commit_callbacks(execute=True):
            derived.forget("broadsheet:test-derived")
        return "from before the change"

    assert derived.remembered("broadsheet:test-derived", read_before_the_commit_lands,
                              None) == "from before the change"
    assert derived.remembered("broadsheet:test-derived", lambda: "after", None) == "after"


def test_a_change_starts_a_new_generation_at_once_and_again_on_commit(
        db, django_capture_on_commit_callbacks):
    derived.remembered("broadsheet:test-derived", lambda: "first", None)
    with django_capture_on_commit_callbacks(execute=True):
        derived.forget("broadsheet:test-derived")
        # The change's own transaction sees it at once...
        assert derived.remembered("broadsheet:test-derived", lambda: "inside", None) == "inside"
    # ...and what was worked out inside it, before the commit, is not what others read after.
    assert derived.remembered("broadsheet:test-derived", lambda: "after", None) == "after"
    assert derived.remembered("broadsheet:test-derived", lambda: "again", None) == "after"


def test_none_is_remembered_like_any_other_answer(db):
    calls = []
    for _ in range(2):
        derived.remembered("broadsheet:test-none", lambda: calls.append(1), None)
    assert calls == [1]


def test_a_lost_generation_only_starts_a_new_one(db):
    derived.remembered("broadsheet:test-lost", lambda: "kept", None)
    cache.clear()
    assert derived.remembered("broadsheet:test-lost", lambda: "worked out again", None) \
        == "worked out again"


def test_a_restriction_saved_while_a_reader_read_the_paths_is_not_forgotten(
        db, home, django_capture_on_commit_callbacks):
    """The reader read the paths before the restriction committed and stores them after:
    the next reader must still see the restriction, or the page is shown to everyone."""
    reading = visibility.PageViewRestriction.objects.values_list

    def slow_reader(*args, **kwargs):
        answer = list(reading(*args, **kwargs))
        with django_capture_on_commit_callbacks(execute=True):
            PageViewRestriction.objects.create(
                page=home, restriction_type=PageViewRestriction.PASSWORD, password="x")
        return answer

    visibility.PageViewRestriction.objects.values_list = slow_reader
    try:
        assert visibility.restricted_paths() == []
    finally:
        del visibility.PageViewRestriction.objects.values_list
    assert visibility.restricted_paths() == [home.path]
