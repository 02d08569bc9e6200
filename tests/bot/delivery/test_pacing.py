"""The pacing decision on plain numbers: who may send when, without a clock or a sleep."""

from __future__ import annotations

from bot.delivery.pacing import CATCH_UP_S, Pacing, Priority, Schedule, Ticket

PRIVATE = (1.0, 1.0)  # one per second, like a Telegram private chat


def schedule(global_per_s: float = 10.0, chat: tuple[float, float] = PRIVATE) -> Schedule:
    return Schedule(Pacing(global_per_s, lambda _chat_id: chat))


def run(plan: Schedule, until: float) -> list[tuple[float, Ticket]]:
    """Grant from t=0 to `until`, waking exactly when the schedule asks to."""
    sent: list[tuple[float, Ticket]] = []
    now = 0.0
    while now <= until:
        granted, next_at = plan.grant(now)
        sent += [(now, ticket) for ticket in granted]
        if next_at is None:
            break
        now = max(next_at, now)
    return sent


def test_a_waiting_answer_takes_the_next_slot_before_any_bulk() -> None:
    plan = schedule()
    bulk = [Ticket(f"subscriber-{n}", Priority.BULK) for n in range(20)]
    for ticket in bulk:
        plan.add(ticket)
    first, _ = plan.grant(0.0)
    answer = Ticket("resident", Priority.INTERACTIVE)
    plan.add(answer)
    sent = [ticket for _, ticket in run(plan, 5.0)]
    assert sent[0] is answer
    assert sent[1:] == bulk[len(first) :]


def test_bulk_uses_a_slot_an_answer_cannot_take_yet() -> None:
    """An answer held by its own chat's limit does not stop bulk in other chats."""
    plan = schedule()
    plan.add(Ticket("resident", Priority.INTERACTIVE))
    plan.grant(0.0)
    second_answer = Ticket("resident", Priority.INTERACTIVE)
    bulk = Ticket("subscriber", Priority.BULK)
    plan.add(second_answer)
    plan.add(bulk)
    sent = run(plan, 5.0)
    assert [ticket for _, ticket in sent] == [bulk, second_answer]
    assert sent[1][0] == 1.0  # one second after the first answer, the chat's limit


def test_the_sum_of_all_traffic_never_exceeds_the_global_rate() -> None:
    plan = schedule(global_per_s=10.0, chat=(100.0, 1.0))
    for n in range(100):
        plan.add(Ticket(f"c{n}", Priority.BULK if n % 3 else Priority.INTERACTIVE))
    times = [at for at, _ in run(plan, 30.0)]
    assert len(times) == 100
    # A cell-rate limit allows one send plus one per interval over the window and the
    # catch-up allowance: 1 + (1 s + CATCH_UP_S) * 10/s.
    most = 1 + round((1.0 + CATCH_UP_S) * 10.0)
    for start in times:
        assert len([t for t in times if start <= t < start + 1.0 - 1e-9]) <= most
    assert 9.0 <= times[-1] <= 10.0  # and it keeps up: 100 sends in about 10 s


def test_a_chat_gets_one_message_per_its_period() -> None:
    plan = schedule(global_per_s=100.0)
    for _ in range(3):
        plan.add(Ticket("resident", Priority.BULK))
    assert [at for at, _ in run(plan, 10.0)] == [0.0, 1.0, 2.0]


def test_a_group_may_burst_up_to_its_per_minute_allowance() -> None:
    plan = schedule(global_per_s=100.0, chat=(20.0, 60.0))
    for _ in range(21):
        plan.add(Ticket("-100", Priority.BULK))
    times = [at for at, _ in run(plan, 120.0)]
    assert times[19] < 1.0 and times[20] >= 3.0


def test_a_429_pauses_the_whole_platform() -> None:
    plan = schedule()
    plan.pause(until=4.0)
    plan.add(Ticket("a", Priority.INTERACTIVE))
    plan.add(Ticket("b", Priority.BULK))
    granted, next_at = plan.grant(1.0)
    assert granted == [] and next_at == 4.0
    assert len(plan.grant(4.0)[0]) == 2


def test_instances_share_the_rate() -> None:
    plan = schedule(global_per_s=10.0, chat=(100.0, 1.0))
    plan.share(2)
    for n in range(20):
        plan.add(Ticket(f"c{n}", Priority.BULK))
    times = [at for at, _ in run(plan, 10.0)]
    assert 3.5 <= times[-1] <= 4.0  # 20 sends at 5/s


def test_a_platform_only_the_leader_sends_on_keeps_its_whole_rate() -> None:
    """Discord rows go out from the leader alone: dividing its rate by the live instances
    would leave the rest of the bot's rate unused."""
    plan = Schedule(Pacing(10.0, lambda _chat_id: (100.0, 1.0), shared=False))
    plan.share(2)
    for n in range(20):
        plan.add(Ticket(f"c{n}", Priority.BULK))
    times = [at for at, _ in run(plan, 10.0)]
    assert 1.5 <= times[-1] <= 2.0  # 20 sends at 10/s


def test_fractional_rates_still_send() -> None:
    plan = schedule(global_per_s=0.5, chat=(0.5, 1.0))
    plan.add(Ticket("a", Priority.BULK))
    plan.add(Ticket("a", Priority.BULK))
    assert [at for at, _ in run(plan, 10.0)] == [0.0, 2.0]


def test_chats_reached_once_are_forgotten() -> None:
    plan = schedule(global_per_s=1000.0)
    for n in range(500):
        plan.add(Ticket(f"c{n}", Priority.BULK))
    run(plan, 1.0)
    assert plan.chats_known() == 500
    plan.grant(120.0)
    assert plan.chats_known() == 0


def test_a_cancelled_waiter_is_not_granted() -> None:
    plan = schedule()
    gone, staying = Ticket("a", Priority.BULK), Ticket("b", Priority.BULK)
    plan.add(gone)
    plan.add(staying)
    plan.discard(gone)
    assert plan.grant(0.0)[0] == [staying]
