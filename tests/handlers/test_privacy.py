"""/mydata, /forget and the retention job."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.config import ConfigError, StartupError
from bot.core.people import Role
from bot.privacy import KEY_BYTES, load_or_create_key
from handlers.privacy import apply_retention
from tests.support.harness import Conversation, FakeClock, RecordingSender, texts


async def _case(app: App) -> tuple[Conversation, Conversation]:
    app.delivery.register(RecordingSender("console"), None)
    resident = Conversation(app, user="rita", platform="console")
    liaison = Conversation(app, user="lee", platform="console")
    await liaison.send("/start")
    lee = await app.repos.people.find("console", "lee")
    assert lee is not None
    await app.repos.people.set_role(lee.id, Role.LIAISON)
    await resident.send("/human")
    await resident.press_payload("esc.anon")
    await resident.send("my neighbour's son was beaten by an officer")
    await liaison.send("/reply 1 I am sorry, can you tell me when?")
    return resident, liaison


async def test_mydata_shows_profile_cases_messages_and_poll_anonymity(app: App) -> None:
    """/mydata lists the account, the conversation and its messages, and the poll promise."""
    resident, _ = await _case(app)
    shown = texts(await resident.send("/mydata"))
    assert "beaten by an officer" in shown and "can you tell me when" in shown
    assert "#1" in shown and "anonymously" in shown


async def test_forget_closes_the_case_tells_the_liaison_and_erases_content(app: App) -> None:
    """After /forget the person is gone, case text is gone, anonymous case numbers remain."""
    resident, _ = await _case(app)
    await resident.send("/forget")
    assert "erased" in texts(await resident.press_payload("forget.yes"))
    assert await app.repos.people.find("console", "rita") is None
    case = await app.repos.cases.get(1)
    assert case is not None and not case.is_open and case.person_id is None
    assert all(m.body is None for m in await app.repos.cases.messages(1))
    payloads = " ".join(str(row[0]) for row in await app.db.fetch("SELECT payload FROM outbox"))
    assert "beaten" not in payloads and "tell me when" not in payloads
    assert "Nothing" in texts(await Conversation(app, user="x").press_payload("forget.no"))


async def test_retention_clears_old_closed_cases_and_forms(app: App, clock: FakeClock) -> None:
    """Closed-case text goes after the retention period; open cases are untouched."""
    _, liaison = await _case(app)
    await liaison.send("/close 1")
    await liaison.press_payload("esc.outcome|1:other")
    other = Conversation(app, user="olga", platform="console")
    await other.press_payload("cn.start")  # an abandoned form
    clock.advance(days=91)
    counts = await apply_retention(app.services)
    assert counts.case_messages_cleared >= 2 and counts.conversations_expired == 1
    assert all(m.body is None for m in await app.repos.cases.messages(1))
    clock.advance(seconds=timedelta(days=1).total_seconds())
    assert (await apply_retention(app.services)).case_messages_cleared == 0


def test_hash_key_is_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    """The first start writes a random key readable by its owner only; later starts reuse it."""
    path = tmp_path / "keys" / "liaison.key"
    first = load_or_create_key("", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key("", path) == first and len(first) == 32
    assert load_or_create_key("from-config", path) == b"from-config"
    assert len(bytes.fromhex(path.read_text(encoding="ascii"))) == KEY_BYTES == 32


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "holds 0 of the 32 bytes"),
        (b"\n", "holds 0 of the 32 bytes"),
        (b"00ff", "holds 2 of the 32 bytes"),
        (b"not hex at all", "hex digits"),
        ("é".encode() * 40, "cannot read"),
    ],
)
def test_a_key_file_that_is_empty_short_or_garbled_is_refused(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    """An empty key would let anyone compute a pseudonym: start-up stops instead."""
    path = tmp_path / "liaison.key"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as refused:
        load_or_create_key("", path)
    assert refused.value.key == "privacy.hash_key_path" and problem in str(refused.value)
    assert path.read_bytes() == content, "never overwritten: a backup may be restored"


def test_a_key_file_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    """A key path that is a folder (or unreadable) names the setting."""
    with pytest.raises(ConfigError) as refused:
        load_or_create_key("", tmp_path)
    assert refused.value.key == "privacy.hash_key_path"


async def test_a_database_file_that_is_not_sqlite_names_storage_path(tmp_path: Path) -> None:
    """Opening a file that is not a database is one line naming the file."""
    from tests.support.app import make_config

    config = make_config(tmp_path)
    Path(config.storage.path).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StartupError) as refused:
        await build_app(config)
    assert config.storage.path in str(refused.value) and "\n" not in str(refused.value)


async def test_a_person_who_returns_after_forget_gets_a_new_pseudonym(app: App) -> None:
    """Same account, erased, back again: the liaison sees a code unlinked to the old case."""
    resident, _ = await _case(app)
    cases = app.repos.cases
    first = await cases.get(1)
    assert first is not None and first.pseudonym.startswith("R-")
    await resident.send("/forget")
    await resident.press_payload("forget.yes")
    await resident.send("/human")
    await resident.press_payload("esc.anon")
    await resident.send("عدت لأن الشرطة أوقفتني مرة أخرى")
    second = await cases.get(2)
    assert second is not None and second.pseudonym.startswith("R-")
    assert second.pseudonym != first.pseudonym
    count = await app.db.fetchval("SELECT COUNT(*) FROM people WHERE platform_user_id = 'rita'")
    assert count == 1, "the old person row and its salt are gone"


async def test_a_pseudonym_stays_the_same_for_a_person_between_cases(app: App) -> None:
    """Without erasure, a returning resident keeps their code (liaisons see continuity)."""
    resident, _ = await _case(app)
    await resident.press_payload("esc.withdraw|1")
    await resident.press_payload("esc.withdraw_yes|1")  # closing asks first
    await resident.send("/human")
    await resident.press_payload("esc.anon")
    await resident.send("otra vez, la misma patrulla")
    first, second = await app.repos.cases.get(1), await app.repos.cases.get(2)
    assert first is not None and second is not None
    assert first.pseudonym == second.pseudonym


async def test_people_from_before_the_salt_keep_their_pseudonym(app: App) -> None:
    """A person stored before migration 0040 (no salt) keeps the code liaisons know."""
    from handlers.escalation.texts import pseudonym

    people = app.repos.people
    person = await people.upsert_seen("console", "old-timer", None, app.services.clock())
    assert person.pseudonym_salt is not None and len(person.pseudonym_salt) == 32
    await app.db.execute("UPDATE people SET pseudonym_salt = NULL WHERE id = ?", (person.id,))
    legacy = await people.get(person.id)
    assert legacy is not None and legacy.pseudonym_salt is None
    digest = app.services.hasher.digest("pseudonym", "console", "old-timer")
    assert pseudonym(app.services, legacy) == "R-" + digest[:6].upper()
    assert pseudonym(app.services, person) != pseudonym(app.services, legacy)
