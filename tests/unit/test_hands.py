"""A thread lets go of the hands it holds while it waits on something else than the database,
and only those: one that holds none frees nobody's."""

from __future__ import annotations

import threading

from bot.hands import Hands


def free(hands: Hands) -> int:
    """How many hands another thread could take now (given back at once)."""
    taken: list[bool] = []

    def take_all() -> None:
        while hands.acquire(blocking=False):
            taken.append(True)
        for _ in taken:
            hands.release()

    other = threading.Thread(target=take_all)
    other.start()
    other.join()
    return len(taken)


def test_a_thread_lets_go_of_its_own_hand_while_it_waits_and_takes_it_back() -> None:
    hands = Hands(2)
    with hands:
        assert free(hands) == 1
        with hands.let_go():
            assert free(hands) == 2
        assert free(hands) == 1
    assert free(hands) == 2


def test_a_thread_holding_no_hand_frees_none() -> None:
    hands = Hands(2)
    holder_in, holder_out = threading.Event(), threading.Event()

    def hold() -> None:
        with hands:
            holder_in.set()
            holder_out.wait(timeout=10)

    holder = threading.Thread(target=hold)
    holder.start()
    holder_in.wait(timeout=10)
    try:
        with hands.let_go():  # this thread holds none: the other's stays taken
            assert free(hands) == 1
    finally:
        holder_out.set()
        holder.join()
    assert free(hands) == 2
