//! Persian (U+06F0…) and Arabic-Indic (U+0660…) digits arrive in every kind of input; they are
//! turned into ASCII digits before anything is parsed.

/// Replaces Persian and Arabic-Indic digits by ASCII digits and the Arabic decimal/thousands
/// separators by their ASCII counterparts; every other character is kept.
pub fn ascii_digits(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{066B}' => '.',
            '\u{066C}' | '\u{060C}' => ',',
            _ => c,
        })
        .collect()
}

/// Writes ASCII digits as Persian digits (for Persian pages and messages).
pub fn persian_digits(input: &str) -> String {
    input
        .chars()
        .map(|c| if c.is_ascii_digit() { char::from_u32(0x06F0 + (c as u32 - '0' as u32)).unwrap_or(c) } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_digit_families() {
        assert_eq!(ascii_digits("۰۹۱۲-٣٤٥"), "0912-345");
        assert_eq!(persian_digits("1403/01/15"), "۱۴۰۳/۰۱/۱۵");
    }
}
