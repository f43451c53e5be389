//! One line of an Azure Table `MarketplaceLeads` export: the lead, read with the crate's
//! parser (it knows the entity shape: `CustomerInfo` as JSON text, `OfferDisplayName`), and
//! the row's place in the table (`Timestamp`, `PartitionKey`, `RowKey`), and when the lead was
//! created (`CreatedTime`). No IO here.

use std::cmp::Ordering;
use std::fmt;

use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::{Error, Lead, ParseOptions, Rejection};

/// Where a row stands in the import order: its `Timestamp`, then `PartitionKey` and `RowKey`
/// to order rows written in the same instant. The watermark is the last position imported.
#[derive(Clone, PartialEq, Eq)]
pub struct RowPosition {
    /// The row's `Timestamp` (set by Azure Table storage on every write).
    pub timestamp: OffsetDateTime,
    /// `PartitionKey`.
    pub partition_key: String,
    /// `RowKey`.
    pub row_key: String,
}

impl RowPosition {
    /// The row's identity, which never changes when the row is updated: SHA-256 (hex) of the
    /// length-prefixed `PartitionKey` and `RowKey` (a key may contain `|`).
    pub(crate) fn identity(&self) -> String {
        let mut hasher = Sha256::new();
        for part in [&self.partition_key, &self.row_key] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The timestamp in Unix nanoseconds, as stored (in range until the year 2262).
    pub(crate) fn nanos(&self) -> i64 {
        i64::try_from(self.timestamp.unix_timestamp_nanos()).unwrap_or(i64::MAX)
    }
}

impl Ord for RowPosition {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.nanos(), &self.partition_key, &self.row_key).cmp(&(
            other.nanos(),
            &other.partition_key,
            &other.row_key,
        ))
    }
}

impl PartialOrd for RowPosition {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Keys are not personal data (Microsoft generates them), so `Debug` shows them all.
impl fmt::Debug for RowPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for RowPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let time = self
            .timestamp
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.timestamp.to_string());
        write!(f, "{time} {}|{}", self.partition_key, self.row_key)
    }
}

/// A line read into a lead with its place in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableRow {
    /// 1-based line number in the file.
    pub(crate) line: usize,
    pub(crate) position: RowPosition,
    /// When the lead was created: `CreatedTime`, or `Timestamp` when that is missing or
    /// unreadable (then `created_from_timestamp`). `Timestamp` is the last write, so an
    /// updated row would otherwise move to another day.
    pub(crate) created_at: OffsetDateTime,
    pub(crate) created_from_timestamp: bool,
    pub(crate) lead: Lead,
    pub(crate) raw: Vec<u8>,
}

/// Why a line was refused, for its dead letter: a stable code and a reason that names the
/// line and never a value.
pub(crate) fn rejection(line: usize, code: &str, reason: &str) -> Rejection {
    Rejection {
        code: code.to_owned(),
        reason: format!("Azure Table export line {line}: {reason}"),
    }
}

/// Reads line `line` (1-based) of an export.
pub(crate) fn read(line: usize, raw: &[u8], options: &ParseOptions) -> Result<TableRow, Rejection> {
    let lead = Lead::parse_with(raw, options)
        .map_err(|e: Error| rejection(line, e.code(), &e.to_string()))?;
    let text = |name: &str| -> Result<String, Rejection> {
        let value = lead
            .extra
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value);
        match value.and_then(|v| v.as_str()).map(str::trim) {
            Some(text) if !text.is_empty() => Ok(text.to_owned()),
            _ => Err(rejection(
                line,
                "missing_table_column",
                &format!(
                    "the system column `{name}` is missing or not text; an Azure Table export \
                     carries PartitionKey, RowKey and Timestamp on every row, and the import's \
                     watermark needs them"
                ),
            )),
        }
    };
    let stamp = text("Timestamp")?;
    // UNCONFIRMED: the export's exact Timestamp text. Azure Table's JSON format writes
    // ISO 8601 UTC with up to 7 fractional digits (`2020-06-01T12:34:56.1234567Z`), which
    // RFC 3339 parsing accepts.
    let timestamp = OffsetDateTime::parse(&stamp, &Rfc3339).map_err(|_| {
        rejection(
            line,
            "bad_timestamp",
            "`Timestamp` is not an RFC 3339 date and time (such as 2020-06-01T12:34:56.1234567Z)",
        )
    })?;
    if i64::try_from(timestamp.unix_timestamp_nanos()).is_err() {
        return Err(rejection(
            line,
            "bad_timestamp",
            "`Timestamp` is outside the years 1678 to 2262",
        ));
    }
    let position = RowPosition {
        timestamp,
        partition_key: text("PartitionKey")?,
        row_key: text("RowKey")?,
    };
    let created = lead.created_time.as_deref().and_then(parse_created_time);
    Ok(TableRow {
        line,
        created_at: created.unwrap_or(position.timestamp),
        created_from_timestamp: created.is_none(),
        position,
        lead,
        raw: raw.to_vec(),
    })
}

