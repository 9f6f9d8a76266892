//! Starts the real application on port 0 over a fresh database: a new SQLite file always, and a
//! new PostgreSQL database too when PHILIA_TEST_DATABASE_URL is set.

#![allow(dead_code)]

pub mod browser;
pub mod club;
pub mod panel;
pub mod providers;
pub mod push_service;
pub mod sepidar;
pub mod woo;

use philia_domain::tenant::NewTenant;
use philia_engine::{Engine, TenantContext};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Connection;

pub struct TestApp {
    pub backend: &'static str,
    pub base: String,
    pub engine: Engine,
    pub ctx: TenantContext,
    /// An admin key of the tenant `shop`.
    pub key: String,
    pub client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

pub struct Response {
    pub status: StatusCode,
    pub body: Value,
}

impl TestApp {
    pub async fn request(&self, method: Method, path: &str, key: Option<&str>, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("the server answers");
        let status = res.status();
        let text = res.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Response { status, body }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, Some(&self.key), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(&self.key), Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.request(Method::PUT, path, Some(&self.key), Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.request(Method::PATCH, path, Some(&self.key), Some(body)).await
    }

    /// A second tenant with its own admin key.
    pub async fn other_tenant(&self, slug: &str) -> (TenantContext, String) {
        self.engine.create_tenant(NewTenant::parse(slug, "Other", None, None, None).unwrap()).await.unwrap();
        let ctx = self.engine.tenant(slug).await.unwrap();
        let key = self.engine.create_api_key(&ctx, "admin", None).await.unwrap().key;
        (ctx, key)
    }

    /// Drops the PostgreSQL database of this run.
    pub async fn finish(self) {
        self.engine.store.close().await;
        if let Some((admin, name)) = self.pg {
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("the admin database answers");
            let _ =
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut conn).await;
        }
    }
}

async fn start(url: String, backend: &'static str, dir: Option<tempfile::TempDir>, pg: Option<(String, String)>) -> TestApp {
    let engine = Engine::open(&url).await.expect("the database opens").with_vault(philia_engine::secrets::Vault::ephemeral());
    engine.create_tenant(NewTenant::parse("shop", "فروشگاه آزمون", None, None, None).unwrap()).await.unwrap();
    let ctx = engine.tenant("shop").await.unwrap();
    let key = engine.create_api_key(&ctx, "admin", Some("tests")).await.unwrap().key;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = philia_web::AppState::new(engine.clone(), Some("operator-token-for-tests".into()));
    tokio::spawn(philia_web::serve(state, listener));
    let _ = rustls::crypto::ring::default_provider().install_default();
    TestApp { backend, base, engine, ctx, key, client: reqwest::Client::new(), _dir: dir, pg }
}

/// The application on every backend this run can reach.
pub async fn apps() -> Vec<TestApp> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("philia.db").display());
    out.push(start(url, "sqlite", Some(dir), None).await);
    if let Ok(admin) = std::env::var("PHILIA_TEST_DATABASE_URL") {
        let name = format!("philia_test_{}_{}", std::process::id(), rand_suffix());
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PHILIA_TEST_DATABASE_URL answers");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
        let url = match admin.rfind('/') {
            Some(i) if admin[..i].contains("//") && i > admin.find("//").unwrap() + 1 => format!("{}/{name}", &admin[..i]),
            _ => format!("{}/{name}", admin.trim_end_matches('/')),
        };
        out.push(start(url, "postgres", None, Some((admin, name))).await);
    }
    out
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{}_{}", nanos, N.fetch_add(1, Ordering::Relaxed))
}

/// A simple invoice body.
pub fn invoice(id: &str, issued_at: &str, mobile: &str, total_price: i64) -> Value {
    serde_json::json!({
        "external_id": id, "issued_at": issued_at,
        "customer": {"mobile": mobile, "name": "سارا احمدی"},
        "channel": "online",
        "lines": [{"sku": "SKU-1", "product_name": "مانتو", "category": "fashion", "quantity": 1, "unit_price": total_price}]
    })
}

/// The tenant's purchase points pay at checkout: one point is worth 100.
pub async fn make_points_payable(app: &TestApp) {
    let r = app
        .put(
            "/api/v1/point-types/purchase",
            serde_json::json!({"code": "purchase", "name": "امتیاز خرید", "expiry": {"kind": "never"}, "cash_value": 100}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Each invoice's external id with what it still counts (total less refunds), sorted.
pub async fn net_by_invoice(app: &TestApp) -> Vec<(String, i64)> {
    let r = app.get("/api/v1/invoices?limit=100").await;
    let mut out: Vec<(String, i64)> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (i["external_id"].as_str().unwrap().to_string(), i["total"].as_i64().unwrap() - i["refunded_total"].as_i64().unwrap())
        })
        .collect();
    out.sort();
    out
}
