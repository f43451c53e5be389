//! Reading the lifetimes in token-endpoint answers without trusting them: numbers or strings,
//! integers or floats, any size or sign, and clamping the result to sane bounds so no
//! `Duration` or `OffsetDateTime` arithmetic can overflow.

use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The longest lifetime believed from a token answer: one day.
///
/// Entra ID issues access tokens for 60 to 90 minutes by default, and its configurable token
/// lifetime policy allows at most one day. A longer (or absurd) value from a server is cut to
/// this, so the token is refreshed at least daily.
pub(crate) const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// The lifetime assumed when an answer gives none we can use: the shortest Entra issues, so
/// the token is refreshed soon.
pub(crate) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// A successful token answer, v1 or v2.
///
/// Unknown fields (`ext_expires_in`, `scope`, `id_token`, ...) are ignored; lifetimes that
/// cannot be read are ignored too (with a debug log) rather than failing a sign-in that
/// returned a usable token.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: Secret,
    /// Seconds from now; a number in v2 answers and a string in v1 answers.
    #[serde(default, deserialize_with = "lenient_seconds")]
    expires_in: Option<i128>,
    /// v1 only: absolute expiry in epoch seconds (or, from some servers, an RFC 3339 date).
    #[serde(default, deserialize_with = "lenient_instant")]
    expires_on: Option<i128>,
    pub(crate) refresh_token: Option<Secret>,
}

impl TokenResponse {
    /// The token, expiring at the time the answer gives, clamped to between `now` and
    /// `now +` [`MAX_TOKEN_LIFETIME`].
    pub(crate) fn access_token(&self, now: OffsetDateTime) -> AccessToken {
        AccessToken::new(self.access_token.clone(), self.expires_at(now))
    }

    pub(crate) fn expires_at(&self, now: OffsetDateTime) -> OffsetDateTime {
        let seconds = match (self.expires_on, self.expires_in) {
            (Some(on), _) => on.saturating_sub(i128::from(now.unix_timestamp())),
            (None, Some(seconds)) => seconds,
            (None, None) => i128::from(DEFAULT_TOKEN_LIFETIME.as_secs()),
        };
        add_clamped(now, seconds, MAX_TOKEN_LIFETIME)
    }
}

/// `now + seconds`, with `seconds` clamped to `0..=max`; never overflows.
pub(crate) fn add_clamped(now: OffsetDateTime, seconds: i128, max: Duration) -> OffsetDateTime {
    let seconds = clamp_seconds(seconds, max);
    now.checked_add(time::Duration::seconds(seconds as i64))
        .unwrap_or(now)
}

/// `seconds` clamped to `0..=max` as a [`Duration`].
pub(crate) fn clamp_seconds(seconds: i128, max: Duration) -> u64 {
    seconds.clamp(0, i128::from(max.as_secs())) as u64
}

/// A number of seconds from a JSON number (integer or float, any size) or a string holding
/// one. Anything else is `None`. Fractions are cut off; sizes saturate at the `i128` range.
pub(crate) fn seconds_of(value: &Value) -> Option<i128> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Some(i128::from(u))
            } else {
                n.as_f64().and_then(float_seconds)
            }
        }
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i128>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(float_seconds))
        }
        _ => None,
    }
}

/// Float to whole seconds; `as` saturates, and NaN/infinity are refused.
fn float_seconds(f: f64) -> Option<i128> {
    f.is_finite().then_some(f as i128)
}

/// An instant in epoch seconds from a number, a numeric string or an RFC 3339 date.
fn instant_of(value: &Value) -> Option<i128> {
    seconds_of(value).or_else(|| match value {
        Value::String(s) => OffsetDateTime::parse(s.trim(), &Rfc3339)
            .ok()
            .map(|t| i128::from(t.unix_timestamp())),
        _ => None,
    })
}

/// `serde` adapter for [`seconds_of`]: an unreadable value is `None`, never an error.
pub(crate) fn lenient_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i128>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(value.as_ref().and_then(|v| {
        let seconds = seconds_of(v);
        if seconds.is_none() && !v.is_null() {
            tracing::debug!("ignoring a lifetime that is not a number of seconds");
        }
        seconds
    }))
}

