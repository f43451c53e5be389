//! The statements that record and forget known ids, many ids a statement: a page of 5,000
//! rows is a handful of statements, not 5,000.
//!
//! Chunks have power-of-two sizes (at most [`MAX_CHUNK`]), so a page of any size uses at most
//! a dozen distinct statement texts and the stores' prepared-statement caches stay small.
//! [`MAX_CHUNK`] + 2 parameters stay far below SQLite's (32,766) and PostgreSQL's (65,535)
//! limits on parameters in one statement.

use std::collections::HashSet;

/// The most ids in one statement.
pub(crate) const MAX_CHUNK: usize = 512;

/// `ids` without repeats, first occurrence kept: PostgreSQL refuses an `INSERT .. ON
/// CONFLICT DO UPDATE` that touches one row twice.
pub(crate) fn distinct(ids: &[String]) -> Vec<&str> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter()
        .map(String::as_str)
        .filter(|id| seen.insert(*id))
        .collect()
}

/// `ids` cut into chunks of power-of-two sizes, largest first.
pub(crate) fn chunks<'a>(mut ids: &'a [&'a str]) -> impl Iterator<Item = &'a [&'a str]> {
    std::iter::from_fn(move || {
        if ids.is_empty() {
            return None;
        }
        let size = MAX_CHUNK.min(1 << ids.len().ilog2());
        let (chunk, rest) = ids.split_at(size);
        ids = rest;
        Some(chunk)
    })
}

/// Records `count` ids (parameters `$3`..) for the key `$1`, marked with generation `$2`.
pub(crate) fn remember_statement(count: usize) -> String {
    let rows: Vec<String> = (0..count)
        .map(|i| format!("($1, ${}, $2)", i + 3))
        .collect();
    format!(
        "INSERT INTO change_sync_known_ids (sync_key, id, generation) VALUES {}
        ON CONFLICT (sync_key, id) DO UPDATE SET generation = excluded.generation",
        rows.join(", ")
    )
}

/// Forgets `count` ids (parameters `$2`..) of the key `$1`.
pub(crate) fn forget_statement(count: usize) -> String {
    let ids: Vec<String> = (0..count).map(|i| format!("${}", i + 2)).collect();
    format!(
        "DELETE FROM change_sync_known_ids WHERE sync_key = $1 AND id IN ({})",
        ids.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two_and_cover_every_id_once() {
        let owned: Vec<String> = (0..1_203).map(|n| n.to_string()).collect();
        let ids: Vec<&str> = owned.iter().map(String::as_str).collect();
        let sizes: Vec<usize> = chunks(&ids).map(<[&str]>::len).collect();
        assert_eq!(sizes, [512, 512, 128, 32, 16, 2, 1]);
        let joined: Vec<&str> = chunks(&ids).flatten().copied().collect();
        assert_eq!(joined, ids);
        assert_eq!(chunks(&[]).count(), 0);
    }

    #[test]
    fn repeats_are_dropped_in_order() {
        let ids: Vec<String> = ["b", "a", "b", "c", "a"].map(String::from).to_vec();
        assert_eq!(distinct(&ids), ["b", "a", "c"]);
    }

    #[test]
    fn statements_number_their_parameters() {
        assert_eq!(
            remember_statement(2),
            "INSERT INTO change_sync_known_ids (sync_key, id, generation) VALUES ($1, $3, $2), ($1, $4, $2)
        ON CONFLICT (sync_key, id) DO UPDATE SET generation = excluded.generation"
        );
        assert_eq!(
            forget_statement(3),
            "DELETE FROM change_sync_known_ids WHERE sync_key = $1 AND id IN ($2, $3, $4)"
        );
    }
}
