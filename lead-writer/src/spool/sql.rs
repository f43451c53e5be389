//! The queue's statements. Each is one text for both backends (PostgreSQL `$n` placeholders;
//! the store turns them into SQLite's `?n`), except claiming, where PostgreSQL adds row locks.

/// Columns of a claimed item, in the order `lease::decode_item` reads them.
macro_rules! item_columns {
    () => {
        "id, idempotency_key, key_bucket, raw_body, lead_json, received_at, attempts, lease_until, claims"
    };
}

/// Claims up to `$4` items due at `$3` (pending and due, or leased with the lease run out) for
/// worker `$1` until `$2`. `$lock` is PostgreSQL's row locking: `SKIP LOCKED` lets concurrent
/// claimers take different rows instead of waiting on each other (PostgreSQL docs, SELECT,
/// "The Locking Clause": it "can be used to avoid lock contention with multiple consumers
/// accessing a queue-like table"). On SQLite the store runs it in `BEGIN IMMEDIATE`.
macro_rules! claim {
    ($lock:literal) => {
        concat!(
            "UPDATE spool_items
             SET state = 'leased', leased_by = $1, lease_until = $2, claims = claims + 1
             WHERE id IN (
                 SELECT id FROM spool_items
                 WHERE (state = 'pending' AND due_at <= $3)
                    OR (state = 'leased' AND lease_until <= $3)
                 ORDER BY due_at, id
                 LIMIT $4",
            $lock,
            ")
             RETURNING ",
            item_columns!()
        )
    };
}

pub(super) const CLAIM_SQLITE: &str = claim!("");
pub(super) const CLAIM_POSTGRES: &str = claim!(" FOR UPDATE SKIP LOCKED");

/// Inserts `rows` items in one statement (one commit, so one sync for the whole batch). Each
/// row takes six parameters: key, key bucket, raw body, lead JSON, received at, due at.
/// Returns the ids and keys of the rows inserted; keys already queued are skipped.
pub(super) fn insert_items(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|row| {
            let p = row * 6;
            format!(
                "(${}, ${}, ${}, ${}, ${}, 'pending', 0, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6
            )
        })
        .collect();
    format!(
        "INSERT INTO spool_items
            (idempotency_key, key_bucket, raw_body, lead_json, received_at, state, attempts, due_at)
            VALUES {}
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id, idempotency_key",
        values.join(", ")
    )
}

/// The ids of `keys` keys (`$1`..`$keys`).
pub(super) fn find_by_keys(keys: usize) -> String {
    let list: Vec<String> = (1..=keys).map(|n| format!("${n}")).collect();
    format!(
        "SELECT id, idempotency_key FROM spool_items WHERE idempotency_key IN ({})",
        list.join(", ")
    )
}

pub(super) const READ_LEASE: &str =
    "SELECT state, leased_by, attempts FROM spool_items WHERE id = $1";

/// `$1` id, `$2` worker, `$3` finish time.
pub(super) const COMPLETE: &str = "UPDATE spool_items
    SET state = 'done', lease_until = NULL, finished_at = $3
    WHERE id = $1 AND state = 'leased' AND leased_by = $2";

/// `$1` id, `$2` worker, `$3` attempts seen (compare-and-set), `$4` new attempts, `$5` due,
/// `$6` error, `$7` now.
pub(super) const RESCHEDULE: &str = "UPDATE spool_items
    SET state = 'pending', attempts = $4, due_at = $5, leased_by = NULL, lease_until = NULL,
        last_error = $6, last_error_at = $7
    WHERE id = $1 AND state = 'leased' AND leased_by = $2 AND attempts = $3";

/// `$1` id, `$2` worker, `$3` attempts seen, `$4` new attempts, `$5` error, `$6` now.
pub(super) const PARK: &str = "UPDATE spool_items
    SET state = 'parked', attempts = $4, leased_by = NULL, lease_until = NULL,
        last_error = $5, last_error_at = $6, finished_at = $6
    WHERE id = $1 AND state = 'leased' AND leased_by = $2 AND attempts = $3";

