#![doc = include_str!("../README.md")]

mod certificate;
mod claims;
mod clock;
mod config;
mod der;
mod directory;
mod entra;
mod error;
mod grants;
mod resource;
mod scope;
mod seed;
mod seeder;
mod server;
mod signing;
mod state;
mod validate;

pub use certificate::TestCertificate;
pub use claims::Claims;
pub use clock::ClockHandle;
pub use config::{DeviceCodeBehaviour, EmulatorConfig};
pub use error::EmulatorError;
pub use seed::{
    AppSeed, ConsentSeed, DefaultSeed, MfaState, SecretSeed, SeedFile, SeededUser, TenantFile,
    TenantSeed, UserSeed,
};
pub use seeder::Seeder;
pub use server::Emulator;
pub use validate::TokenRejection;
