-- Knowledge: answer feedback counted per topic and language (no person kept), and the
-- topics a person viewed recently (shown to a liaison when they ask for a person).
CREATE TABLE kb_feedback (
    topic_id  TEXT    NOT NULL,
    lang      TEXT    NOT NULL,
    helpful   INTEGER NOT NULL DEFAULT 0,
    unhelpful INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (topic_id, lang)
);

CREATE TABLE topic_views (
    id        INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    topic_id  TEXT    NOT NULL,
    urgent    INTEGER NOT NULL DEFAULT 0,
    viewed_at TEXT    NOT NULL
);
CREATE INDEX topic_views_person ON topic_views (person_id, viewed_at);
