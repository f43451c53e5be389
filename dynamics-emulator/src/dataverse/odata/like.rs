//! SQL `LIKE` patterns, case-insensitive, as Dataverse evaluates `contains`, `startswith`,
//! `endswith` and FetchXML `like`: `%` is any run of characters, `_` one character, `[abc]` and
//! `[a-c]` a set, `[^a]` a negated set.

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// A literal character (lower-cased).
    Char(char),
    /// `_`
    One,
    /// `%`
    Many,
    /// `[…]` with inclusive ranges (lower-cased).
    Set {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LikePattern {
    pieces: Vec<Piece>,
}

fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

impl LikePattern {
    /// Compiles a `LIKE` pattern.
    pub(crate) fn new(pattern: &str) -> Self {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pieces = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '%' => {
                    if pieces.last() != Some(&Piece::Many) {
                        pieces.push(Piece::Many);
                    }
                }
                '_' => pieces.push(Piece::One),
                '[' => {
                    if let Some(end) = chars[i + 1..].iter().position(|c| *c == ']') {
                        let body = &chars[i + 1..i + 1 + end];
                        let (negated, body) = match body.first() {
                            Some('^') => (true, &body[1..]),
                            _ => (false, body),
                        };
                        let mut ranges = Vec::new();
                        let mut k = 0;
                        while k < body.len() {
                            if k + 2 < body.len() && body[k + 1] == '-' {
                                ranges.push((lower(body[k]), lower(body[k + 2])));
                                k += 3;
                            } else {
                                ranges.push((lower(body[k]), lower(body[k])));
                                k += 1;
                            }
                        }
                        pieces.push(Piece::Set { negated, ranges });
                        i += end + 2;
                        continue;
                    }
                    pieces.push(Piece::Char('['));
                }
                c => pieces.push(Piece::Char(lower(c))),
            }
            i += 1;
        }
        Self { pieces }
    }

    /// `%value%`
    pub(crate) fn contains(value: &str) -> Self {
        Self::new(&format!("%{value}%"))
    }

    /// `value%`
    pub(crate) fn starts_with(value: &str) -> Self {
        Self::new(&format!("{value}%"))
    }

    /// `%value`
    pub(crate) fn ends_with(value: &str) -> Self {
        Self::new(&format!("%{value}"))
    }

    /// Whether `text` matches (case-insensitively).
    pub(crate) fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().map(lower).collect();
        self.matches_chars(&text)
    }

    fn single(piece: &Piece, c: char) -> bool {
        match piece {
            Piece::Char(p) => *p == c,
            Piece::One => true,
            Piece::Many => false,
            Piece::Set { negated, ranges } => {
                ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
            }
        }
    }

    /// Iterative wildcard matching with backtracking to the last `%`.
    fn matches_chars(&self, text: &[char]) -> bool {
        let pieces = &self.pieces;
        let (mut p, mut t) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            if p < pieces.len() && pieces[p] == Piece::Many {
                star = Some((p, t));
                p += 1;
            } else if p < pieces.len() && Self::single(&pieces[p], text[t]) {
                p += 1;
                t += 1;
            } else if let Some((sp, st)) = star {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            } else {
                return false;
            }
        }
        pieces[p..].iter().all(|piece| *piece == Piece::Many)
    }
}

#[cfg(test)]
mod tests {
    use super::LikePattern;

    #[test]
    fn wildcards_and_case() {
        assert!(LikePattern::contains("(SAMPLE)").matches("Nancy Anderson (sample)"));
        assert!(LikePattern::starts_with("nan").matches("Nancy"));
        assert!(!LikePattern::starts_with("ancy").matches("Nancy"));
        assert!(LikePattern::ends_with("cy").matches("Nancy"));
        assert!(LikePattern::new("%(sample)%").matches("Rene Valdes (sample)"));
        assert!(LikePattern::new("a_c").matches("abc"));
        assert!(!LikePattern::new("a_c").matches("abbc"));
        assert!(LikePattern::new("[a-c]x").matches("bx"));
        assert!(!LikePattern::new("[^a-c]x").matches("bx"));
        assert!(LikePattern::new("a%b%c").matches("aXXbYYc"));
        assert!(!LikePattern::new("a%b%c").matches("aXXbYY"));
        assert!(LikePattern::contains("").matches(""));
    }
}
