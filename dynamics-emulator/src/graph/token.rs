//! Opaque state tokens: `$skiptoken` of list pages (the last object ID served) and the delta
//! query's `$skiptoken`/`$deltatoken` (tenant, epoch, issue time, tracked `$select`, position).
//! They are base64url text; clients must not look inside ("State tokens").

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

/// Where a list page ends: the next page starts after this object ID.
pub(crate) fn encode_cursor(after: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("c1|{after}"))
}

/// The object ID a list `$skiptoken` names, or `None` for a token this emulator did not issue.
pub(crate) fn decode_cursor(token: &str) -> Option<Uuid> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(token.trim()).ok()?).ok()?;
    Uuid::parse_str(text.strip_prefix("c1|")?).ok()
}

/// Where a delta round stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The initial round, listing current users after an object ID, then ending at `high`.
    Initial { after: Option<Uuid>, high: u64 },
    /// A changes round since `since`, listing log entries in `(after, high]`.
    Changes { since: u64, after: u64, high: u64 },
    /// A finished round (a delta link): the next round lists changes after `since`.
    Done { since: u64 },
}

/// The state a delta token carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeltaState {
    pub(crate) tenant: Uuid,
    pub(crate) epoch: u64,
    /// When the token was issued (Unix seconds, emulator clock): it expires 7 days later.
    pub(crate) issued: i64,
    /// The canonical `$select` of the initial request (empty: default properties).
    pub(crate) select: Vec<String>,
    pub(crate) phase: Phase,
}

impl DeltaState {
    /// Seconds since the token was issued, or `None` for an issue time after `now` (a forged
    /// or foreign token: the emulator never issues one from the future). Checked, so no
    /// `issued` can overflow.
    pub(crate) fn age(&self, now: i64) -> Option<i64> {
        now.checked_sub(self.issued).filter(|age| *age >= 0)
    }

    pub(crate) fn encode(&self) -> String {
        let phase = match &self.phase {
            Phase::Initial { after, high } => format!(
                "I,{},{high}",
                after.map(|a| a.to_string()).unwrap_or_default()
            ),
            Phase::Changes { since, after, high } => format!("C,{since},{after},{high}"),
            Phase::Done { since } => format!("D,{since}"),
        };
        URL_SAFE_NO_PAD.encode(format!(
            "d1|{}|{}|{}|{}|{phase}",
            self.tenant,
            self.epoch,
            self.issued,
            self.select.join(",")
        ))
    }

    /// The state, or `None` for a token this emulator did not issue.
    pub(crate) fn decode(token: &str) -> Option<Self> {
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(token.trim()).ok()?).ok()?;
        let mut parts = text.split('|');
        if parts.next()? != "d1" {
            return None;
        }
        let tenant = Uuid::parse_str(parts.next()?).ok()?;
        let epoch = parts.next()?.parse().ok()?;
        let issued = parts.next()?.parse().ok()?;
        let select = parts
            .next()?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let phase_text = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let fields: Vec<&str> = phase_text.split(',').collect();
        let phase = match fields.as_slice() {
            ["I", after, high] => Phase::Initial {
                after: if after.is_empty() {
                    None
                } else {
                    Some(Uuid::parse_str(after).ok()?)
                },
                high: high.parse().ok()?,
            },
            ["C", since, after, high] => {
                let (since, after, high) =
                    (since.parse().ok()?, after.parse().ok()?, high.parse().ok()?);
                // The emulator only issues `since <= after <= high`; anything else is forged.
                if since > after || after > high {
                    return None;
                }
                Phase::Changes { since, after, high }
            }
            ["D", since] => Phase::Done {
                since: since.parse().ok()?,
            },
            _ => return None,
        };
        Some(Self {
            tenant,
            epoch,
            issued,
            select,
            phase,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let id = Uuid::from_u128(42);
        assert_eq!(decode_cursor(&encode_cursor(id)), Some(id));
        assert_eq!(decode_cursor("not-a-token"), None);
        for phase in [
            Phase::Initial {
                after: None,
                high: 3,
            },
            Phase::Initial {
                after: Some(id),
                high: 3,
            },
            Phase::Changes {
                since: 1,
                after: 4,
                high: 9,
            },
            Phase::Done { since: 9 },
        ] {
            let state = DeltaState {
                tenant: id,
                epoch: 2,
                issued: 1_700_000_000,
                select: vec!["id".into(), "department".into()],
                phase,
            };
            assert_eq!(DeltaState::decode(&state.encode()), Some(state));
        }
        assert_eq!(DeltaState::decode(&encode_cursor(id)), None);
    }

    #[test]
    fn the_age_of_a_forged_issue_time_is_refused_not_overflowed() {
        let at = |issued: i64| DeltaState {
            tenant: Uuid::nil(),
            epoch: 0,
            issued,
            select: Vec::new(),
            phase: Phase::Done { since: 0 },
        };
        assert_eq!(at(100).age(160), Some(60));
        assert_eq!(at(160).age(160), Some(0));
        assert_eq!(at(161).age(160), None);
        assert_eq!(at(i64::MIN).age(160), None);
        assert_eq!(at(i64::MAX).age(160), None);
        assert_eq!(at(i64::MIN).age(-1), Some(i64::MAX));
    }
}
