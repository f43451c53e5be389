//! Server-controlled enums: every one parses infallibly from the string form (v1.2), the
//! integer form (v1, the position in the enum as published) or anything else (kept as
//! `Unknown`), and serialises as the string form.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

macro_rules! server_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this client does not know (a newer service's, or an integer outside
            /// the published enum), kept as it was sent.
            Unknown(String),
        }

        impl $name {
            /// The known values in the published order; the v1 integer form of a value is
            /// its index here.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The wire name (`Unknown` gives back what the service sent).
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Unknown(s) => s,
                }
            }

            /// Reads the string form, case-insensitively; never fails.
            pub fn from_name(s: &str) -> Self {
                let t = s.trim();
                $( if t.eq_ignore_ascii_case($wire) { return $name::$variant; } )+
                if let Ok(i) = t.parse::<i64>() {
                    return Self::from_index(i);
                }
                $name::Unknown(s.to_string())
            }

            /// Reads the integer form (the position in the published enum); never fails.
            pub fn from_index(i: i64) -> Self {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| Self::KNOWN.get(i))
                    .cloned()
                    .unwrap_or_else(|| $name::Unknown(i.to_string()))
            }

            fn from_value(v: Value) -> Self {
                match v {
                    Value::String(s) => Self::from_name(&s),
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => Self::from_index(i),
                        None => $name::Unknown(n.to_string()),
                    },
                    Value::Null => $name::Unknown(String::new()),
                    other => $name::Unknown(other.to_string()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_name(s))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Self::from_value(Value::deserialize(d)?))
            }
        }
    };
}

server_enum! {
    /// The state of a long-running operation (`OperationStatus.Status`).
    ///
    /// v1 sends it as an integer (`6` = `Succeeded`), v1.2 as a string; both parse.
    OperationState {
        /// `None`.
        None = "None",
        /// The operation could not be created (`FailedToCreate`).
        FailedToCreate = "FailedToCreate",
        /// Accepted, not started yet.
        NotStarted = "NotStarted",
        /// `Ready`.
        Ready = "Ready",
        /// Waiting to run.
        Pending = "Pending",
        /// Running.
        Running = "Running",
        /// Finished successfully.
        Succeeded = "Succeeded",
        /// Finished with an error.
        Failed = "Failed",
        /// Being cancelled.
        Cancelling = "Cancelling",
        /// Cancelled.
        Cancelled = "Cancelled",
        /// Being aborted.
        Aborting = "Aborting",
        /// Aborted.
        Aborted = "Aborted",
        /// `Tombstone`.
        Tombstone = "Tombstone",
        /// Being deleted.
        Deleting = "Deleting",
        /// Deleted.
        Deleted = "Deleted",
        /// No such operation (v1.2).
        NotFound = "NotFound",
        /// Conflicts with another operation (v1.2).
        Conflict = "Conflict",
    }
}

impl OperationState {
    /// `true` once the operation will not change any more: `Succeeded`, `Failed`,
    /// `FailedToCreate`, `Cancelled`, `Aborted`, `Deleted`, `NotFound` and `Conflict`.
    ///
    /// Microsoft documents no terminal set; this one is read from the state names and the
    /// published examples and is **unconfirmed**. Every other state, `Unknown` included,
    /// keeps a poller polling (until its time limit).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            OperationState::Succeeded
                | OperationState::Failed
                | OperationState::FailedToCreate
                | OperationState::Cancelled
                | OperationState::Aborted
                | OperationState::Deleted
                | OperationState::NotFound
                | OperationState::Conflict
        )
    }

    /// `true` for `Succeeded` only.
    pub fn is_success(&self) -> bool {
        matches!(self, OperationState::Succeeded)
    }

    /// `true` for a terminal state other than `Succeeded`.
    pub fn is_failure(&self) -> bool {
        self.is_terminal() && !self.is_success()
    }
}

server_enum! {
    /// The state of an instance (Dataverse environment).
    InstanceState {
        /// `None`.
        None = "None",
        /// Ready for use.
        Ready = "Ready",
        /// Being provisioned or changed.
        Pending = "Pending",
        /// `Inactive`.
        Inactive = "Inactive",
        /// `Disabled`.
        Disabled = "Disabled",
        /// Provisioning failed.
        FailedProvisioning = "FailedProvisioning",
        /// `PreparingInstance`.
        PreparingInstance = "PreparingInstance",
        /// `ReadyToConfigure`.
        ReadyToConfigure = "ReadyToConfigure",
        /// `Locked`.
        Locked = "Locked",
    }
}

server_enum! {
    /// The type of an instance.
    InstanceType {
        /// `None`.
        None = "None",
        /// Production.
        Production = "Production",
        /// Sandbox.
        Sandbox = "Sandbox",
        /// Support.
        Support = "Support",
        /// Preview.
        Preview = "Preview",
        /// Trial.
        Trial = "Trial",
        /// The tenant's default environment (v1.2).
        Default = "Default",
        /// Developer (v1.2).
        Developer = "Developer",
    }
}

