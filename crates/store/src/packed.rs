//! Many rows read back as one row of comma-separated lists, one list per column (`string_agg`,
//! the same text on both databases). sqlx hands every row from SQLite's worker thread to the
//! caller, decoding and allocating each value on the way (1–3 µs a row measured), so reads of
//! hundreds of thousands of rows travel packed and are split here.

/// Takes the next integer off a comma-separated list (millions of numbers in a big read:
/// `str::parse` on split pieces was a visible part of the time).
pub(crate) fn next_int(list: &mut &[u8]) -> Option<i64> {
    let (negative, digits) = match list.first() {
        Some(b'-') => (true, &list[1..]),
        _ => (false, *list),
    };
    let end = digits.iter().position(|&b| b == b',').unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let mut v: i64 = 0;
    for &b in &digits[..end] {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = i64::from(b - b'0');
        v = v.checked_mul(10)?;
        v = if negative { v.checked_sub(d)? } else { v.checked_add(d)? };
    }
    *list = digits.get(end + 1..).unwrap_or_default();
    Some(v)
}

/// Takes the next text off a comma-separated list of texts that hold no comma; `None` when the
/// list is used up or the text is empty or not UTF-8.
pub(crate) fn next_text<'a>(list: &mut &'a [u8]) -> Option<&'a str> {
    let end = list.iter().position(|&b| b == b',').unwrap_or(list.len());
    if end == 0 {
        return None;
    }
    let text = std::str::from_utf8(&list[..end]).ok()?;
    *list = list.get(end + 1..).unwrap_or_default();
    Some(text)
}

/// Takes the next piece off a comma-separated list of optional integers, where an empty piece
/// (also the last one) stands for none; `None` when the piece is not a number.
pub(crate) fn next_opt_int(list: &mut &[u8]) -> Option<Option<i64>> {
    match list.first() {
        None => Some(None),
        Some(b',') => {
            *list = &list[1..];
            Some(None)
        }
        Some(_) => next_int(list).map(Some),
    }
}

/// Whether every list was read to its end: a list left over means lists of unequal length.
pub(crate) fn all_read(cursors: &[&[u8]]) -> bool {
    cursors.iter().all(|c| c.is_empty())
}

/// The packed lists of one result row as byte cursors (a NULL list, from no rows, is empty).
pub(crate) fn cursors<const N: usize>(lists: &[Option<String>; N]) -> [&[u8]; N] {
    lists.each_ref().map(|l| l.as_deref().unwrap_or("").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_off_in_order_until_the_list_is_used_up() {
        let mut ints: &[u8] = b"7,-86400000,0,-9223372036854775808";
        let got: Vec<i64> = std::iter::from_fn(|| next_int(&mut ints)).collect();
        assert_eq!(got, [7, -86_400_000, 0, i64::MIN]);
        assert!(ints.is_empty());
        for bad in [&b"x"[..], b"", b"-", b"99999999999999999999", b",1"] {
            assert_eq!(next_int(&mut &bad[..]), None, "{bad:?}");
        }
        let mut texts: &[u8] = "d2026-01-03,m1404-10,all".as_bytes();
        let got: Vec<&str> = std::iter::from_fn(|| next_text(&mut texts)).collect();
        assert_eq!(got, ["d2026-01-03", "m1404-10", "all"]);
        assert_eq!(next_text(&mut &b",a"[..]), None);
        assert_eq!(next_text(&mut &[0xff, b','][..]), None);
        let mut optional: &[u8] = b",5,,-2,";
        let got: Vec<Option<i64>> = (0..5).map(|_| next_opt_int(&mut optional).unwrap()).collect();
        assert_eq!(got, [None, Some(5), None, Some(-2), None]);
        assert!(optional.is_empty());
        assert_eq!(next_opt_int(&mut &b"x,"[..]), None);
    }
}
