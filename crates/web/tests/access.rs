//! Keys, roles, tenant isolation and the catalogue, on every backend.

mod common;

use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn roles_gate_what_a_key_may_do() {
    for app in common::apps().await {
        let created = app.post("/api/v1/keys", json!({"role": "read_only", "name": "dashboard"})).await;
        assert_eq!(created.status, StatusCode::CREATED);
        let read_only = created.body["key"].as_str().unwrap().to_string();
        assert!(read_only.starts_with("phk_"));
        let integration =
            app.post("/api/v1/keys", json!({"role": "integration"})).await.body["key"].as_str().unwrap().to_string();
        let listed = app.get("/api/v1/keys").await;
        assert!(
            listed.body.as_array().unwrap().iter().all(|k| k.get("key").is_none() && k["prefix"].as_str().unwrap().len() == 12),
            "secrets are never listed"
        );

        let write = |key: String| {
            let app = &app;
            async move {
                app.request(Method::POST, "/api/v1/customers", Some(&key), Some(json!({"mobile": "09121234567"}))).await.status
            }
        };
        assert_eq!(write(read_only.clone()).await, StatusCode::FORBIDDEN);
        assert_eq!(write(integration.clone()).await, StatusCode::CREATED);
        assert_eq!(app.request(Method::GET, "/api/v1/customers", Some(&read_only), None).await.status, StatusCode::OK);
        assert_eq!(app.request(Method::GET, "/api/v1/keys", Some(&integration), None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.request(Method::GET, "/api/v1/customers", None, None).await.status, StatusCode::UNAUTHORIZED);
        let wrong = app.request(Method::GET, "/api/v1/customers", Some("phk_0000"), None).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.body["code"], "unauthenticated");

        let id = created.body["id"].as_i64().unwrap();
        assert_eq!(
            app.request(Method::DELETE, &format!("/api/v1/keys/{id}"), Some(&app.key), None).await.status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            app.request(Method::GET, "/api/v1/customers", Some(&read_only), None).await.status,
            StatusCode::UNAUTHORIZED,
            "a revoked key stops working"
        );
        assert_eq!(app.post("/api/v1/keys", json!({"role": "root"})).await.body["errors"][0]["field"], "role");

        let staff = app
            .post(
                "/api/v1/staff",
                json!({"email": "Owner@Shop.ir", "name": "مدیر", "role": "owner", "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(staff.status, StatusCode::CREATED, "{}", staff.body);
        assert_eq!(staff.body["email"], "owner@shop.ir");
        assert!(staff.body.get("password_hash").is_none());
        let dup = app
            .post(
                "/api/v1/staff",
                json!({"email": "owner@shop.ir", "name": "x", "role": "cashier", "password": "another long one"}),
            )
            .await;
        assert_eq!(dup.status, StatusCode::CONFLICT);
        let weak =
            app.post("/api/v1/staff", json!({"email": "c@shop.ir", "name": "x", "role": "cashier", "password": "short"})).await;
        assert_eq!(weak.body["errors"][0]["field"], "password");

        let tenant = app.patch("/api/v1/tenant", json!({"calendar": "gregorian"})).await;
        assert_eq!(tenant.body["calendar"], "gregorian");
        assert_eq!(app.patch("/api/v1/tenant", json!({"time_zone": "Mars/Base"})).await.body["errors"][0]["field"], "time_zone");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_operator_creates_tenants_with_their_first_key() {
    for app in common::apps().await {
        let body = json!({"slug": "cafe-roya", "name": "کافه رویا"});
        let no_token = app.request(Method::POST, "/api/v1/tenants", Some(&app.key), Some(body.clone())).await;
        assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
        let r = app.request(Method::POST, "/api/v1/tenants", Some("operator-token-for-tests"), Some(body.clone())).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["tenant"]["currency"], "IRT");
        assert_eq!(r.body["tenant"]["time_zone"], "Asia/Tehran");
        assert_eq!(r.body["tenant"]["calendar"], "jalali");
        let key = r.body["admin_key"]["key"].as_str().unwrap();
        assert_eq!(app.request(Method::GET, "/api/v1/tenant", Some(key), None).await.body["slug"], "cafe-roya");
        let again = app.request(Method::POST, "/api/v1/tenants", Some("operator-token-for-tests"), Some(body)).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let bad = app
            .request(Method::POST, "/api/v1/tenants", Some("operator-token-for-tests"), Some(json!({"slug": "A B", "name": ""})))
            .await;
        let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["slug", "name"]);
        app.finish().await;
    }
}

#[tokio::test]
async fn another_tenant_sees_nothing() {
    for app in common::apps().await {
        let inv = app.post("/api/v1/invoices", common::invoice("X-1", "2025-01-01T10:00:00Z", "09121234567", 100)).await;
        let (invoice_id, customer_id) = (inv.body["id"].as_i64().unwrap(), inv.body["customer_id"].as_i64().unwrap());
        app.put("/api/v1/products/SKU-1", json!({"name": "مانتو", "price": 100})).await;
        app.put("/api/v1/branches/vanak", json!({"name": "ونک"})).await;
        app.put("/api/v1/categories/fashion", json!({"name": "پوشاک"})).await;
        app.post("/api/v1/events", json!({"event_id": "e", "type": "page_view", "customer": {"id": customer_id}})).await;
        let (_, other) = app.other_tenant("rival").await;
        let get = |path: String| {
            let (app, other) = (&app, other.clone());
            async move { app.request(Method::GET, &path, Some(&other), None).await }
        };
        assert_eq!(get(format!("/api/v1/customers/{customer_id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(get(format!("/api/v1/customers/{customer_id}/timeline")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(get(format!("/api/v1/invoices/{invoice_id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(get(format!("/api/v1/invoices/{invoice_id}/refunds")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(get("/api/v1/products/SKU-1".into()).await.status, StatusCode::NOT_FOUND);
        assert_eq!(get("/api/v1/branches/vanak/stock".into()).await.body, json!([]));
        for list in ["/api/v1/customers", "/api/v1/invoices", "/api/v1/products"] {
            assert_eq!(get(list.into()).await.body["items"], json!([]), "{list}");
        }
        for list in [
            "/api/v1/branches",
            "/api/v1/categories",
            "/api/v1/identity-conflicts",
            "/api/v1/stats/daily?from=2024-01-01&to=2025-12-31",
            "/api/v1/staff",
        ] {
            assert_eq!(get(list.into()).await.body, json!([]), "{list}");
        }
        assert_eq!(get("/api/v1/customers?q=09121234567".into()).await.body["items"], json!([]));
        assert_eq!(get("/api/v1/keys".into()).await.body.as_array().unwrap().len(), 1, "only its own key");
        let write = |method: Method, path: String, body: serde_json::Value| {
            let (app, other) = (&app, other.clone());
            async move { app.request(method, &path, Some(&other), Some(body)).await.status }
        };
        assert_eq!(
            write(Method::POST, format!("/api/v1/invoices/{invoice_id}/refunds"), json!({"external_id": "r"})).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            write(Method::PATCH, format!("/api/v1/customers/{customer_id}"), json!({"city": "x"})).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            write(Method::POST, format!("/api/v1/customers/{customer_id}/merge"), json!({"merge_id": customer_id})).await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            write(Method::POST, "/api/v1/branches/vanak/stock/SKU-1".into(), json!({"quantity": 5})).await,
            StatusCode::NOT_FOUND
        );
        // The same invoice id in another tenant is that tenant's own invoice, not a duplicate.
        let theirs = app
            .request(
                Method::POST,
                "/api/v1/invoices",
                Some(&other),
                Some(common::invoice("X-1", "2025-01-01T10:00:00Z", "09121234567", 100)),
            )
            .await;
        assert_eq!(theirs.status, StatusCode::CREATED);
        assert_ne!(theirs.body["customer_id"], customer_id);
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogue_tree_products_and_exact_stock() {
    for app in common::apps().await {
        assert_eq!(app.put("/api/v1/categories/fashion", json!({"name": "پوشاک"})).await.status, StatusCode::OK);
        assert_eq!(
            app.put("/api/v1/categories/women", json!({"name": "زنانه", "parent": "fashion"})).await.status,
            StatusCode::OK
        );
        let cycle = app.put("/api/v1/categories/fashion", json!({"name": "پوشاک", "parent": "women"})).await;
        assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(cycle.body["errors"][0]["code"], "cycle");
        assert_eq!(
            app.put("/api/v1/categories/x", json!({"name": "x", "parent": "missing"})).await.body["errors"][0]["code"],
            "unknown_parent"
        );
        let p = app.put("/api/v1/products/MANTO-1", json!({"name": "مانتو کتان", "category": "women", "price": 2_450_000})).await;
        assert_eq!(p.body["category"], "women");
        assert_eq!(
            app.put("/api/v1/products/MANTO-1", json!({"name": "", "price": -1})).await.body["errors"].as_array().unwrap().len(),
            2
        );
        let found = app.get("/api/v1/products?q=manto").await;
        assert_eq!(found.body["items"][0]["sku"], "MANTO-1");
        app.put("/api/v1/branches/vanak", json!({"name": "شعبه ونک", "city": "تهران"})).await;
        // A line without a category takes its product's category.
        app.post("/api/v1/invoices", json!({"external_id": "P1", "issued_at": "2025-01-01", "customer": {"mobile": "09121234567"}, "lines": [{"sku": "MANTO-1", "unit_price": 2_450_000}]})).await;
        let c = app.get("/api/v1/customers?q=09121234567").await;
        assert_eq!(c.body["items"][0]["stats"]["categories"][0]["category"], "women");

        let set = app.post("/api/v1/branches/vanak/stock/MANTO-1", json!({"quantity": 30})).await;
        assert_eq!(set.body["quantity"], 30, "{}", set.body);
        // Forty sales of one at once against a stock of thirty: exactly thirty succeed.
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let (client, url, key) =
                (app.client.clone(), format!("{}/api/v1/branches/vanak/stock/MANTO-1", app.base), app.key.clone());
            tasks.push(tokio::spawn(async move {
                client.post(url).bearer_auth(key).json(&json!({"delta": -1, "reason": "فروش"})).send().await.unwrap().status()
            }));
        }
        let mut ok = 0;
        for t in tasks {
            let s = t.await.unwrap();
            assert!(s == StatusCode::OK || s == StatusCode::CONFLICT, "{s}");
            ok += usize::from(s == StatusCode::OK);
        }
        assert_eq!(ok, 30, "{}", app.backend);
        assert_eq!(
            app.get("/api/v1/branches/vanak/stock").await.body,
            json!([{"branch": "vanak", "sku": "MANTO-1", "quantity": 0}])
        );
        assert_eq!(
            app.post("/api/v1/branches/vanak/stock/MANTO-1", json!({"quantity": 1, "delta": 1})).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused_clearly() {
    for app in common::apps().await {
        let huge = format!("{{\"customers\": [{}]}}", vec!["{\"mobile\": \"09121234567\"}"; 4_000_000].join(","));
        let res = app
            .client
            .post(format!("{}/api/v1/customers/batch", app.base))
            .bearer_auth(&app.key)
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let res = app
            .client
            .post(format!("{}/api/v1/invoices", app.base))
            .bearer_auth(&app.key)
            .header("content-type", "application/json")
            .body("{\"external_id\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        app.finish().await;
    }
}

#[tokio::test]
async fn health_metrics_and_openapi_are_served() {
    for app in common::apps().await {
        assert_eq!(app.request(Method::GET, "/healthz", None, None).await.body["status"], "ok");
        app.get("/api/v1/customers").await;
        let metrics = app.request(Method::GET, "/metrics", None, None).await;
        assert!(metrics.body.as_str().unwrap().contains("philia_http_requests_total"), "{}", metrics.body);
        let doc = app.request(Method::GET, "/api/openapi.json", None, None).await;
        assert_eq!(doc.body["openapi"], "3.1.0");
        assert!(doc.body["paths"]["/api/v1/invoices/batch"]["post"].is_object());
        app.finish().await;
    }
}
