//! Tokens of OData expressions (`$filter`, `$orderby`, keys, function parameters).

use uuid::Uuid;

use super::literal::{Literal, parse_date, parse_datetime};
use crate::dataverse::errors::ApiError;

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A name: property, keyword, function (may contain dots).
    Ident(String),
    /// A literal value (string, number, GUID, date, …).
    Lit(Literal),
    /// A parameter alias such as `@p1`.
    Alias(String),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// `/`
    Slash,
    /// `:`
    Colon,
    /// `=`
    Equals,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
}

/// A token and its position (character offset) in the input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) pos: usize,
}

/// Splits `input` into tokens. Strings are single-quoted with `''` for a quote (double quotes
/// are accepted inside arrays, as in `["O'Brian"]`).
pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, ApiError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let pos = i;
        let simple = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            '/' => Some(Tok::Slash),
            ':' => Some(Tok::Colon),
            '=' => Some(Tok::Equals),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            _ => None,
        };
        if let Some(tok) = simple {
            tokens.push(Token { tok, pos });
            i += 1;
            continue;
        }
        if c == '\'' || c == '"' {
            let (text, next) = read_string(&chars, i, c).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "There is an unterminated literal at position {pos} in '{input}'."
                ))
            })?;
            tokens.push(Token {
                tok: Tok::Lit(Literal::Text(text)),
                pos,
            });
            i = next;
            continue;
        }
        if let Some((guid, next)) = read_guid(&chars, i) {
            tokens.push(Token {
                tok: Tok::Lit(Literal::Guid(guid)),
                pos,
            });
            i = next;
            continue;
        }
        if let Some((literal, next)) = read_date_or_time(&chars, i) {
            tokens.push(Token {
                tok: Tok::Lit(literal),
                pos,
            });
            i = next;
            continue;
        }
        if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let (literal, next) = read_number(&chars, i).ok_or_else(|| syntax(input, pos))?;
            tokens.push(Token {
                tok: Tok::Lit(literal),
                pos,
            });
            i = next;
            continue;
        }
        if c == '@' || c.is_alphabetic() || c == '_' || c == '$' {
            let start = if c == '@' { i + 1 } else { i };
            let mut end = start;
            while end < chars.len()
                && (chars[end].is_alphanumeric() || matches!(chars[end], '_' | '.' | '$'))
            {
                end += 1;
            }
            let name: String = chars[start..end].iter().collect();
            if name.is_empty() {
                return Err(syntax(input, pos));
            }
            // An enum literal, `Namespace.EnumType'Member'` (OData ABNF `enum`): its value is the
            // member name, which is how metadata answers carry enum properties
            // (`"RelationshipType": "OneToManyRelationship"`).
            if c != '@' && name.contains('.') && chars.get(end) == Some(&'\'') {
                let (member, next) = read_string(&chars, end, '\'').ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "There is an unterminated literal at position {end} in '{input}'."
                    ))
                })?;
                if member.trim().is_empty() || name.ends_with('.') {
                    return Err(syntax(input, pos));
                }
                tokens.push(Token {
                    tok: Tok::Lit(Literal::Text(member)),
                    pos,
                });
                i = next;
                continue;
            }
            let tok = if c == '@' {
                Tok::Alias(name)
            } else {
                Tok::Ident(name)
            };
            tokens.push(Token { tok, pos });
            i = end;
            continue;
        }
        return Err(ApiError::bad_request(format!(
            "Syntax error: character '{c}' is not valid at position {pos} in '{input}'."
        )));
    }
    Ok(tokens)
}

/// "Syntax error at position {pos} in '{input}'."
pub(crate) fn syntax(input: &str, pos: usize) -> ApiError {
    ApiError::bad_request(format!("Syntax error at position {pos} in '{input}'."))
}

fn read_string(chars: &[char], start: usize, quote: char) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == quote {
            if chars.get(i + 1) == Some(&quote) {
                text.push(quote);
                i += 2;
                continue;
            }
            return Some((text, i + 1));
        }
        text.push(chars[i]);
        i += 1;
    }
    None
}

fn is_word_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

fn read_guid(chars: &[char], start: usize) -> Option<(Uuid, usize)> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut i = start;
    for (n, len) in GROUPS.iter().enumerate() {
        for _ in 0..*len {
            if !chars.get(i)?.is_ascii_hexdigit() {
                return None;
            }
            i += 1;
        }
        if n < 4 {
            if chars.get(i) != Some(&'-') {
                return None;
            }
            i += 1;
        }
    }
    if is_word_char(chars.get(i)) || chars.get(i) == Some(&'-') {
        return None;
    }
    let text: String = chars[start..i].iter().collect();
    Uuid::parse_str(&text).ok().map(|g| (g, i))
}