/// Parks an item its claimer holds without having tried it (leased too often). `$1` id, `$2`
/// worker, `$3` error, `$4` now.
pub(super) const PARK_HELD: &str = "UPDATE spool_items
    SET state = 'parked', leased_by = NULL, lease_until = NULL,
        last_error = $3, last_error_at = $4, finished_at = $4
    WHERE id = $1 AND state = 'leased' AND leased_by = $2";

/// `$1` id, `$2` worker, `$3` new lease end.
pub(super) const RENEW_LEASE: &str = "UPDATE spool_items SET lease_until = $3
    WHERE id = $1 AND state = 'leased' AND leased_by = $2";

/// Renews the leases `worker` (`$1`) holds on `count` items (`$3`, `$4`, ...) to `$2`, in one
/// statement, so a heartbeat for a whole claim is one commit.
pub(super) fn renew_leases(count: usize) -> String {
    let ids: Vec<String> = (0..count).map(|i| format!("${}", i + 3)).collect();
    format!(
        "UPDATE spool_items SET lease_until = $2
    WHERE state = 'leased' AND leased_by = $1 AND id IN ({})",
        ids.join(", ")
    )
}

/// Parks an item whose stored row cannot be read back, whoever holds it. `$1` id, `$2` error,
/// `$3` now.
pub(super) const PARK_UNREADABLE: &str = "UPDATE spool_items
    SET state = 'parked', leased_by = NULL, lease_until = NULL,
        last_error = $2, last_error_at = $3, finished_at = $3
    WHERE id = $1";

pub(super) const INSERT_DEAD_LETTER: &str = "INSERT INTO spool_dead_letters
    (raw_body, code, reason, received_at) VALUES ($1, $2, $3, $4)
    RETURNING id";

pub(super) const LIST_DEAD_LETTERS: &str = "SELECT id, received_at, code, reason, raw_body
    FROM spool_dead_letters ORDER BY id DESC LIMIT $1";

pub(super) const COUNT_BY_STATE: &str = "SELECT state, COUNT(*) FROM spool_items GROUP BY state";

pub(super) const COUNT_DUE: &str =
    "SELECT COUNT(*) FROM spool_items WHERE state = 'pending' AND due_at <= $1";

pub(super) const COUNT_DEAD_LETTERS: &str = "SELECT COUNT(*) FROM spool_dead_letters";

pub(super) const OLDEST: &str = "SELECT
    (SELECT MIN(due_at) FROM spool_items WHERE state = 'pending'),
    (SELECT MIN(received_at) FROM spool_items WHERE state IN ('pending', 'leased'))";

pub(super) const LAST_ERRORS: &str = "SELECT id, state, attempts, last_error, last_error_at
    FROM spool_items WHERE last_error IS NOT NULL
    ORDER BY last_error_at DESC, id DESC LIMIT $1";

pub(super) const LIST_PARKED: &str = "SELECT id, state, attempts, last_error, last_error_at
    FROM spool_items WHERE state = 'parked'
    ORDER BY last_error_at DESC, id DESC LIMIT $1";

pub(super) const PARKED_ERRORS: &str =
    "SELECT id, last_error FROM spool_items WHERE state = 'parked' ORDER BY id";

/// `$1` now. Attempts start again from zero; the last error stays for the record.
pub(super) const RETRY_ALL_PARKED: &str = "UPDATE spool_items
    SET state = 'pending', attempts = 0, claims = 0, due_at = $1, finished_at = NULL
    WHERE state = 'parked'";

/// `$1` now, `$2` id.
pub(super) const RETRY_PARKED_ID: &str = "UPDATE spool_items
    SET state = 'pending', attempts = 0, claims = 0, due_at = $1, finished_at = NULL
    WHERE state = 'parked' AND id = $2";

/// `$1` cut-off time.
pub(super) const PURGE_DONE: &str =
    "DELETE FROM spool_items WHERE state = 'done' AND finished_at < $1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_statements_number_their_parameters_in_order() {
        let insert = insert_items(2);
        assert!(
            insert.contains(
                "($1, $2, $3, $4, $5, 'pending', 0, $6), ($7, $8, $9, $10, $11, 'pending', 0, $12)"
            ),
            "{insert}"
        );
        assert!(find_by_keys(3).ends_with("IN ($1, $2, $3)"));
    }
}
