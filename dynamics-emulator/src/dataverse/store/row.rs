//! One stored row, encoded compactly: only non-null columns, each as
//! `attribute index (u16 LE) | tag (u8) | payload`, sorted by attribute index. A generated lead
//! takes about 200 bytes, so a million of them fit in a few hundred megabytes.
//!
//! Payloads: booleans are in the tag; integers and times are zig-zag LEB128 varints; floats are
//! 8 bytes LE; text is a varint length and UTF-8 bytes; GUIDs are 16 bytes; lookups are 16 bytes
//! and the table index (u16 LE).

use uuid::Uuid;

use super::cell::{Cell, CellRef};

const TAG_FALSE: u8 = 0;
const TAG_TRUE: u8 = 1;
const TAG_INT: u8 = 2;
const TAG_FLOAT: u8 = 3;
const TAG_TEXT: u8 = 4;
const TAG_GUID: u8 = 5;
const TAG_DATETIME: u8 = 6;
const TAG_DATE: u8 = 7;
const TAG_LOOKUP: u8 = 8;

/// A stored row: its version (the `@odata.etag` number) and its encoded cells. The primary key
/// is the key of the table's map, not part of the row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// The row version: a number from the store's global counter, new on every change.
    pub(crate) version: u64,
    data: Box<[u8]>,
}

impl Row {
    /// A row from `(attribute index, value)` pairs; a later pair for the same index wins.
    pub(crate) fn new(version: u64, cells: impl IntoIterator<Item = (u16, Cell)>) -> Self {
        let mut cells: Vec<(u16, Cell)> = cells.into_iter().collect();
        // Stable sort keeps the order of duplicates, so "last wins" below is well defined.
        cells.sort_by_key(|(index, _)| *index);
        let mut data = Vec::with_capacity(cells.len() * 12);
        let mut position = 0;
        while position < cells.len() {
            let index = cells[position].0;
            let mut last = position;
            while last + 1 < cells.len() && cells[last + 1].0 == index {
                last += 1;
            }
            encode(&mut data, index, cells[last].1.as_ref());
            position = last + 1;
        }
        Self {
            version,
            data: data.into_boxed_slice(),
        }
    }

    /// The value of one column, or `None` when it is null. Cells before it are stepped over
    /// by their length, not decoded: rendering a page asks for a few columns of every row.
    pub(crate) fn get(&self, index: u16) -> Option<CellRef<'_>> {
        let data = &self.data;
        let mut position = 0;
        loop {
            let header = data.get(position..position + 3)?;
            let at = u16::from_le_bytes([header[0], header[1]]);
            if at == index {
                return RowIter { data, position }.next().map(|(_, cell)| cell);
            }
            if at > index {
                return None;
            }
            position = payload_end(data, position + 3, header[2])?;
        }
    }

    /// Every non-null column, in attribute order.
    pub(crate) fn iter(&self) -> RowIter<'_> {
        RowIter {
            data: &self.data,
            position: 0,
        }
    }

    /// A copy with `changes` applied (`None` clears a column) and a new version.
    pub(crate) fn updated(&self, version: u64, changes: &[(u16, Option<Cell>)]) -> Self {
        let mut cells: Vec<(u16, Cell)> = self
            .iter()
            .filter(|(index, _)| !changes.iter().any(|(i, _)| i == index))
            .map(|(index, cell)| (index, cell.to_owned_cell()))
            .collect();
        for (index, value) in changes {
            if let Some(value) = value {
                cells.retain(|(i, _)| i != index);
                cells.push((*index, value.clone()));
            }
        }
        Self::new(version, cells)
    }

    /// A copy without column `column`, later columns renumbered one lower; same version.
    pub(crate) fn without_column(&self, column: u16) -> Self {
        let cells: Vec<(u16, Cell)> = self
            .iter()
            .filter(|(index, _)| *index != column)
            .map(|(index, cell)| {
                let index = if index > column { index - 1 } else { index };
                (index, cell.to_owned_cell())
            })
            .collect();
        Self::new(self.version, cells)
    }

    /// The encoded size in bytes (for memory estimates in tests).
    #[cfg(test)]
    pub(crate) fn encoded_len(&self) -> usize {
        self.data.len()
    }
}

/// Iterator over a row's non-null cells.
pub(crate) struct RowIter<'a> {
    data: &'a [u8],
    position: usize,
}

impl<'a> Iterator for RowIter<'a> {
    type Item = (u16, CellRef<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let data = self.data;
        let header = data.get(self.position..self.position + 3)?;
        let index = u16::from_le_bytes([header[0], header[1]]);
        let tag = header[2];
        let mut at = self.position + 3;
        let cell = match tag {
            TAG_FALSE => CellRef::Bool(false),
            TAG_TRUE => CellRef::Bool(true),
            TAG_INT => CellRef::Int(unzigzag(read_varint(data, &mut at)?)),
            TAG_DATETIME => CellRef::DateTime(unzigzag(read_varint(data, &mut at)?)),
            TAG_DATE => CellRef::Date(unzigzag(read_varint(data, &mut at)?)),
            TAG_FLOAT => {
                let bytes: [u8; 8] = data.get(at..at + 8)?.try_into().ok()?;
                at += 8;
                CellRef::Float(f64::from_le_bytes(bytes))
            }
            TAG_TEXT => {
                let len = usize::try_from(read_varint(data, &mut at)?).ok()?;
                let bytes = data.get(at..at.checked_add(len)?)?;
                at += len;
                CellRef::Text(std::str::from_utf8(bytes).ok()?)
            }
            TAG_GUID => {
                let bytes: [u8; 16] = data.get(at..at + 16)?.try_into().ok()?;
                at += 16;
                CellRef::Guid(Uuid::from_bytes(bytes))
            }
            TAG_LOOKUP => {
                let bytes: [u8; 16] = data.get(at..at + 16)?.try_into().ok()?;
                let table = data.get(at + 16..at + 18)?;
                at += 18;
                CellRef::Lookup {
                    id: Uuid::from_bytes(bytes),
                    table: u16::from_le_bytes([table[0], table[1]]),
                }
            }
            _ => return None,
        };
        self.position = at;
        Some((index, cell))
    }
}

