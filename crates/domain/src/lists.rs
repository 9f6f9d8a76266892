//! Static lists (SPEC B3): customers named in an uploaded file by mobile, email or external id.

use crate::customer::{IdentityKey, parse_source};
use crate::email::Email;
use crate::issue::Issue;
use crate::mobile::Mobile;

/// Which column of an uploaded file identifies the customer, found from its header (English or
/// Persian names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListColumn {
    Mobile,
    Email,
    ExternalId,
}

impl ListColumn {
    pub fn from_header(name: &str) -> Option<ListColumn> {
        match name.trim().trim_start_matches('\u{feff}').to_lowercase().as_str() {
            "mobile" | "phone" | "موبایل" | "تلفن همراه" | "شماره موبایل" => Some(ListColumn::Mobile),
            "email" | "ایمیل" | "پست الکترونیک" => Some(ListColumn::Email),
            "external_id" | "customer_id" | "شناسه" | "کد مشتری" => Some(ListColumn::ExternalId),
            _ => None,
        }
    }
}

/// The identity a cell names; `source` applies to external ids (default `csv`).
pub fn row_key(column: ListColumn, value: &str, source: Option<&str>) -> Result<IdentityKey, Issue> {
    if value.trim().is_empty() {
        return Err(Issue::required());
    }
    match column {
        ListColumn::Mobile => Mobile::parse(value).map(IdentityKey::Mobile),
        ListColumn::Email => Email::parse(value).map(IdentityKey::Email),
        ListColumn::ExternalId => Ok(IdentityKey::External {
            source: parse_source(source.unwrap_or("csv"))?,
            id: crate::customer::parse_external_id(value)?,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_cells() {
        assert_eq!(ListColumn::from_header("\u{feff}Mobile"), Some(ListColumn::Mobile));
        assert_eq!(ListColumn::from_header("ایمیل"), Some(ListColumn::Email));
        assert_eq!(ListColumn::from_header("name"), None);
        let a = row_key(ListColumn::Mobile, "۰۹۱۲ ۱۲۳ ۴۵۶۷", None).unwrap();
        let b = row_key(ListColumn::Mobile, "+989121234567", None).unwrap();
        assert_eq!(a, b);
        assert_eq!(row_key(ListColumn::ExternalId, "25", Some("woocommerce")).unwrap().key(), "x:woocommerce:25");
        assert!(row_key(ListColumn::Mobile, "12", None).is_err());
        assert_eq!(row_key(ListColumn::Email, " ", None).unwrap_err().code, "required");
    }
}
