//! A plan for people (a text table with a summary line) and for programs (JSON with stable
//! field names).

use serde_json::{Value, json};

use super::Plan;

impl Plan {
    /// The plan as a text table (`USER  ACTION  DETAIL  RULE`) and a summary line.
    pub fn to_table(&self) -> String {
        let header = ["USER", "ACTION", "DETAIL", "RULE"];
        let rows: Vec<[String; 4]> = self
            .actions
            .iter()
            .map(|a| {
                [
                    a.label.clone(),
                    a.kind.as_str().to_owned(),
                    a.detail.clone(),
                    a.rule.clone().unwrap_or_else(|| "-".to_owned()),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: [&str; 4]| {
            let mut text = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                if i == 3 {
                    text.push_str(cell);
                } else {
                    text.push_str(&format!("{cell:<w$}  "));
                }
            }
            text.trim_end().to_owned() + "\n"
        };
        let mut out = String::new();
        if rows.is_empty() {
            out.push_str("No changes.\n");
        } else {
            out.push_str(&line(header));
            for row in &rows {
                out.push_str(&line([&row[0], &row[1], &row[2], &row[3]]));
            }
        }
        out.push_str(&self.summary_line());
        out
    }

    /// `N users considered, M skipped; force_sync 2, add_role 3`.
    pub fn summary_line(&self) -> String {
        let counts: Vec<String> = self
            .counts()
            .iter()
            .map(|(k, n)| format!("{} {n}", k.as_str()))
            .collect();
        format!(
            "{} users considered, {} skipped; {}\n",
            self.considered,
            self.skipped,
            if counts.is_empty() {
                "no actions".to_owned()
            } else {
                counts.join(", ")
            }
        )
    }

    /// The plan as JSON: `{"considered", "skipped", "counts": {kind: n}, "actions": [...]}`.
    pub fn to_json(&self) -> Value {
        let counts: serde_json::Map<String, Value> = self
            .counts()
            .iter()
            .map(|(k, n)| (k.as_str().to_owned(), json!(n)))
            .collect();
        json!({
            "considered": self.considered,
            "skipped": self.skipped,
            "counts": counts,
            "actions": self.actions,
        })
    }
}