fn lenient_instant<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i128>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(value.as_ref().and_then(|v| {
        let instant = instant_of(v);
        if instant.is_none() && !v.is_null() {
            tracing::debug!("ignoring an expires_on that is neither epoch seconds nor a date");
        }
        instant
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("time")
    }

    fn lifetime(body: &str) -> i64 {
        let r: TokenResponse = serde_json::from_str(body).expect(body);
        (r.access_token(now()).expires_on - now()).whole_seconds()
    }

    const DAY: i64 = 24 * 60 * 60;

    #[test]
    fn expires_in_may_be_a_number_or_a_string() {
        for body in [
            r#"{"access_token":"a","expires_in":3599,"token_type":"Bearer"}"#,
            r#"{"access_token":"a","expires_in":"3599","token_type":"Bearer"}"#,
            r#"{"access_token":"a","expires_in":3599.9,"token_type":"Bearer"}"#,
            r#"{"access_token":"a","expires_in":" 3599.2 ","token_type":"Bearer"}"#,
        ] {
            assert_eq!(lifetime(body), 3599, "{body}");
        }
        let v1: TokenResponse = serde_json::from_str(
            r#"{"access_token":"a","expires_in":"3599","expires_on":"1700001000","resource":"https://x/"}"#,
        )
        .expect("v1");
        assert_eq!(
            v1.access_token(now()).expires_on.unix_timestamp(),
            1_700_001_000
        );
    }

    #[test]
    fn absurd_expires_in_values_are_clamped_not_panics() {
        let cases = [
            ("1000000000000", DAY),
            ("\"1000000000000\"", DAY),
            (&i64::MAX.to_string(), DAY),
            (&u64::MAX.to_string(), DAY),
            (&format!("\"{}\"", u64::MAX), DAY),
            ("340282366920938463463374607431768211455", DAY),
            ("1e300", DAY),
            ("\"1e300\"", DAY),
            ("-1", 0),
            (&i64::MIN.to_string(), 0),
            ("\"-5\"", 0),
            ("-1e300", 0),
            ("0", 0),
            ("0.5", 0),
            // Unreadable: ignored, so the default lifetime applies.
            ("\"soon\"", 300),
            ("true", 300),
            ("[1]", 300),
            ("{\"s\":1}", 300),
            ("null", 300),
        ];
        for (value, expected) in cases {
            let body = format!(r#"{{"access_token":"a","expires_in":{value}}}"#);
            assert_eq!(lifetime(&body), expected, "{body}");
        }
    }

    #[test]
    fn absurd_expires_on_values_are_clamped_not_panics() {
        let cases = [
            // Year +9999 and -9999, as dates and as epoch seconds.
            ("\"9999-12-31T23:59:59Z\"", DAY),
            ("\"+9999-12-31T23:59:59Z\"", 300),
            ("\"-9999-01-01T00:00:00Z\"", 300),
            ("253402300799", DAY),
            ("-377705116800", 0),
            (&i64::MAX.to_string(), DAY),
            (&i64::MIN.to_string(), 0),
            (&u64::MAX.to_string(), DAY),
            ("1e308", DAY),
            ("-1e308", 0),
            ("\"0001-01-01T00:00:00Z\"", 0),
            ("\"2023-11-14T22:13:20Z\"", 0),
            ("\"2023-11-14T23:03:20Z\"", 3000),
        ];
        for (value, expected) in cases {
            let body = format!(r#"{{"access_token":"a","expires_on":{value}}}"#);
            assert_eq!(lifetime(&body), expected, "{body}");
        }
    }

    #[test]
    fn a_clock_at_the_end_of_time_does_not_overflow() {
        let end = OffsetDateTime::from_unix_timestamp(253_402_300_799).expect("year 9999");
        let r: TokenResponse =
            serde_json::from_str(r#"{"access_token":"a","expires_in":3600}"#).expect("parses");
        assert_eq!(r.access_token(end).expires_on, end);
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("JSON has no NaN", |f| f.is_finite())
                .prop_map(Value::from),
            any::<i64>().prop_map(|i| Value::from(i.to_string())),
            any::<f64>().prop_map(|f| Value::from(f.to_string())),
            "[-+0-9eE.:TZ ]{0,24}".prop_map(Value::from),
            (-99_999i32..=99_999, 1u8..=12, 1u8..=28)
                .prop_map(|(y, m, d)| { Value::from(format!("{y:+05}-{m:02}-{d:02}T00:00:00Z")) }),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
                prop::collection::hash_map("[a-z]{1,3}", inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn any_lifetime_fields_parse_or_fail_typed_and_stay_in_bounds(
            expires_in in prop::option::of(any_json()),
            expires_on in prop::option::of(any_json()),
            ext_expires_in in prop::option::of(any_json()),
            clock in -62_000_000_000i64..253_402_300_799,
        ) {
            let mut body = serde_json::json!({"access_token": "a", "token_type": "Bearer"});
            for (key, value) in [
                ("expires_in", expires_in),
                ("expires_on", expires_on),
                ("ext_expires_in", ext_expires_in),
            ] {
                if let Some(value) = value {
                    body[key] = value;
                }
            }
            let now = OffsetDateTime::from_unix_timestamp(clock).expect("in range");
            let parsed: TokenResponse = serde_json::from_value(body).expect("lifetimes never fail a parse");
            let expires = parsed.access_token(now).expires_on;
            prop_assert!(expires >= now);
            prop_assert!(expires <= now + MAX_TOKEN_LIFETIME);
        }

        #[test]
        fn valid_lifetimes_round_trip(seconds in 0u64..=86_400, as_string in any::<bool>()) {
            let value = if as_string { Value::from(seconds.to_string()) } else { Value::from(seconds) };
            let body = serde_json::json!({"access_token": "a", "expires_in": value, "ext_expires_in": value});
            let parsed: TokenResponse = serde_json::from_value(body).expect("valid");
            prop_assert_eq!(parsed.access_token(now()).expires_on, now() + Duration::from_secs(seconds));
            let on = serde_json::json!({"access_token": "a", "expires_on": (1_700_000_000 + seconds).to_string()});
            let parsed: TokenResponse = serde_json::from_value(on).expect("valid");
            prop_assert_eq!(parsed.access_token(now()).expires_on, now() + Duration::from_secs(seconds));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            if let Ok(parsed) = serde_json::from_slice::<TokenResponse>(&bytes) {
                let expires = parsed.access_token(now()).expires_on;
                prop_assert!(expires >= now() && expires <= now() + MAX_TOKEN_LIFETIME);
            }
        }
    }
}
