//! The store's schema: one migration per version, applied in order at open.

pub(super) const MIGRATIONS: &[&str] = &[
    // 1: initial schema
    r#"
    CREATE TABLE conversations (
        id               INTEGER PRIMARY KEY,
        account          TEXT NOT NULL,
        remote_id        TEXT NOT NULL,
        kind             TEXT NOT NULL,
        channel          TEXT NOT NULL,
        title            TEXT NOT NULL,
        contact_identity TEXT,
        contact_name     TEXT,
        state            TEXT NOT NULL DEFAULT 'open',
        snoozed_until    INTEGER,
        labels           TEXT NOT NULL DEFAULT '[]',
        unread           INTEGER NOT NULL DEFAULT 0,
        marked_unread    INTEGER NOT NULL DEFAULT 0,
        last_activity    INTEGER NOT NULL DEFAULT 0,
        last_preview     TEXT NOT NULL DEFAULT '',
        UNIQUE (account, remote_id)
    );
    CREATE INDEX conversations_activity ON conversations (last_activity DESC, id DESC);

    CREATE TABLE messages (
        id           INTEGER PRIMARY KEY,
        conversation INTEGER NOT NULL REFERENCES conversations (id),
        account      TEXT NOT NULL,
        remote_id    TEXT,
        kind         TEXT NOT NULL,
        direction    TEXT NOT NULL,
        sender       TEXT NOT NULL,
        body         TEXT NOT NULL,
        attachments  TEXT,
        sent_at      INTEGER NOT NULL,
        received_at  INTEGER NOT NULL,
        delivery     TEXT NOT NULL,
        edit_body    TEXT,
        edit_at      INTEGER,
        deleted_at   INTEGER
    );
    CREATE UNIQUE INDEX messages_remote ON messages (account, remote_id) WHERE remote_id IS NOT NULL;
    CREATE INDEX messages_timeline ON messages (conversation, sent_at, id);

    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        body, content = 'messages', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    -- messages_fts is filled by the writer, not by triggers: an FTS5 insert from a
    -- trigger costs four times as much (measured: 15k vs 58k rows/s).

    CREATE VIRTUAL TABLE conversations_fts USING fts5 (
        title, contact_name, contact_identity,
        content = 'conversations', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity)
        VALUES (new.id, new.title, new.contact_name, new.contact_identity);
    END;
    CREATE TRIGGER conversations_fts_update
    AFTER UPDATE OF title, contact_name, contact_identity ON conversations BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title, contact_name, contact_identity)
        VALUES ('delete', old.id, old.title, old.contact_name, old.contact_identity);
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity)
        VALUES (new.id, new.title, new.contact_name, new.contact_identity);
    END;
    "#,
    // 2: unsent replies survive a restart
    r#"
    CREATE TABLE drafts (
        conversation INTEGER PRIMARY KEY REFERENCES conversations (id),
        body         TEXT NOT NULL
    );
    "#,
    // 3: no per-document size table in the message index. It only serves bm25 ranking,
    // which search never uses (hits come newest first); dropping it saves one b-tree
    // insert per message: 1M-message backfill 45k -> 50k msg/s (docs/performance.md).
    r#"
    DROP TABLE messages_fts;
    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        body, content = 'messages', content_rowid = 'id', columnsize = 0,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
    "#,
    // 4: where each connector resumes (see Op::SetSyncPosition)
    r#"
    CREATE TABLE sync_positions (
        account  TEXT PRIMARY KEY,
        position TEXT NOT NULL
    );
    "#,
    // 5: encryption and verification state per conversation (domain::Security)
    r#"
    ALTER TABLE conversations ADD COLUMN security TEXT NOT NULL DEFAULT 'unknown';
    "#,
    // 6: emoji reactions, by the reaction's own remote id (a redaction removes it)
    r#"
    CREATE TABLE reactions (
        account   TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        target    TEXT NOT NULL,
        key       TEXT NOT NULL,
        sender    TEXT NOT NULL,
        outbound  INTEGER NOT NULL,
        at        INTEGER NOT NULL,
        PRIMARY KEY (account, remote_id)
    );
    CREATE INDEX reactions_target ON reactions (account, target);
    "#,
    // 7: last known connection health per account (for `account list`, and the
    // status line before a connector has spoken)
    r#"
    CREATE TABLE account_health (
        account TEXT PRIMARY KEY,
        health  TEXT NOT NULL,
        since   INTEGER NOT NULL
    );
    "#,
    // 8: why a send failed, as the connector explained it (shown under the message)
    r#"
    ALTER TABLE messages ADD COLUMN failure TEXT;
    "#,
    // 9: the compliance ledger (consents, first-contact notices, footers sent); rebuilt
    // from the archive like everything else
    r#"
    CREATE TABLE ledger (
        id      INTEGER PRIMARY KEY,
        kind    TEXT NOT NULL,
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        at      INTEGER NOT NULL,
        entry   TEXT NOT NULL
    );
    CREATE INDEX ledger_key ON ledger (address, channel);
    ALTER TABLE conversations ADD COLUMN assigned TEXT;
    "#,
    // 10: sends survive a restart (transaction id, attempted before, the footer and
    // first-contact notice they carry, counted only once sent); a contact's phone
    // number beside a network id that is not one
    r#"
    ALTER TABLE messages ADD COLUMN txn TEXT;
    ALTER TABLE messages ADD COLUMN attempted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN footer TEXT;
    ALTER TABLE messages ADD COLUMN notice TEXT;
    CREATE INDEX messages_pending ON messages (id) WHERE delivery = 'pending';
    ALTER TABLE conversations ADD COLUMN contact_phone TEXT;
    DROP TRIGGER conversations_fts_insert;
    DROP TRIGGER conversations_fts_update;
    DROP TABLE conversations_fts;
    CREATE VIRTUAL TABLE conversations_fts USING fts5 (
        title, contact_name, contact_identity, contact_phone,
        content = 'conversations', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity, contact_phone)
        VALUES (new.id, new.title, new.contact_name, new.contact_identity, new.contact_phone);
    END;
    CREATE TRIGGER conversations_fts_update
    AFTER UPDATE OF title, contact_name, contact_identity, contact_phone ON conversations BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title, contact_name, contact_identity, contact_phone)
        VALUES ('delete', old.id, old.title, old.contact_name, old.contact_identity, old.contact_phone);
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity, contact_phone)
        VALUES (new.id, new.title, new.contact_name, new.contact_identity, new.contact_phone);
    END;
    INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');
    "#,
    // 11: a conversation an urgent rule marked (`[[urgent]]`): pinned at the top of the
    // inbox until the office replies or sets it to done
    r#"
    ALTER TABLE conversations ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
    "#,
    // 12: how long the customer has been waiting for us (the queue view): the office's
    // last answer and the customer's oldest message since, kept as messages arrive
    r#"
    ALTER TABLE conversations ADD COLUMN last_reply_at INTEGER;
    ALTER TABLE conversations ADD COLUMN waiting_since INTEGER;
    UPDATE conversations SET last_reply_at = (SELECT max(m.sent_at) FROM messages m
        WHERE m.conversation = conversations.id AND m.direction = 'outbound'
        AND m.kind = 'chat' AND m.sender <> 'tresen (automatisch)');
    UPDATE conversations SET waiting_since = (SELECT min(m.sent_at) FROM messages m
        WHERE m.conversation = conversations.id AND m.direction = 'inbound'
        AND m.kind = 'chat' AND m.sent_at > coalesce(conversations.last_reply_at, -1));
    "#,
    // 13: messages to go out later (`send --at`): kept until due, then sent the normal
    // way; what became of them stays (sent, late, cancelled, missed, refused)
    r#"
    CREATE TABLE scheduled (
        id           TEXT PRIMARY KEY,
        conversation INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        sender       TEXT NOT NULL,
        body         TEXT NOT NULL,
        due          INTEGER NOT NULL,
        created      INTEGER NOT NULL,
        state        TEXT NOT NULL DEFAULT 'waiting',
        reason       TEXT,
        message      INTEGER
    );
    CREATE INDEX scheduled_due ON scheduled (due) WHERE state = 'waiting';
    CREATE INDEX scheduled_conversation ON scheduled (conversation);
    "#,
    // 14: contact corrections (R-C12): the corrected name beside the network's, the
    // versions with who corrected and why; search finds both names
    r#"
    ALTER TABLE conversations ADD COLUMN corrected_name TEXT;
    CREATE TABLE contact_versions (
        id       INTEGER PRIMARY KEY,
        account  TEXT NOT NULL,
        identity TEXT NOT NULL,
        field    TEXT NOT NULL,
        old      TEXT NOT NULL,
        new      TEXT NOT NULL,
        reason   TEXT NOT NULL,
        by       TEXT NOT NULL,
        at       INTEGER NOT NULL,
        conversation TEXT NOT NULL,
        UNIQUE (account, identity, field, at, new)
    );
    DROP TRIGGER conversations_fts_insert;
    DROP TRIGGER conversations_fts_update;
    DROP TABLE conversations_fts;
    CREATE VIRTUAL TABLE conversations_fts USING fts5 (
        title, contact_name, contact_identity, contact_phone, corrected_name,
        content = 'conversations', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity, contact_phone, corrected_name)
        VALUES (new.id, new.title, new.contact_name, new.contact_identity, new.contact_phone, new.corrected_name);
    END;
    CREATE TRIGGER conversations_fts_update
    AFTER UPDATE OF title, contact_name, contact_identity, contact_phone, corrected_name ON conversations BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title, contact_name, contact_identity, contact_phone, corrected_name)
        VALUES ('delete', old.id, old.title, old.contact_name, old.contact_identity, old.contact_phone, old.corrected_name);
        INSERT INTO conversations_fts (rowid, title, contact_name, contact_identity, contact_phone, corrected_name)
        VALUES (new.id, new.title, new.contact_name, new.contact_identity, new.contact_phone, new.corrected_name);
    END;
    INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');
    "#,
    // 15: a message the office sent from another device (the business phone, the
    // WhatsApp app): past tresen's footer and consent check (R-F2). Set as such
    // messages arrive; older ones are marked by `tresen store rebuild`
    r#"
    ALTER TABLE messages ADD COLUMN elsewhere INTEGER NOT NULL DEFAULT 0;
    "#,
    // 16: a message marked as special-category or third-party data (R-E4, R-C14):
    // `art9` or `third_party`; its content is for the owner only.
    r#"
    ALTER TABLE messages ADD COLUMN sensitive TEXT;
    "#,
    // 17: the message a reply quotes (its local id), so the timeline and `show` can
    // show what was answered.
    r#"
    ALTER TABLE messages ADD COLUMN quote INTEGER;
    "#,
    // 18: the first-contact notices of a conversation, found without reading its
    // messages: the rules ask for every inbound message of a contact without a ledger
    // entry (a new customer's burst), and a scan of the timeline made that the
    // inbound path's largest cost (issue 20).
    r#"
    CREATE INDEX messages_notices ON messages (conversation) WHERE notice IS NOT NULL;
    "#,
];
