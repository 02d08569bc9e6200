"""The complaint navigator end to end, including a restart in the middle."""

from __future__ import annotations

from bot.app import App
from tests.support.app import AppFactory
from tests.support.harness import Conversation, texts


async def test_navigator_end_to_end_survives_a_restart(make_app: AppFactory) -> None:
    """Answers typed before a restart are in the summary produced after it."""
    first = await make_app()
    alice = Conversation(first)
    await alice.send("/complaint")
    started = texts(await alice.press("Help me prepare a complaint"))
    assert "Question 1 of 7" in started
    await alice.send("An officer pushed me and took my bag <b>for no reason</b>")
    await alice.send("Yesterday around 6pm")

    resumed = Conversation(await make_app(), user="alice")  # the bot restarted
    assert "Question 4 of 7" in texts(await resumed.send("Main St and 5th Ave"))
    await resumed.send("Badge 4521")
    await resumed.press("Skip")  # witnesses
    await resumed.send("A bruise on my arm")
    final = await resumed.send("A video on my phone")
    summary = final[0]
    assert "Summary of your complaint" in summary.text
    for piece in (
        "took my bag <b>for no reason</b>",
        "Yesterday around 6pm",
        "Main St",
        "Badge 4521",
        "(not given)",
        "A bruise",
        "A video",
    ):
        assert piece in summary.text
    assert "Deadline:" in summary.text
    assert summary.attachment is not None and b"Badge 4521" in summary.attachment.data
    assert await resumed.app.repos.conversations.get(1) is None
    # After the form, free text goes back to the search.
    assert "Question" not in texts(await resumed.send("can I film the police"))


async def test_back_returns_to_the_previous_question(app: App) -> None:
    """Back re-asks the previous question and keeps the answers given."""
    bob = Conversation(app, user="bob")
    await bob.press_payload("cn.start")
    await bob.send("Stopped and searched")
    assert "Question 1 of 7" in texts(await bob.press("Back"))


async def test_cancel_at_any_step_keeps_nothing(app: App) -> None:
    """Cancel leaves the form; its buttons then say the form is closed."""
    carla = Conversation(app, user="carla", language_hint="es")
    await carla.press_payload("cn.start")
    await carla.send("Me pararon sin razón")
    cancelled = texts(await carla.press_payload("cn.cancel"))
    assert "/complaint" in cancelled
    person = await app.repos.people.find("test", "carla")
    assert person is not None
    assert await app.repos.conversations.get(person.id) is None
    assert "/complaint" in texts(await carla.press_payload("cn.skip"))


async def test_cancel_command_leaves_the_form(app: App) -> None:
    """/cancel works from inside the form too."""
    dan = Conversation(app, user="dan")
    await dan.press_payload("cn.start")
    assert "Cancelled" in texts(await dan.send("/cancel"))
    assert "nothing to cancel" in texts(await dan.send("/cancel"))


async def test_overlong_answer_is_refused_kindly_and_step_kept(app: App) -> None:
    """A 2,000-character answer is asked to be shortened; the step does not advance."""
    eve = Conversation(app, user="eve")
    await eve.press_payload("cn.start")
    assert "shorten" in texts(await eve.send("x" * 2000))
    assert "Question 2 of 7" in texts(await eve.send("short"))
