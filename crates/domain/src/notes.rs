//! Staff notes on a customer (SPEC A4) and the colleagues they mention.

use crate::issue::{Checker, Invalid, Issue, required_text};
use serde::{Deserialize, Serialize};

/// Longest note: a few paragraphs of follow-up, not a document.
pub const MAX_NOTE: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// The staff member writing it, by email (the admin panel fills in who is signed in).
    pub author: String,
    /// The note; `@sara` or `@sara@shop.ir` mentions a colleague by the name or whole address
    /// of their email.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub author: String,
    pub body: String,
    /// The mentions as written, without `@`, lower-case, each once.
    pub mentions: Vec<String>,
}

impl NoteInput {
    pub fn parse(&self) -> Result<Note, Invalid> {
        let mut c = Checker::new();
        let author = c.check("author", crate::email::Email::parse(&self.author).map(|e| e.to_string()));
        let body = c.check("body", required_text(Some(&self.body), MAX_NOTE));
        c.finish(|| {
            let body = body.unwrap();
            Note { author: author.unwrap(), mentions: mentions(&body), body }
        })
    }
}

/// `@name` or `@name@domain` tokens: letters, digits and `._%+-`, then optionally `@` and a domain.
pub fn mentions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let mut i = 0;
    while i < chars.len() {
        // A mention starts a word: not part of an address like a@b.
        if chars[i] == '@' && (i == 0 || !word(chars[i - 1])) {
            let mut j = i + 1;
            while j < chars.len() && word(chars[j]) {
                j += 1;
            }
            if j < chars.len() && chars[j] == '@' && j + 1 < chars.len() && word(chars[j + 1]) {
                j += 1;
                while j < chars.len() && word(chars[j]) {
                    j += 1;
                }
            }
            let token: String = chars[i + 1..j].iter().collect::<String>().trim_end_matches('.').to_lowercase();
            if !token.is_empty() && !out.contains(&token) {
                out.push(token);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Whether a mention names a colleague with this email: the whole address or its name part.
pub fn mention_matches(mention: &str, email: &str) -> bool {
    let email = email.to_lowercase();
    mention == email || email.split('@').next() == Some(mention)
}

/// The refusal when someone else edits a note.
pub fn not_author() -> Issue {
    Issue::new("not_author", "only the note's author may edit it", "فقط نویسندهٔ یادداشت می‌تواند آن را ویرایش کند")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mentions_by_name_and_address() {
        assert_eq!(mentions("@Sara please call her; cc @ali@shop.ir. mail a@b.com"), ["sara", "ali@shop.ir"]);
        assert_eq!(mentions("سلام @reza، پیگیری کن @reza"), ["reza"]);
        assert!(mentions("no mentions, just a@b.com and @").is_empty());
        assert!(mention_matches("sara", "Sara@Shop.ir"));
        assert!(mention_matches("sara@shop.ir", "sara@shop.ir"));
        assert!(!mention_matches("sar", "sara@shop.ir"));
    }

    #[test]
    fn names_bad_fields() {
        let e = NoteInput { author: "nobody".into(), body: " ".into() }.parse().unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["author", "body"]);
    }
}
