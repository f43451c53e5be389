#![doc = include_str!("../README.md")]

mod admin;
mod certificate;
mod claims;
mod clock;
mod config;
mod dataverse;
mod der;
mod directory;
mod entra;
mod environments;
mod error;
mod grants;
mod graph;
mod listener;
mod resource;
mod scope;
mod seed;
mod seeder;
mod server;
mod signing;
mod state;
mod tls;
mod validate;
mod wire_enum;

pub use admin::OperationOutcome;
pub use certificate::TestCertificate;
pub use claims::Claims;
pub use clock::ClockHandle;
pub use config::{DeviceCodeBehaviour, EmulatorConfig};
pub use dataverse::{
    AlternateKeySeed, BatchCounting, Ceiling, CeilingBound, ColumnSeed, ColumnType,
    DataverseConfig, DataverseLimits, FaultInjection, LatencyModel, SecurityEnforcement, TableSeed,
};
pub use error::EmulatorError;
pub use seed::{
    AdminRole, AppSeed, ConsentSeed, DYNAMICS_365_SKU_ID, DefaultSeed, GeneratedUsers, GroupSeed,
    InstanceSeed, InstanceState, InstanceType, MfaState, PlaceSeed, SecretSeed, SeedFile,
    SeededUser, TenantFile, TenantSeed, UserSeed,
};
pub use seeder::Seeder;
pub use server::Emulator;
pub use validate::TokenRejection;
