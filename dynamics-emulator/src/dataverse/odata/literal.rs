//! Literal values of OData expressions, and the date formats the Web API reads and writes.

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};
use uuid::Uuid;

/// A literal (also used as an owned, comparable value, e.g. in paging cookies).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// A string.
    Text(String),
    /// A GUID.
    Guid(Uuid),
    /// A date and time (Unix seconds, UTC).
    DateTime(i64),
    /// A date (Unix seconds of midnight UTC).
    Date(i64),
}

impl Literal {
    /// The EDM type name, for error messages.
    pub(crate) fn edm_type(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "Edm.Boolean",
            Self::Int(_) => "Edm.Int32",
            Self::Float(_) => "Edm.Decimal",
            Self::Text(_) => "Edm.String",
            Self::Guid(_) => "Edm.Guid",
            Self::DateTime(_) => "Edm.DateTimeOffset",
            Self::Date(_) => "Edm.Date",
        }
    }
}

/// Parses `YYYY-MM-DD` into the Unix seconds of that midnight (UTC).
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    Some(
        PrimitiveDateTime::new(date, Time::MIDNIGHT)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Parses an ISO 8601 date and time (`2020-01-02T10:00:00Z`, with an offset, fractional
/// seconds, or no seconds; without a zone it is UTC) into Unix seconds.
pub(crate) fn parse_datetime(text: &str) -> Option<i64> {
    if let Ok(parsed) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(parsed.unix_timestamp());
    }
    let (date, rest) = text.split_once('T')?;
    let midnight = parse_date(date)?;
    let (clock, offset_secs) = split_zone(rest)?;
    let mut fields = clock.split(':');
    let hours: i64 = fields.next()?.parse().ok()?;
    let minutes: i64 = fields.next()?.parse().ok()?;
    let seconds: f64 = fields.next().map_or(Some(0.0), |s| s.parse().ok())?;
    if fields.next().is_some() || hours > 23 || minutes > 59 || !(0.0..61.0).contains(&seconds) {
        return None;
    }
    midnight
        .checked_add(hours * 3600 + minutes * 60 + seconds.trunc() as i64)?
        .checked_sub(offset_secs)
}

fn split_zone(rest: &str) -> Option<(&str, i64)> {
    if let Some(clock) = rest.strip_suffix('Z') {
        return Some((clock, 0));
    }
    if let Some(at) = rest.rfind(['+', '-']) {
        let (clock, zone) = rest.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, m) = zone[1..].split_once(':').unwrap_or((&zone[1..], "00"));
        let offset = zone_field(h, 23)? * 3600 + zone_field(m, 59)? * 60;
        return Some((clock, sign * offset));
    }
    Some((rest, 0))
}

/// One field of a zone offset (`05` of `+05:30`): one or two digits, at most `max`. An offset
/// such as `+3000000000000000000:00` is not a date and time (and would overflow the seconds).
fn zone_field(text: &str, max: i64) -> Option<i64> {
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>().ok().filter(|value| *value <= max)
}

/// `2016-09-28T22:57:53Z`, the Web API's date-time format.
pub(crate) fn format_datetime(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds).map_or_else(
        |_| String::new(),
        |t| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        },
    )
}

/// `2016-09-28`, the Web API's date-only format.
pub(crate) fn format_date(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds).map_or_else(
        |_| String::new(),
        |t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
    )
}

/// `9/28/2016 10:57 PM`, the formatted value of a date and time (en-US, UTC).
pub(crate) fn format_datetime_display(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds).map_or_else(
        |_| String::new(),
        |t| {
            let (hour, meridiem) = match t.hour() {
                0 => (12, "AM"),
                h @ 1..=11 => (h, "AM"),
                12 => (12, "PM"),
                h => (h - 12, "PM"),
            };
            format!(
                "{}/{}/{} {}:{:02} {}",
                u8::from(t.month()),
                t.day(),
                t.year(),
                hour,
                t.minute(),
                meridiem
            )
        },
    )
}

/// `9/28/2016`, the formatted value of a date.
pub(crate) fn format_date_display(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds).map_or_else(
        |_| String::new(),
        |t| format!("{}/{}/{}", u8::from(t.month()), t.day(), t.year()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let seconds = parse_datetime("2016-09-28T22:57:53Z").expect("parses");
        assert_eq!(format_datetime(seconds), "2016-09-28T22:57:53Z");
        assert_eq!(format_datetime_display(seconds), "9/28/2016 10:57 PM");
        assert_eq!(parse_datetime("2016-09-28T23:57:53+01:00"), Some(seconds));
        assert_eq!(parse_datetime("2016-09-28T22:57"), Some(seconds - 53));
        let day = parse_date("2020-02-29").expect("leap day");
        assert_eq!(format_date(day), "2020-02-29");
        assert!(parse_date("2021-02-29").is_none());
    }

    #[test]
    fn zone_offsets_out_of_range_are_not_dates() {
        let utc = parse_datetime("2020-01-01T10:00Z").expect("parses");
        assert_eq!(parse_datetime("2020-01-01T10:00+05:30"), Some(utc - 19_800));
        assert_eq!(parse_datetime("2020-01-01T10:00-23:59"), Some(utc + 86_340));
        for text in [
            "2020-01-01T10:00+3000000000000000000:00",
            "2020-01-01T10:00-9223372036854775807:00",
            "2020-01-01T10:00+01:3000000000000000000",
            "2020-01-01T10:00+24:00",
            "2020-01-01T10:00+01:60",
            "2020-01-01T10:00++1:00",
            "2020-01-01T10:00+:00",
            "2020-01-01T10:00+001:00",
        ] {
            assert_eq!(parse_datetime(text), None, "{text}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 256,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Any zone text: a value only for offsets within ±23:59, never a panic.
        #[test]
        fn any_zone_offset_parses_or_is_refused(h in proptest::num::i64::ANY, m in 0i64..200, minus: bool) {
            let sign = if minus { '-' } else { '+' };
            let parsed = parse_datetime(&format!("2020-01-01T10:00{sign}{h}:{m:02}"));
            proptest::prop_assert_eq!(parsed.is_some(), (0..=23).contains(&h) && m <= 59);
        }
    }
}