impl InstanceType {
    /// `true` for the types the v1 API knows (`Default` and `Developer` are v1.2 only).
    pub fn is_in_v1(&self) -> bool {
        !matches!(
            self,
            InstanceType::Default | InstanceType::Developer | InstanceType::Unknown(_)
        )
    }
}

server_enum! {
    /// Who encrypts an instance's data (v1.2).
    ProtectionStatus {
        /// Microsoft-managed keys.
        MicrosoftEncrypted = "MicrosoftEncrypted",
        /// The tenant's own key.
        TenantEncrypted = "TenantEncrypted",
    }
}

server_enum! {
    /// The state of a tenant protection key (v1.2).
    KeyState {
        /// Imported.
        Imported = "Imported",
        /// Being installed.
        Installing = "Installing",
        /// Available.
        Available = "Available",
        /// Active.
        Active = "Active",
        /// Locked.
        Locked = "Locked",
        /// Installation failed.
        InstallationFailed = "InstallationFailed",
        /// `None`.
        None = "None",
    }
}

server_enum! {
    /// The state of a user notification (v1.2).
    NotificationState {
        /// `None`.
        None = "None",
        /// `Ready`.
        Ready = "Ready",
        /// Not read yet.
        Unread = "Unread",
        /// Read.
        Read = "Read",
        /// `Pending`.
        Pending = "Pending",
        /// `Inactive`.
        Inactive = "Inactive",
        /// `Disabled`.
        Disabled = "Disabled",
        /// `FailedProvisioning`.
        FailedProvisioning = "FailedProvisioning",
        /// `ReadyToConfigure`.
        ReadyToConfigure = "ReadyToConfigure",
        /// `Locked`.
        Locked = "Locked",
    }
}

server_enum! {
    /// The priority of a user notification (v1.2).
    NotificationPriority {
        /// The service's own `Unknown` priority (not to be confused with
        /// [`NotificationPriority::Unknown`], a value this client does not know).
        Unspecified = "Unknown",
        /// High.
        High = "High",
        /// Low.
        Low = "Low",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: for<'de> Deserialize<'de>>(json: &str) -> T {
        serde_json::from_str(json).expect("never fails")
    }

    #[test]
    fn integers_map_by_position_and_strings_by_name() {
        assert_eq!(parse::<OperationState>("6"), OperationState::Succeeded);
        assert_eq!(parse::<OperationState>("2"), OperationState::NotStarted);
        assert_eq!(parse::<OperationState>("1"), OperationState::FailedToCreate);
        assert_eq!(parse::<OperationState>("16"), OperationState::Conflict);
        assert_eq!(
            parse::<OperationState>("\"succeeded\""),
            OperationState::Succeeded
        );
        assert_eq!(parse::<OperationState>("\"6\""), OperationState::Succeeded);
        assert_eq!(
            parse::<InstanceState>("5"),
            InstanceState::FailedProvisioning
        );
        assert_eq!(parse::<KeyState>("3"), KeyState::Active);
    }

    #[test]
    fn anything_else_is_kept_as_unknown() {
        assert_eq!(
            parse::<OperationState>("\"Hibernating\""),
            OperationState::Unknown("Hibernating".into())
        );
        assert_eq!(
            parse::<OperationState>("99"),
            OperationState::Unknown("99".into())
        );
        assert_eq!(
            parse::<OperationState>("-1"),
            OperationState::Unknown("-1".into())
        );
        assert_eq!(
            parse::<OperationState>("1.5"),
            OperationState::Unknown("1.5".into())
        );
        assert_eq!(
            parse::<OperationState>("{\"a\":1}"),
            OperationState::Unknown("{\"a\":1}".into())
        );
        let u = OperationState::Unknown("Hibernating".into());
        assert!(!u.is_terminal());
        assert_eq!(serde_json::to_string(&u).expect("ser"), "\"Hibernating\"");
    }

    #[test]
    fn terminal_and_success_sets() {
        let terminal: Vec<&str> = OperationState::KNOWN
            .iter()
            .filter(|s| s.is_terminal())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            terminal,
            [
                "FailedToCreate",
                "Succeeded",
                "Failed",
                "Cancelled",
                "Aborted",
                "Deleted",
                "NotFound",
                "Conflict"
            ]
        );
        assert!(OperationState::Succeeded.is_success());
        assert!(OperationState::Failed.is_failure());
        assert!(!OperationState::Running.is_failure());
    }

    #[test]
    fn the_service_priority_named_unknown_is_not_our_unknown() {
        assert_eq!(
            parse::<NotificationPriority>("\"Unknown\""),
            NotificationPriority::Unspecified
        );
        assert_eq!(NotificationPriority::Unspecified.as_str(), "Unknown");
    }
}
