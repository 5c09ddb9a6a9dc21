"""``summarize.ahead``: the summary writer's threads hand back their work in order,
raise their errors where it is read, hold a bounded amount and stop when closed."""

import threading
import time

import pytest

from summarize.ahead import Ahead


def _count(state, job, put):
    for i in range(job):
        time.sleep(0.001 * (job % 3))  # jobs finish out of order
        put((job, i))


def test_results_come_back_in_order_whatever_the_threads():
    jobs = [5, 1, 7, 3, 2, 6]
    with Ahead(jobs, _count, workers=3, bound=2) as ahead:
        got = [list(ahead.results(n)) for n in range(len(jobs))]
    assert got == [[(job, i) for i in range(job)] for job in jobs]


def test_an_error_is_raised_where_its_job_is_read_and_the_jobs_before_it_deliver():
    def work(state, job, put):
        if job == "bad":
            raise ValueError("no good")
        put(job)

    with Ahead(["a", "bad", "c"], work, workers=2) as ahead:
        assert list(ahead.results(0)) == ["a"]
        with pytest.raises(ValueError, match="no good"):
            list(ahead.results(1))


def test_each_thread_sets_up_and_tears_down_its_own_state():
    made, ended = [], []

    def setup():
        made.append(threading.get_ident())
        return threading.get_ident()

    def work(state, job, put):
        put(state == threading.get_ident())

    with Ahead(range(8), work, workers=2, setup=setup, teardown=ended.append) as ahead:
        assert all(next(ahead.results(n)) for n in range(8))
    assert sorted(made) == sorted(ended) and 1 <= len(made) <= 2


def test_a_failed_setup_fails_the_jobs_of_its_thread():
    def setup():
        raise OSError("cannot open")

    with Ahead([1, 2], _count, workers=1, setup=setup) as ahead:
        with pytest.raises(OSError, match="cannot open"):
            list(ahead.results(0))


def test_a_job_far_ahead_of_the_reader_waits_and_close_stops_it():
    put_count = []

    def endless(state, job, put):
        while True:
            put(job)
            put_count.append(1)

    ahead = Ahead([0, 1], endless, workers=2, bound=5)
    time.sleep(0.3)
    assert len(put_count) <= 2 * 5  # bounded: each job waits once it holds 5 unread items
    ahead.close()
    assert not any(t.is_alive() for t in ahead.threads)


def test_jobs_start_only_while_few_finished_ones_are_unread():
    started = []

    def one(state, job, put):
        started.append(job)
        put(job)

    with Ahead(range(10), one, workers=1, window=3) as ahead:
        time.sleep(0.3)
        assert started == [0, 1, 2]  # three done and unread: the fourth waits
        assert list(ahead.results(0)) == [0]
        time.sleep(0.3)
        assert started == [0, 1, 2, 3]
        assert [list(ahead.results(n)) for n in range(1, 10)] == [[n] for n in range(1, 10)]