/// `CreatedTime` as text. UNCONFIRMED: its format and zone. Third-party readers show the
/// US form `6/1/2020 12:34:56 PM` (REFERENCE-WORKFLOWS 1.5), taken here as UTC; RFC 3339 is
/// accepted too. Anything else is `None` (the caller falls back to `Timestamp`).
fn parse_created_time(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(at);
    }
    let us = format_description!(
        "[month padding:none]/[day padding:none]/[year] [hour repr:12 padding:none]:[minute]:[second] [period case_sensitive:false]"
    );
    let at = PrimitiveDateTime::parse(text, &us).ok()?.assume_utc();
    // The spool stores nanoseconds in an i64.
    i64::try_from(at.unix_timestamp_nanos()).ok().map(|_| at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROW: &str = r#"{"PartitionKey":"2020-06-01","RowKey":"a1","Timestamp":"2020-06-01T12:34:56.1234567Z","ActionCode":"INS","CreatedTime":"6/1/2020 12:34:56 PM","CustomerInfo":"{\"FirstName\":\"Ada\",\"LastName\":\"L\",\"Email\":\"ada@example.com\"}","Description":"notes","LeadSource":"AzureMarketplace-INS|contoso.offer","OfferDisplayName":"Contoso Offer"}"#;

    #[test]
    fn an_entity_line_gives_its_lead_and_position() {
        let row = read(3, ROW.as_bytes(), &ParseOptions::default()).unwrap();
        assert_eq!(row.line, 3);
        assert_eq!(row.lead.first_name.as_deref(), Some("Ada"));
        assert_eq!(row.lead.offer_title.as_deref(), Some("Contoso Offer"));
        assert_eq!(row.position.partition_key, "2020-06-01");
        assert_eq!(row.position.row_key, "a1");
        assert_eq!(row.position.timestamp.nanosecond(), 123_456_700);
        assert_eq!(
            row.position.to_string(),
            "2020-06-01T12:34:56.1234567Z 2020-06-01|a1"
        );
    }

    #[test]
    fn the_creation_time_comes_from_created_time_or_else_the_timestamp() {
        let options = ParseOptions::default();
        let row = read(1, ROW.as_bytes(), &options).unwrap();
        assert_eq!(
            row.created_at,
            time::macros::datetime!(2020-06-01 12:34:56 UTC)
        );
        assert!(!row.created_from_timestamp);
        let iso = ROW.replace("6/1/2020 12:34:56 PM", "2020-05-31T23:00:00Z");
        let row = read(1, iso.as_bytes(), &options).unwrap();
        assert_eq!(
            row.created_at,
            time::macros::datetime!(2020-05-31 23:00 UTC)
        );
        let morning = ROW.replace("12:34:56 PM", "9:05:00 am");
        let row = read(1, morning.as_bytes(), &options).unwrap();
        assert_eq!(
            row.created_at,
            time::macros::datetime!(2020-06-01 09:05 UTC)
        );
        for other in [
            ROW.replace(r#""CreatedTime":"6/1/2020 12:34:56 PM","#, ""),
            ROW.replace("6/1/2020 12:34:56 PM", "last week"),
        ] {
            let row = read(1, other.as_bytes(), &options).unwrap();
            assert_eq!(row.created_at, row.position.timestamp);
            assert!(row.created_from_timestamp);
        }
    }

    #[test]
    fn the_identity_is_the_keys_alone() {
        let row = read(1, ROW.as_bytes(), &ParseOptions::default()).unwrap();
        let mut later = row.position.clone();
        later.timestamp += time::Duration::days(3);
        assert_eq!(row.position.identity(), later.identity());
        let mut other = row.position.clone();
        other.row_key.push('2');
        assert_ne!(row.position.identity(), other.identity());
        let split = |pk: &str, rk: &str| RowPosition {
            partition_key: pk.into(),
            row_key: rk.into(),
            ..row.position.clone()
        };
        assert_ne!(split("a|b", "c").identity(), split("a", "b|c").identity());
        assert_eq!(row.position.identity().len(), 64);
    }

    #[test]
    fn bad_lines_say_which_line_and_why_without_values() {
        let options = ParseOptions::default();
        let not_json = read(7, b"{\"RowKey\":", &options).unwrap_err();
        assert_eq!(not_json.code, "not_json");
        assert!(not_json.reason.starts_with("Azure Table export line 7: "));

        let no_stamp = ROW.replace("\"Timestamp\"", "\"Stamp\"");
        let err = read(2, no_stamp.as_bytes(), &options).unwrap_err();
        assert_eq!(err.code, "missing_table_column");
        assert!(err.reason.contains("`Timestamp`"), "{}", err.reason);

        let bad_stamp = ROW.replace("2020-06-01T12:34:56.1234567Z", "yesterday");
        let err = read(2, bad_stamp.as_bytes(), &options).unwrap_err();
        assert_eq!(err.code, "bad_timestamp");
        assert!(!err.reason.contains("ada@"));
    }

    #[test]
    fn positions_order_by_time_then_keys() {
        let at = |stamp: &str, pk: &str, rk: &str| RowPosition {
            timestamp: OffsetDateTime::parse(stamp, &Rfc3339).unwrap(),
            partition_key: pk.into(),
            row_key: rk.into(),
        };
        let a = at("2020-06-01T00:00:00Z", "z", "z");
        let b = at("2020-06-01T00:00:00.0000001Z", "a", "a");
        let c = at("2020-06-01T00:00:00.0000001Z", "a", "b");
        assert!(a < b && b < c);
    }
}