/// Where the payload of a cell with `tag` starting at `at` ends.
fn payload_end(data: &[u8], mut at: usize, tag: u8) -> Option<usize> {
    match tag {
        TAG_FALSE | TAG_TRUE => Some(at),
        TAG_INT | TAG_DATETIME | TAG_DATE => {
            read_varint(data, &mut at)?;
            Some(at)
        }
        TAG_FLOAT => Some(at + 8),
        TAG_TEXT => {
            let len = usize::try_from(read_varint(data, &mut at)?).ok()?;
            at.checked_add(len)
        }
        TAG_GUID => Some(at + 16),
        TAG_LOOKUP => Some(at + 18),
        _ => None,
    }
}

fn encode(out: &mut Vec<u8>, index: u16, cell: CellRef<'_>) {
    out.extend_from_slice(&index.to_le_bytes());
    match cell {
        CellRef::Bool(b) => out.push(if b { TAG_TRUE } else { TAG_FALSE }),
        CellRef::Int(i) => {
            out.push(TAG_INT);
            write_varint(out, zigzag(i));
        }
        CellRef::DateTime(s) => {
            out.push(TAG_DATETIME);
            write_varint(out, zigzag(s));
        }
        CellRef::Date(s) => {
            out.push(TAG_DATE);
            write_varint(out, zigzag(s));
        }
        CellRef::Float(f) => {
            out.push(TAG_FLOAT);
            out.extend_from_slice(&f.to_le_bytes());
        }
        CellRef::Text(t) => {
            out.push(TAG_TEXT);
            write_varint(out, t.len() as u64);
            out.extend_from_slice(t.as_bytes());
        }
        CellRef::Guid(g) => {
            out.push(TAG_GUID);
            out.extend_from_slice(g.as_bytes());
        }
        CellRef::Lookup { id, table } => {
            out.push(TAG_LOOKUP);
            out.extend_from_slice(id.as_bytes());
            out.extend_from_slice(&table.to_le_bytes());
        }
    }
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_varint(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip_in_index_order() {
        let id = Uuid::new_v4();
        let row = Row::new(
            7,
            [
                (5, Cell::Text("hello".into())),
                (1, Cell::Int(-42)),
                (3, Cell::Float(1.5)),
                (2, Cell::Bool(true)),
                (9, Cell::Lookup { id, table: 3 }),
                (4, Cell::DateTime(1_700_000_000)),
                (1, Cell::Int(i64::MIN)),
            ],
        );
        let cells: Vec<_> = row.iter().collect();
        assert_eq!(cells.len(), 6);
        assert_eq!(row.get(1), Some(CellRef::Int(i64::MIN)));
        assert_eq!(row.get(5), Some(CellRef::Text("hello")));
        assert_eq!(row.get(9), Some(CellRef::Lookup { id, table: 3 }));
        assert_eq!(row.get(6), None);
        assert_eq!(row.version, 7);
    }

    #[test]
    fn get_steps_over_every_kind_of_cell_to_the_one_asked_for() {
        let (id, guid) = (Uuid::new_v4(), Uuid::new_v4());
        let cells = [
            (1, Cell::Bool(false)),
            (2, Cell::Bool(true)),
            (3, Cell::Int(300)),
            (4, Cell::Float(-2.25)),
            (
                5,
                Cell::Text("long enough to need a two-byte length? no".into()),
            ),
            (6, Cell::Guid(guid)),
            (7, Cell::DateTime(-1)),
            (8, Cell::Date(19_000)),
            (9, Cell::Lookup { id, table: 4 }),
            (10, Cell::Text("x".repeat(300).into())),
            (12, Cell::Int(1)),
        ];
        let row = Row::new(3, cells.clone());
        for (index, cell) in &cells {
            assert_eq!(row.get(*index), Some(cell.as_ref()), "column {index}");
        }
        for absent in [0, 11, 13, u16::MAX] {
            assert_eq!(row.get(absent), None, "column {absent}");
        }
    }

    #[test]
    fn updates_replace_and_clear() {
        let row = Row::new(1, [(1, Cell::Int(1)), (2, Cell::Text("a".into()))]);
        let row = row.updated(
            2,
            &[
                (2, None),
                (3, Some(Cell::Bool(false))),
                (1, Some(Cell::Int(5))),
            ],
        );
        assert_eq!(row.get(1), Some(CellRef::Int(5)));
        assert_eq!(row.get(2), None);
        assert_eq!(row.get(3), Some(CellRef::Bool(false)));
        assert_eq!(row.version, 2);
    }

    #[test]
    fn a_typical_lead_is_small() {
        let row = Row::new(
            1,
            (0..12u16).map(|i| (i, Cell::Text(format!("value number {i}").into()))),
        );
        assert!(row.encoded_len() < 250, "{}", row.encoded_len());
    }
}