fn read_date_or_time(chars: &[char], start: usize) -> Option<(Literal, usize)> {
    let digits = |from: usize, n: usize| {
        (from..from + n).all(|k| chars.get(k).is_some_and(char::is_ascii_digit))
    };
    if !(digits(start, 4)
        && chars.get(start + 4) == Some(&'-')
        && digits(start + 5, 2)
        && chars.get(start + 7) == Some(&'-')
        && digits(start + 8, 2))
    {
        return None;
    }
    let mut end = start + 10;
    if chars.get(end) == Some(&'T') {
        end += 1;
        while end < chars.len()
            && (chars[end].is_ascii_digit() || matches!(chars[end], ':' | '.' | 'Z' | '+' | '-'))
        {
            end += 1;
        }
        let text: String = chars[start..end].iter().collect();
        return parse_datetime(&text).map(|s| (Literal::DateTime(s), end));
    }
    if is_word_char(chars.get(end)) {
        return None;
    }
    let text: String = chars[start..end].iter().collect();
    parse_date(&text).map(|s| (Literal::Date(s), end))
}

fn read_number(chars: &[char], start: usize) -> Option<(Literal, usize)> {
    let mut i = start;
    if chars[i] == '-' {
        i += 1;
    }
    let mut float = false;
    while i < chars.len() {
        match chars[i] {
            '0'..='9' => i += 1,
            '.' if !float => {
                float = true;
                i += 1;
            }
            'e' | 'E'
                if chars
                    .get(i + 1)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '-' || *c == '+') =>
            {
                float = true;
                i += 2;
            }
            _ => break,
        }
    }
    let text: String = chars[start..i].iter().collect();
    // OData type suffixes: M (decimal), D (double), F (single), L (int64).
    if matches!(chars.get(i), Some('M' | 'm' | 'D' | 'd' | 'F' | 'f'))
        && !is_word_char(chars.get(i + 1))
    {
        return text.parse().ok().map(|f| (Literal::Float(f), i + 1));
    }
    if matches!(chars.get(i), Some('L' | 'l')) && !is_word_char(chars.get(i + 1)) {
        return text.parse().ok().map(|n| (Literal::Int(n), i + 1));
    }
    if is_word_char(chars.get(i)) {
        return None;
    }
    if float {
        text.parse().ok().map(|f| (Literal::Float(f), i))
    } else {
        text.parse().ok().map(|n| (Literal::Int(n), i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(input: &str) -> Vec<Tok> {
        tokenize(input)
            .expect("tokenizes")
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn literals() {
        assert_eq!(
            toks("name eq 'O''Bryan'"),
            vec![
                Tok::Ident("name".into()),
                Tok::Ident("eq".into()),
                Tok::Lit(Literal::Text("O'Bryan".into()))
            ]
        );
        let guid = "a0dbf27c-8efb-e511-80d2-00155db07c77";
        assert_eq!(
            toks(guid),
            vec![Tok::Lit(Literal::Guid(
                Uuid::parse_str(guid).expect("guid")
            ))]
        );
        assert_eq!(toks("-5"), vec![Tok::Lit(Literal::Int(-5))]);
        assert_eq!(toks("5.25"), vec![Tok::Lit(Literal::Float(5.25))]);
        assert!(matches!(toks("2020-01-02")[0], Tok::Lit(Literal::Date(_))));
        assert!(matches!(
            toks("2020-01-02T10:00:00Z")[0],
            Tok::Lit(Literal::DateTime(_))
        ));
        assert_eq!(
            toks("Microsoft.Dynamics.CRM.In(PropertyName=@p1)")[0],
            Tok::Ident("Microsoft.Dynamics.CRM.In".into())
        );
    }

    /// Enum literals (`Namespace.Type'Member'`, as Microsoft's Python client sends for
    /// `RelationshipType`) read as their member name; a malformed one is a typed error.
    #[test]
    fn enum_literals() {
        assert_eq!(
            toks(
                "RelationshipType eq Microsoft.Dynamics.CRM.RelationshipType'OneToManyRelationship'"
            ),
            vec![
                Tok::Ident("RelationshipType".into()),
                Tok::Ident("eq".into()),
                Tok::Lit(Literal::Text("OneToManyRelationship".into()))
            ]
        );
        assert!(tokenize("x eq Microsoft.Dynamics.CRM.RelationshipType'").is_err());
        assert!(tokenize("x eq Microsoft.Dynamics.CRM.RelationshipType''").is_err());
        assert!(tokenize("x eq Microsoft.'A'").is_err());
        // A plain name followed by a string is not an enum literal.
        assert_eq!(
            toks("name'x'"),
            vec![
                Tok::Ident("name".into()),
                Tok::Lit(Literal::Text("x".into()))
            ]
        );
    }

    #[test]
    fn unterminated_and_invalid() {
        let error = tokenize("name eq 'abc").expect_err("unterminated");
        assert_eq!(
            error.message,
            "There is an unterminated literal at position 8 in 'name eq 'abc'."
        );
        assert!(tokenize("name eq ;").is_err());
    }
}
