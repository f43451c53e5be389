//! Writes the platform makes on its own (a role's copies, its privileges): they run in seeding
//! mode, so read-only columns can be set and the security triggers do not fire again.

use crate::dataverse::errors::ApiError;
use crate::dataverse::write::body::WriteMode;
use crate::dataverse::write::ops::Writer;

/// Runs `work` with the writer in seeding mode, restoring its mode afterwards.
pub(crate) fn as_platform<T>(
    writer: &mut Writer<'_>,
    work: impl FnOnce(&mut Writer<'_>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let before = writer.mode;
    writer.mode = WriteMode::Seed;
    let result = work(writer);
    writer.mode = before;
    result
}

/// Whether the writer acts for a client (triggers run) rather than for the platform.
pub(crate) fn is_client(writer: &Writer<'_>) -> bool {
    writer.mode == WriteMode::Client
}
