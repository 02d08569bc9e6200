"""The topic catalog: which topics the default pack has, in menu order, and urgency.

It mirrors the reviewed catalog the content was written from; `liaison kb check` holds
every language's content to it. Deployment topics added from `extra_path` come after.
"""

from __future__ import annotations

CATALOG: tuple[str, ...] = (
    "rights.stopped_on_street",
    "rights.traffic_stop",
    "rights.search_consent",
    "rights.search_of_home",
    "rights.phone_search",
    "rights.recording_police",
    "rights.arrested",
    "rights.immigration_status",
    "rights.minors",
    "rights.protest",
    "rights.language_access",
    "rights.property_seized",
    "records.reports_and_footage",
    "complaint.how_to_file",
    "complaint.who_can_file",
    "complaint.what_information",
    "complaint.deadlines",
    "complaint.anonymous",
    "complaint.after_filing",
    "complaint.retaliation",
    "complaint.commend_officer",
    "oversight.what_is",
    "safety.emergency",
    "safety.non_emergency",
    "help.legal_aid",
    "liaison.what_is",
    "liaison.talk_to_person",
    "meetings.how_to_join",
    "polls.why_we_ask",
    "privacy.my_data",
)
URGENT = frozenset(
    {
        "safety.emergency",
        "rights.arrested",
        "rights.immigration_status",
        "rights.minors",
        "complaint.retaliation",
    }
)
