//! Money and quantities. Money is an integer count of the tenant currency's smallest unit
//! (toman and rial have no decimals). Quantities allow three decimals (weights), kept as
//! thousandths so totals stay exact.

use crate::digits::ascii_digits;
use crate::issue::Issue;

/// Parses an amount written by a person or a spreadsheet: `1250000`, `1,250,000`, `۱٬۲۵۰٬۰۰۰`,
/// `1250000.00` (zero decimals only: the currency has no fractions).
pub fn parse_amount(input: &str) -> Result<i64, Issue> {
    let cleaned: String = ascii_digits(input.trim()).chars().filter(|c| !matches!(c, ',' | ' ' | '_' | '\'')).collect();
    if cleaned.is_empty() {
        return Err(Issue::required());
    }
    let whole = match cleaned.split_once('.') {
        Some((w, frac)) if frac.chars().all(|c| c == '0') => w,
        Some(_) => {
            return Err(Issue::new(
                "fractional_amount",
                "must be a whole amount in the currency's smallest unit",
                "مبلغ باید عدد صحیح باشد",
            ));
        }
        None => cleaned.as_str(),
    };
    let value: i64 = whole.parse().map_err(|_| Issue::new("invalid_amount", "is not a number", "عدد معتبر نیست"))?;
    if value < 0 {
        return Err(Issue::negative());
    }
    Ok(value)
}

/// Digits after the decimal point in a currency's smallest unit (ISO 4217). Toman and rial have
/// none; most others have two.
pub fn minor_units(currency: &str) -> u32 {
    match currency {
        "IRR" | "IRT" | "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// Parses a decimal amount as another system writes it (`"29.35"`, `"-10.00"`, `"1250000"`)
/// into a signed count of the currency's smallest unit. Digits beyond the unit (a shop's tax
/// computed to more places) round half away from zero.
pub fn parse_decimal_amount(input: &str, minor: u32) -> Result<i64, Issue> {
    let invalid = || Issue::new("invalid_amount", "is not a number", "عدد معتبر نیست");
    let cleaned: String = ascii_digits(input.trim()).chars().filter(|c| !matches!(c, ',' | ' ' | '_')).collect();
    if cleaned.is_empty() {
        return Ok(0);
    }
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty() || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    let kept: String = frac.chars().chain(std::iter::repeat('0')).take(minor as usize).collect();
    let round_up = frac.chars().nth(minor as usize).is_some_and(|c| c >= '5');
    let text = format!("{}{kept}", if whole.is_empty() { "0" } else { whole });
    let value: i64 = text.parse().map_err(|_| invalid())?;
    let value = value.checked_add(round_up as i64).ok_or_else(invalid)?;
    Ok(if negative { -value } else { value })
}

/// Checks an amount given as a JSON number.
pub fn check_amount(value: i64) -> Result<i64, Issue> {
    if value < 0 { Err(Issue::negative()) } else { Ok(value) }
}

/// A quantity in thousandths of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i64);

impl Quantity {
    pub const ONE: Quantity = Quantity(1000);

    pub fn from_milli(milli: i64) -> Result<Self, Issue> {
        if milli <= 0 {
            Err(Issue::new("not_positive", "must be greater than zero", "باید بزرگ‌تر از صفر باشد"))
        } else {
            Ok(Quantity(milli))
        }
    }

    pub fn from_f64(value: f64) -> Result<Self, Issue> {
        if !value.is_finite() || value > 1e12 {
            return Err(Issue::new("invalid_quantity", "is not a valid quantity", "تعداد معتبر نیست"));
        }
        let milli = (value * 1000.0).round();
        if (milli / 1000.0 - value).abs() > 1e-9 {
            return Err(Issue::new("too_precise", "allows at most three decimals", "حداکثر سه رقم اعشار مجاز است"));
        }
        Self::from_milli(milli as i64)
    }

    pub fn parse(input: &str) -> Result<Self, Issue> {
        let cleaned = ascii_digits(input.trim()).replace(',', "");
        if cleaned.is_empty() {
            return Err(Issue::required());
        }
        let value: f64 = cleaned.parse().map_err(|_| Issue::new("invalid_quantity", "is not a number", "عدد معتبر نیست"))?;
        Self::from_f64(value)
    }

    pub fn milli(self) -> i64 {
        self.0
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// `unit_price × quantity`, rounded half away from zero to the smallest currency unit.
    pub fn times(self, unit_price: i64) -> i64 {
        let product = unit_price as i128 * self.0 as i128;
        ((product + 500) / 1000) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_amounts_count_smallest_units() {
        assert_eq!(parse_decimal_amount("29.35", 2), Ok(2935));
        assert_eq!(parse_decimal_amount("-10.00", 2), Ok(-1000));
        assert_eq!(parse_decimal_amount("1250000.00", 0), Ok(1_250_000));
        assert_eq!(parse_decimal_amount("0.9", 2), Ok(90));
        assert_eq!(parse_decimal_amount("1.005", 2), Ok(101));
        assert_eq!(parse_decimal_amount("۱۲۰۰۰", 0), Ok(12_000));
        assert_eq!(parse_decimal_amount("", 2), Ok(0));
        assert!(parse_decimal_amount("12a", 2).is_err());
        assert!(parse_decimal_amount(".", 2).is_err());
    }
    use proptest::prelude::*;

    #[test]
    fn amounts_in_every_writing() {
        assert_eq!(parse_amount("1,250,000").unwrap(), 1_250_000);
        assert_eq!(parse_amount("۱٬۲۵۰٬۰۰۰").unwrap(), 1_250_000);
        assert_eq!(parse_amount("1250000.00").unwrap(), 1_250_000);
        assert!(parse_amount("12.5").is_err());
        assert!(parse_amount("-5").is_err());
        assert!(parse_amount("abc").is_err());
    }

    #[test]
    fn quantities_keep_three_decimals() {
        assert_eq!(Quantity::parse("1.5").unwrap().milli(), 1500);
        assert_eq!(Quantity::parse("۲").unwrap().milli(), 2000);
        assert!(Quantity::parse("0").is_err());
        assert!(Quantity::parse("1.2345").is_err());
        assert_eq!(Quantity::parse("1.5").unwrap().times(1001), 1502);
    }

    proptest! {
        #[test]
        fn whole_quantities_multiply_exactly(q in 1i64..10_000, price in 0i64..1_000_000_000) {
            prop_assert_eq!(Quantity::from_milli(q * 1000).unwrap().times(price), q * price);
        }
    }
}
