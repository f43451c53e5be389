//! Printing results: aligned tables for people, JSON for scripts.

use std::io::{self, Write};

use serde::Serialize;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Aligned columns and sentences.
    Human,
    /// One JSON document on stdout.
    Json,
}

/// A table with a header row; cells are plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub(crate) fn new<I, S>(headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells print empty, extra cells are dropped.
    pub(crate) fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut cells: Vec<String> = cells.into_iter().map(Into::into).collect();
        cells.resize(self.headers.len(), String::new());
        self.rows.push(cells);
    }

    /// The table as text: columns padded to their widest cell, two spaces apart, no trailing
    /// spaces.
    pub(crate) fn render(&self) -> String {
        let width = |i: usize| {
            std::iter::once(&self.headers[i])
                .chain(self.rows.iter().map(|r| &r[i]))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.headers.len()).map(width).collect();
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    out.push_str("  ");
                }
                out.push_str(cell);
                if i + 1 < cells.len() {
                    let pad = widths[i].saturating_sub(cell.chars().count());
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.trim_end().to_owned()
        };
        let mut text = line(&self.headers);
        text.push('\n');
        for row in &self.rows {
            text.push_str(&line(row));
            text.push('\n');
        }
        text
    }
}

/// A two-column "field: value" listing for one object, fields aligned.
pub(crate) fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| format!("{k:<width$}  {v}\n"))
        .collect()
}

/// Writes `value` as pretty JSON and a newline to stdout. A closed stdout (`d365 ... | head`)
/// is not an error: the reader has what it wanted.
pub(crate) fn print_json<T: Serialize>(value: &T) -> io::Result<()> {
    write_json(&mut io::stdout().lock(), value)
}

/// Writes text to stdout as it is; a closed stdout is not an error.
pub(crate) fn print_text(text: &str) -> io::Result<()> {
    write_text(&mut io::stdout().lock(), text)
}

fn write_json<W: Write, T: Serialize>(out: &mut W, value: &T) -> io::Result<()> {
    let written = serde_json::to_writer_pretty(&mut *out, value)
        .map_err(io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush());
    closed_is_done(written)
}

fn write_text<W: Write>(out: &mut W, text: &str) -> io::Result<()> {
    closed_is_done(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

/// A reader that went away (EPIPE) has read all it wanted: success.
fn closed_is_done(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// An optional value as a table cell (`-` when absent).
pub(crate) fn cell<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_without_trailing_spaces() {
        let mut t = Table::new(["ID", "NAME", "STATE"]);
        t.row(["1", "contoso-test", "Ready"]);
        t.row(["22", "x", ""]);
        assert_eq!(
            t.render(),
            "ID  NAME          STATE\n1   contoso-test  Ready\n22  x\n"
        );
    }

    #[test]
    fn short_rows_are_padded() {
        let mut t = Table::new(["A", "B"]);
        t.row(["only a"]);
        assert_eq!(t.render(), "A       B\nonly a\n");
    }

    /// A stdout whose reader has gone: every write fails with EPIPE.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
    }

    /// A full disk: a real write error.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::StorageFull))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_success_and_other_write_errors_are_not() {
        assert!(write_text(&mut ClosedPipe, "a\n").is_ok());
        assert!(write_json(&mut ClosedPipe, &serde_json::json!({"a": [1, 2]})).is_ok());
        assert!(write_text(&mut Full, "a\n").is_err());
        assert!(write_json(&mut Full, &serde_json::json!({"a": 1})).is_err());
        let mut out = Vec::new();
        write_json(&mut out, &serde_json::json!({"a": 1})).expect("written");
        assert_eq!(out, b"{\n  \"a\": 1\n}\n");
    }

    #[test]
    fn fields_are_aligned() {
        assert_eq!(
            fields(&[("Id", "1".into()), ("Unique name", "org".into())]),
            "Id           1\nUnique name  org\n"
        );
        assert_eq!(cell(None::<u8>), "-");
    }
}
