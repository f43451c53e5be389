//! The request and response bodies of the Online Management API, tolerant of what the
//! service sends: PascalCase (the schema) and camelCase (the published examples) keys, enums
//! as strings (v1.2) or integers (v1), missing optional fields, and unknown fields kept.

mod backup;
mod catalog;
pub(crate) mod de;
mod enums;
mod identity;
mod instance;
mod keys;
mod notifications;
mod operation;

pub use backup::{AzureStorage, InstanceBackup, NewInstanceBackup};
pub use catalog::{
    CurrencyRegion, InstanceTypeInfo, Language, ServiceVersion, SupportedRelease, Template,
};
pub use enums::{
    InstanceState, InstanceType, KeyState, NotificationPriority, NotificationState, OperationState,
    ProtectionStatus,
};
pub use identity::TenantApplicationIdentity;
pub use instance::{
    ConfigureInstanceSettings, Currency, Instance, InstanceAdminModeSettings, InstanceRestorePoint,
    NewInstance, ResetRequest,
};
pub use keys::{GenerateKeyData, ImportKeyData, KeyMaterial, TenantProtectionKey};
pub use notifications::{
    EnvironmentMetadata, NotificationContent, NotificationQuery, UserNotification,
};
pub use operation::{ItemDescription, OperationContext, OperationQuery, OperationStatus};
