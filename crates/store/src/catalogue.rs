//! Categories, products, branches and per-branch stock.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use philia_domain::catalogue::{StockChange, ValidBranch, ValidCategory, ValidProduct};
use philia_domain::records::{Branch, Category, Product, StockLevel};
use sqlx::Row;

fn product(r: &sqlx::any::AnyRow) -> Result<Product> {
    Ok(Product {
        id: r.try_get("id")?,
        sku: r.try_get("sku")?,
        name: r.try_get("name")?,
        category: r.try_get("category_code")?,
        price: r.try_get("price")?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

/// What the till's search matches: SKU and name in lower case, in one column, so a search
/// reads one value per product and lower-cases nothing.
pub fn product_search_key(sku: &str, name: &str) -> String {
    format!("{} {}", sku.to_lowercase(), name.to_lowercase())
}

impl Store {
    /// Inserts or updates categories by code.
    pub async fn upsert_categories(&self, conn: &mut Conn, tenant_id: i64, items: &[ValidCategory], now: i64) -> Result<()> {
        let ids = self.allocate_ids(conn, items.len()).await?;
        let rows = items
            .iter()
            .zip(ids)
            .map(|(c, id)| {
                vec![
                    Val::I(tenant_id),
                    Val::I(id),
                    Val::T(c.code.clone()),
                    Val::T(c.name.clone()),
                    c.parent.clone().into(),
                    Val::I(now),
                ]
            })
            .collect();
        bulk::insert(
            conn,
            "categories",
            &["tenant_id", "id", "code", "name", "parent_code", "updated_at"],
            rows,
            "ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, updated_at = excluded.updated_at
             WHERE NOT (categories.name = excluded.name AND COALESCE(categories.parent_code, '') = COALESCE(excluded.parent_code, ''))",
        )
        .await?;
        Ok(())
    }

    pub async fn list_categories(&self, tenant_id: i64) -> Result<Vec<Category>> {
        let rows = sqlx::query("SELECT code, name, parent_code FROM categories WHERE tenant_id = $1 ORDER BY code")
            .bind(tenant_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok(Category { code: r.try_get("code")?, name: r.try_get("name")?, parent: r.try_get("parent_code")? }))
            .collect()
    }

    /// The parent chain of a category, nearest first (to refuse cycles).
    pub async fn category_parent(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<Option<String>>> {
        let row = sqlx::query("SELECT parent_code FROM categories WHERE tenant_id = $1 AND code = $2")
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| Ok(r.try_get("parent_code")?)).transpose()
    }

    pub async fn upsert_products(&self, conn: &mut Conn, tenant_id: i64, items: &[ValidProduct], now: i64) -> Result<()> {
        let ids = self.allocate_ids(conn, items.len()).await?;
        let rows = items
            .iter()
            .zip(ids)
            .map(|(p, id)| {
                vec![
                    Val::I(tenant_id),
                    Val::I(id),
                    Val::T(p.sku.clone()),
                    Val::T(p.name.clone()),
                    p.category.clone().into(),
                    Val::I(p.price),
                    Val::I(i64::from(p.active)),
                    Val::I(now),
                    Val::T(product_search_key(&p.sku, &p.name)),
                ]
            })
            .collect();
        bulk::insert(
            conn,
            "products",
            &["tenant_id", "id", "sku", "name", "category_code", "price", "active", "updated_at", "search_key"],
            rows,
            "ON CONFLICT (tenant_id, sku) DO UPDATE SET name = excluded.name, category_code = excluded.category_code,
             price = excluded.price, active = excluded.active, updated_at = excluded.updated_at, search_key = excluded.search_key
             WHERE NOT (products.name = excluded.name AND COALESCE(products.category_code, '') = COALESCE(excluded.category_code, '')
                        AND products.price = excluded.price AND products.active = excluded.active)",
        )
        .await?;
        Ok(())
    }

    /// Products, optionally matching a search text (name or SKU prefix), by SKU after `after`.
    pub async fn list_products(
        &self,
        tenant_id: i64,
        text: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Product>> {
        let rows = sqlx::query(
            "SELECT id, sku, name, category_code, price, active FROM products WHERE tenant_id = $1
             AND ($2 IS NULL OR LOWER(name) LIKE $2 OR LOWER(sku) LIKE $2) AND ($3 IS NULL OR sku > $3) ORDER BY sku LIMIT $4",
        )
        .bind(tenant_id)
        .bind(text.map(|t| format!("%{}%", t.to_lowercase())))
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(product).collect()
    }

    pub async fn product_by_sku(&self, tenant_id: i64, sku: &str) -> Result<Option<Product>> {
        let row =
            sqlx::query("SELECT id, sku, name, category_code, price, active FROM products WHERE tenant_id = $1 AND sku = $2")
                .bind(tenant_id)
                .bind(sku)
                .fetch_optional(self.pool())
                .await?;
        row.as_ref().map(product).transpose()
    }

    pub async fn product_id(&self, conn: &mut Conn, tenant_id: i64, sku: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT id FROM products WHERE tenant_id = $1 AND sku = $2")
            .bind(tenant_id)
            .bind(sku)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| Ok(r.try_get("id")?)).transpose()
    }

    pub async fn upsert_branch(&self, conn: &mut Conn, tenant_id: i64, b: &ValidBranch, now: i64) -> Result<()> {
        let id = self.allocate_ids(conn, 1).await?[0];
        bulk::insert(
            conn,
            "branches",
            &["tenant_id", "id", "code", "name", "city", "address", "active", "updated_at"],
            vec![vec![
                Val::I(tenant_id),
                Val::I(id),
                Val::T(b.code.clone()),
                Val::T(b.name.clone()),
                b.city.clone().into(),
                b.address.clone().into(),
                Val::I(i64::from(b.active)),
                Val::I(now),
            ]],
            "ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, city = excluded.city, address = excluded.address,
             active = excluded.active, updated_at = excluded.updated_at",
        )
        .await?;
        Ok(())
    }

    pub async fn list_branches(&self, tenant_id: i64) -> Result<Vec<Branch>> {
        let rows = sqlx::query("SELECT id, code, name, city, address, active FROM branches WHERE tenant_id = $1 ORDER BY code")
            .bind(tenant_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Branch {
                    id: r.try_get("id")?,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    city: r.try_get("city")?,
                    address: r.try_get("address")?,
                    active: r.try_get::<i64, _>("active")? != 0,
                })
            })
            .collect()
    }

    pub async fn branch_id(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT id FROM branches WHERE tenant_id = $1 AND code = $2")
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| Ok(r.try_get("id")?)).transpose()
    }

    /// Changes stock atomically and records the movement. A move that would take stock below zero
    /// changes nothing and returns `None`.
    pub async fn change_stock(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        branch_id: i64,
        product_id: i64,
        change: StockChange,
        reason: Option<&str>,
        now: i64,
    ) -> Result<Option<i64>> {
        sqlx::query(
            "INSERT INTO branch_stock (tenant_id, branch_id, product_id, quantity, updated_at) VALUES ($1, $2, $3, 0, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(tenant_id)
        .bind(branch_id)
        .bind(product_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        // The row is locked (PostgreSQL) or the write lock is held (SQLite) from this read to commit,
        // so concurrent moves never lose an update.
        let before: i64 = crate::bulk::dynamic(format!(
            "SELECT quantity FROM branch_stock WHERE tenant_id = $1 AND branch_id = $2 AND product_id = $3{}",
            self.lock_suffix()
        ))
        .bind(tenant_id)
        .bind(branch_id)
        .bind(product_id)
        .fetch_one(&mut *conn)
        .await?
        .try_get("quantity")?;
        let after = match change {
            StockChange::Set(q) => q,
            StockChange::Move(d) => before + d,
        };
        if after < 0 {
            return Ok(None);
        }
        sqlx::query(
            "UPDATE branch_stock SET quantity = $4, updated_at = $5 WHERE tenant_id = $1 AND branch_id = $2 AND product_id = $3",
        )
        .bind(tenant_id)
        .bind(branch_id)
        .bind(product_id)
        .bind(after)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        let id = self.allocate_ids(conn, 1).await?[0];
        sqlx::query(
            "INSERT INTO stock_movements (tenant_id, id, branch_id, product_id, delta, quantity_after, reason, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(branch_id)
        .bind(product_id)
        .bind(after - before)
        .bind(after)
        .bind(reason)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(Some(after))
    }

    pub async fn branch_stock(&self, tenant_id: i64, branch_code: &str) -> Result<Vec<StockLevel>> {
        let rows = sqlx::query(
            "SELECT b.code AS branch, p.sku AS sku, s.quantity AS quantity FROM branch_stock s
             JOIN branches b ON b.tenant_id = s.tenant_id AND b.id = s.branch_id
             JOIN products p ON p.tenant_id = s.tenant_id AND p.id = s.product_id
             WHERE s.tenant_id = $1 AND b.code = $2 ORDER BY p.sku",
        )
        .bind(tenant_id)
        .bind(branch_code)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(StockLevel { branch: r.try_get("branch")?, sku: r.try_get("sku")?, quantity: r.try_get("quantity")? }))
            .collect()
    }
}
