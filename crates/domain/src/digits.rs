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

/// Groups thousands (`1,250,000`; Persian `۱٬۲۵۰٬۰۰۰`).
pub fn group_thousands(n: i64, persian: bool) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(if persian { '٬' } else { ',' });
        }
        out.push(c);
    }
    let signed = if n < 0 { format!("-{out}") } else { out };
    if persian { persian_digits(&signed) } else { signed }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_digit_families() {
        assert_eq!(ascii_digits("۰۹۱۲-٣٤٥"), "0912-345");
        assert_eq!(persian_digits("1403/01/15"), "۱۴۰۳/۰۱/۱۵");
    }

    #[test]
    fn groups_thousands_in_both_scripts() {
        assert_eq!(group_thousands(1_250_000, false), "1,250,000");
        assert_eq!(group_thousands(-999, false), "-999");
        assert_eq!(group_thousands(1000, true), "۱٬۰۰۰");
        assert_eq!(group_thousands(0, false), "0");
    }
}
