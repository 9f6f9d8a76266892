//! Catalogue use cases: categories, products, branches, stock.

use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::catalogue::{BranchInput, CategoryInput, ProductInput, StockInput, ValidCategory, ValidProduct};
use philia_domain::records::{Branch, Category, Product, StockLevel};

impl Engine {
    /// Creates or updates a category. A parent must exist and may not be the category itself or
    /// one of its descendants.
    pub async fn put_category(&self, ctx: &TenantContext, code: &str, input: &CategoryInput) -> Result<Category> {
        let c = input.parse(code)?;
        self.put_categories(ctx, std::slice::from_ref(&c)).await?;
        Ok(Category { code: c.code, name: c.name, parent: c.parent })
    }

    pub async fn put_categories(&self, ctx: &TenantContext, items: &[ValidCategory]) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let mut known: std::collections::HashMap<String, Option<String>> =
            items.iter().map(|c| (c.code.clone(), c.parent.clone())).collect();
        for c in items {
            // Walk up from the parent; meeting the category again would make a cycle.
            let mut cursor = c.parent.clone();
            let mut steps = 0;
            while let Some(p) = cursor {
                if p == c.code || steps > 100 {
                    return Err(EngineError::field(
                        Issue::new("cycle", "would make the category its own ancestor", "دسته نیای خودش می‌شود").at("parent"),
                    ));
                }
                cursor = match known.get(&p) {
                    Some(parent) => parent.clone(),
                    None => match self.store.category_parent(&mut tx, ctx.id, &p).await? {
                        Some(parent) => {
                            known.insert(p.clone(), parent.clone());
                            parent
                        }
                        None => {
                            return Err(EngineError::field(
                                Issue::new("unknown_parent", format!("no category has the code {p}"), "دسته والد وجود ندارد")
                                    .at("parent"),
                            ));
                        }
                    },
                };
                steps += 1;
            }
        }
        self.store.upsert_categories(&mut tx, ctx.id, items, now_ms()).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    pub async fn categories(&self, ctx: &TenantContext) -> Result<Vec<Category>> {
        Ok(self.store.list_categories(ctx.id).await?)
    }

    pub async fn put_product(&self, ctx: &TenantContext, sku: &str, input: &ProductInput) -> Result<Product> {
        let p = input.parse(sku)?;
        self.put_products(ctx, std::slice::from_ref(&p)).await?;
        self.product(ctx, &p.sku).await
    }

    pub async fn put_products(&self, ctx: &TenantContext, items: &[ValidProduct]) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        self.store.upsert_products(&mut tx, ctx.id, items, now_ms()).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    pub async fn product(&self, ctx: &TenantContext, sku: &str) -> Result<Product> {
        self.store.product_by_sku(ctx.id, sku).await?.ok_or(EngineError::NotFound("product"))
    }

    /// Products by SKU, optionally matching `q` in name or SKU.
    pub async fn products(
        &self,
        ctx: &TenantContext,
        q: Option<&str>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<crate::customers::Page<Product>> {
        let limit = limit.clamp(1, 500);
        let mut items = self.store.list_products(ctx.id, q, cursor, limit + 1).await?;
        let next_cursor = (items.len() as i64 > limit).then(|| items[limit as usize - 1].sku.clone());
        items.truncate(limit as usize);
        Ok(crate::customers::Page { items, next_cursor })
    }

    pub async fn put_branch(&self, ctx: &TenantContext, code: &str, input: &BranchInput) -> Result<Branch> {
        let b = input.parse(code)?;
        let mut tx = self.store.begin_write().await?;
        self.store.upsert_branch(&mut tx, ctx.id, &b, now_ms()).await?;
        self.audit_in(&mut tx, ctx, "branch.put", "branch", &b.code, crate::audit::NOTHING, Some(input)).await?;
        philia_store::commit(tx).await?;
        self.store.list_branches(ctx.id).await?.into_iter().find(|x| x.code == b.code).ok_or(EngineError::NotFound("branch"))
    }

    pub async fn branches(&self, ctx: &TenantContext) -> Result<Vec<Branch>> {
        Ok(self.store.list_branches(ctx.id).await?)
    }

    /// Sets or moves the stock of a product at a branch; stock never goes below zero.
    pub async fn change_stock(&self, ctx: &TenantContext, branch: &str, sku: &str, input: &StockInput) -> Result<StockLevel> {
        let (change, reason) = input.parse()?;
        let mut tx = self.store.begin_write().await?;
        let branch_id = self.store.branch_id(&mut tx, ctx.id, branch).await?.ok_or(EngineError::NotFound("branch"))?;
        let product_id = self.store.product_id(&mut tx, ctx.id, sku).await?.ok_or(EngineError::NotFound("product"))?;
        let after = self.store.change_stock(&mut tx, ctx.id, branch_id, product_id, change, reason.as_deref(), now_ms()).await?;
        let Some(quantity) = after else {
            return Err(EngineError::conflict("insufficient_stock", "the stock would go below zero", "موجودی منفی می‌شود"));
        };
        philia_store::commit(tx).await?;
        Ok(StockLevel { branch: branch.to_string(), sku: sku.to_string(), quantity })
    }

    pub async fn stock(&self, ctx: &TenantContext, branch: &str) -> Result<Vec<StockLevel>> {
        Ok(self.store.branch_stock(ctx.id, branch).await?)
    }
}
