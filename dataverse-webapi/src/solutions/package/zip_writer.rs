//! Writes named text files into a zip in memory, with fixed timestamps so the bytes depend
//! only on the content.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::error::SolutionPackageError;

pub(crate) fn write(files: &[(&str, String)]) -> Result<Vec<u8>, SolutionPackageError> {
    let failed = |e: &dyn std::fmt::Display| SolutionPackageError::Zip(e.to_string());
    // 1980-01-01 00:00, the earliest time a zip entry can hold: never "now".
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in files {
        zip.start_file(*name, options).map_err(|e| failed(&e))?;
        zip.write_all(text.as_bytes()).map_err(|e| failed(&e))?;
    }
    Ok(zip.finish().map_err(|e| failed(&e))?.into_inner())
}
