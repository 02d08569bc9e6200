"""Every repository over one database, built once by the composition root.

Only `bot.app` holds this set: it hands each feature service the repositories that
feature owns, and the operator's tools (CLI, metrics) read through it; handlers and the
core never see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.cases import AuditLog, CaseRepository, SnippetRepository
from storage.conversations import ConversationRepository
from storage.database import Database
from storage.knowledge import KnowledgeRepository
from storage.leases import LeaseRepository
from storage.meetings import MeetingRepository, SubscriptionRepository
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository
from storage.polls import PollRepository
from storage.privacy import PrivacyRepository


@dataclass(frozen=True, slots=True)
class Repositories:
    """One of each repository, all over the same database."""

    people: PeopleRepository
    conversations: ConversationRepository
    outbox: OutboxRepository
    knowledge: KnowledgeRepository
    cases: CaseRepository
    audit: AuditLog
    snippets: SnippetRepository
    privacy: PrivacyRepository
    meetings: MeetingRepository
    subscriptions: SubscriptionRepository
    polls: PollRepository
    leases: LeaseRepository

    @classmethod
    def over(cls, db: Database) -> Repositories:
        return cls(
            people=PeopleRepository(db),
            conversations=ConversationRepository(db),
            outbox=OutboxRepository(db),
            knowledge=KnowledgeRepository(db),
            cases=CaseRepository(db),
            audit=AuditLog(db),
            snippets=SnippetRepository(db),
            privacy=PrivacyRepository(db),
            meetings=MeetingRepository(db),
            subscriptions=SubscriptionRepository(db),
            polls=PollRepository(db),
            leases=LeaseRepository(db),
        )
