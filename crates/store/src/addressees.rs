//! What a message needs to know of the customers it goes to: names and the fields templates
//! show, where to reach them and whether they agreed to it. A campaign reads this for every
//! member, so it reads these columns alone rather than whole profiles.

use crate::Result;
use crate::bulk;
use crate::db::{Conn, Store};
use sqlx::Row;
use std::collections::HashMap;

/// A customer as a message sees them.
#[derive(Debug, Clone)]
pub struct Addressee {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub city: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    /// The typed attributes as stored (a JSON object); a customer's language is one of them.
    pub attributes: String,
    pub sms_opt_in: Option<i64>,
    pub email_opt_in: Option<i64>,
    pub tier: Option<String>,
}

impl Store {
    /// The addressees among `ids`, by id; ids that are not the tenant's customers are left out.
    pub async fn load_addressees(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<HashMap<i64, Addressee>> {
        let rows = bulk::select_in(
            conn,
            "SELECT id, first_name, last_name, gender, birth_date, city, mobile, email, attributes, sms_opt_in, email_opt_in, tier
             FROM customers WHERE tenant_id = $1 AND id IN ({in})",
            tenant_id,
            bulk::ids(ids),
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    Addressee {
                        first_name: r.try_get(1)?,
                        last_name: r.try_get(2)?,
                        gender: r.try_get(3)?,
                        birth_date: r.try_get(4)?,
                        city: r.try_get(5)?,
                        mobile: r.try_get(6)?,
                        email: r.try_get(7)?,
                        attributes: r.try_get(8)?,
                        sms_opt_in: r.try_get(9)?,
                        email_opt_in: r.try_get(10)?,
                        tier: r.try_get(11)?,
                    },
                ))
            })
            .collect()
    }
}
