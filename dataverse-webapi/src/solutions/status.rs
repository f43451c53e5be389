//! The state and status of an async operation (`asyncoperations.statecode` / `statuscode`).

use std::fmt;

use serde_json::Value;

/// `asyncoperation.statecode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AsyncOperationState {
    /// 0: ready to run.
    Ready,
    /// 1: suspended (it may resume).
    Suspended,
    /// 2: locked (running).
    Locked,
    /// 3: completed; the status says how.
    Completed,
    /// A value this crate does not know.
    Unknown(i32),
}

impl AsyncOperationState {
    /// From the option value.
    pub fn from_code(code: i32) -> Self {
        match code {
            0 => Self::Ready,
            1 => Self::Suspended,
            2 => Self::Locked,
            3 => Self::Completed,
            other => Self::Unknown(other),
        }
    }

    /// The option value.
    pub fn code(self) -> i32 {
        match self {
            Self::Ready => 0,
            Self::Suspended => 1,
            Self::Locked => 2,
            Self::Completed => 3,
            Self::Unknown(code) => code,
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Self::Ready, Self::Suspended, Self::Locked, Self::Completed]
            .into_iter()
            .find(|s| format!("{s:?}").eq_ignore_ascii_case(name))
    }
}

/// `asyncoperation.statuscode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AsyncOperationStatus {
    /// 0.
    WaitingForResources,
    /// 10.
    Waiting,
    /// 20.
    InProgress,
    /// 21.
    Pausing,
    /// 22.
    Canceling,
    /// 30: finished successfully.
    Succeeded,
    /// 31: finished with an error.
    Failed,
    /// 32: canceled.
    Canceled,
    /// A value this crate does not know.
    Unknown(i32),
}

impl AsyncOperationStatus {
    const KNOWN: [Self; 8] = [
        Self::WaitingForResources,
        Self::Waiting,
        Self::InProgress,
        Self::Pausing,
        Self::Canceling,
        Self::Succeeded,
        Self::Failed,
        Self::Canceled,
    ];

    /// From the option value.
    pub fn from_code(code: i32) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or(Self::Unknown(code))
    }

    /// The option value.
    pub fn code(self) -> i32 {
        match self {
            Self::WaitingForResources => 0,
            Self::Waiting => 10,
            Self::InProgress => 20,
            Self::Pausing => 21,
            Self::Canceling => 22,
            Self::Succeeded => 30,
            Self::Failed => 31,
            Self::Canceled => 32,
            Self::Unknown(code) => code,
        }
    }

    /// `true` for the end states: succeeded, failed, canceled.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::KNOWN
            .into_iter()
            .find(|s| format!("{s:?}").eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for AsyncOperationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(code) => write!(f, "state {code}"),
            known => write!(f, "{known:?} ({})", known.code()),
        }
    }
}

impl fmt::Display for AsyncOperationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(code) => write!(f, "status {code}"),
            known => write!(f, "{known:?} ({})", known.code()),
        }
    }
}

/// An option value as the service sends it: a number, a numeric string, or the name.
/// `Ok(None)` when absent or null; `Err` for any other shape.
pub(crate) fn option_value(
    value: Option<&Value>,
    column: &str,
) -> Result<Option<OptionValue>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(|n| Some(OptionValue::Code(n)))
            .ok_or_else(|| format!("{column} is not a whole number: {n}")),
        Some(Value::String(s)) => Ok(Some(match s.trim().parse::<i32>() {
            Ok(n) => OptionValue::Code(n),
            Err(_) => OptionValue::Name(dynamics_http::capped(s, 100)),
        })),
        Some(other) => Err(format!(
            "{column} is neither a number nor a string (a JSON {})",
            json_kind(other)
        )),
    }
}

/// A parsed option value.
pub(crate) enum OptionValue {
    Code(i32),
    Name(String),
}

pub(crate) fn state(value: OptionValue) -> AsyncOperationState {
    match value {
        OptionValue::Code(n) => AsyncOperationState::from_code(n),
        OptionValue::Name(name) => {
            AsyncOperationState::from_name(&name).unwrap_or(AsyncOperationState::Unknown(-1))
        }
    }
}

pub(crate) fn status(value: OptionValue) -> AsyncOperationStatus {
    match value {
        OptionValue::Code(n) => AsyncOperationStatus::from_code(n),
        OptionValue::Name(name) => {
            AsyncOperationStatus::from_name(&name).unwrap_or(AsyncOperationStatus::Unknown(-1))
        }
    }
}

pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknowns_are_kept() {
        for code in [0, 1, 2, 3, 7, -5] {
            assert_eq!(AsyncOperationState::from_code(code).code(), code);
        }
        for code in [0, 10, 20, 21, 22, 30, 31, 32, 99] {
            assert_eq!(AsyncOperationStatus::from_code(code).code(), code);
        }
        assert_eq!(
            AsyncOperationStatus::from_code(99),
            AsyncOperationStatus::Unknown(99)
        );
        assert!(AsyncOperationStatus::Failed.is_final());
        assert!(!AsyncOperationStatus::InProgress.is_final());
    }

    #[test]
    fn option_values_accept_numbers_numeric_strings_and_names() {
        let v = serde_json::json!("30");
        let parsed = option_value(Some(&v), "statuscode")
            .expect("ok")
            .expect("some");
        assert_eq!(status(parsed), AsyncOperationStatus::Succeeded);
        let v = serde_json::json!("Completed");
        let parsed = option_value(Some(&v), "statecode")
            .expect("ok")
            .expect("some");
        assert_eq!(state(parsed), AsyncOperationState::Completed);
        let v = serde_json::json!({"x": 1});
        assert!(option_value(Some(&v), "statecode").is_err());
        let v = serde_json::json!(1e20);
        assert!(option_value(Some(&v), "statecode").is_err());
        assert!(option_value(None, "statecode").expect("ok").is_none());
    }
}
