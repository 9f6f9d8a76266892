//! Sepidar end to end, on every backend, against a local server that speaks its web service
//! (device registration, RSA-sealed request codes, MD5 sign-in): a wrong password is reported,
//! a read brings in customers, items and invoices, a second read changes nothing, an edited
//! invoice is recorded anew, a revoked one is taken back, a new fiscal year revokes nothing, and
//! a service that is down leaves everything as it was.

mod common;

use common::TestApp;
use common::sepidar::{PASSWORD, SERIAL, SepidarServer, USER};
use common::woo::drain;
use serde_json::{Value, json};

fn customer(id: i64, name: &str, last: &str, phone: &str) -> Value {
    json!({ "CustomerID": id, "GUID": null, "Title": format!("{name} {last}"), "Code": format!("C{id}"),
            "PhoneNumber": phone, "CustomerType": 1, "Name": name, "LastName": last, "BirthDate": null,
            "NationalID": null, "EconomicCode": null, "Version": 1, "GroupingRef": null, "DiscountRate": 0.0,
            "Remainder": 0.0, "CreditRemainder": 0.0, "Addresses": [] })
}

fn item(id: i64, code: &str, title: &str, fee: f64) -> Value {
    json!({ "ItemID": id, "Code": code, "Barcode": null, "Title": title, "IsActive": true, "IsSellable": true,
            "Type": 1, "UnitRef": 1, "ConsumerFee": fee, "TotalInventory": 40.0, "Tracings": [],
            "TracingInventories": [], "PropertyValues": [], "IsTaxExempt": false, "TaxRate": 9.0, "DutyRate": 0.0 })
}

/// An invoice in rials of `units` of item 9 at 1,000,000 with 9 % tax.
fn invoice(id: i64, customer: i64, units: f64, date: &str) -> Value {
    let price = units * 1_000_000.0;
    let tax = price * 0.09;
    json!({ "InvoiceID": id, "OrderRef": null, "QuotationRef": null, "Number": id + 1000, "Date": date,
            "CustomerRef": customer, "CurrencyRef": 1, "Rate": 1.0, "SaleTypeRef": 1, "AddressRef": null,
            "Price": price, "Tax": tax, "Duty": 0.0, "Discount": 0.0, "Addition": 0.0, "NetPrice": price + tax,
            "Agreements": null,
            "InvoiceItems": [{ "InvoiceItemID": id * 10, "ItemRef": 9, "TracingRef": null, "Quantity": units,
                "Fee": 1_000_000.0, "Price": price, "Discount": 0.0, "Tax": tax, "Duty": 0.0, "Addition": 0.0,
                "NetPrice": price + tax, "Description": null, "IsAggregateDiscountInvoiceItem": false }] })
}

async fn read_now(app: &TestApp) -> (u16, Value) {
    let r = app.post("/api/v1/connections/acc/backfill", json!({})).await;
    (r.status.as_u16(), r.body)
}

#[tokio::test]
async fn sepidar_invoices_come_in_once_and_follow_edits_and_revocations() {
    for app in common::apps().await {
        let server = SepidarServer::start().await;
        {
            let mut books = server.books.lock().unwrap();
            books.customers = vec![customer(77, "مریم", "رحیمی", "09351112233"), customer(78, "شرکت", "نور", "021-88776655")];
            books.items = vec![item(9, "TEA-1", "چای ممتاز", 1_000_000.0), item(10, "", "فنجان", 300_000.0)];
            books.invoices = vec![
                invoice(501, 77, 2.0, "2026-11-20T00:00:00"),
                invoice(502, 77, 1.0, "2026-11-21T00:00:00"),
                invoice(503, 78, 3.0, "2026-11-22T00:00:00"),
            ];
        }
        // A wrong password: the connection is kept, the read refused with Sepidar's reason.
        let made = app
            .post(
                "/api/v1/connections",
                json!({"kind": "sepidar", "code": "acc", "currency": "IRR", "store_url": server.base,
                       "device_serial": SERIAL, "username": USER, "password": "wrong"}),
            )
            .await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        assert_eq!(made.body["connection"]["delivery_path"], "", "Sepidar is read, not delivered from");
        let (status, body) = read_now(&app).await;
        assert_eq!(status, 409, "{body:?}");
        assert!(body["detail"].as_str().unwrap().contains("رمز عبور"), "{body:?}");
        let fixed = app
            .put(
                "/api/v1/connections/acc",
                json!({"kind": "sepidar", "code": "acc", "store_url": server.base, "device_serial": SERIAL,
                       "username": USER, "password": PASSWORD}),
            )
            .await;
        assert_eq!(fixed.status, 200, "{:?}", fixed.body);
        assert!(fixed.body.to_string().find(PASSWORD).is_none(), "the password is never returned");

        // The first read brings in everything, in tomans, with buyers and products.
        let (status, body) = read_now(&app).await;
        assert_eq!(status, 202, "{body:?}");
        assert_eq!(body["sync"]["reconciled_orders"], 7, "2 customers, 2 items, 3 invoices");
        let round = drain(&app).await;
        assert_eq!((round.applied, round.failed), (7, 0), "{}", app.backend);
        assert_eq!(
            common::net_by_invoice(&app).await,
            [("501".to_string(), 218_000), ("502".to_string(), 109_000), ("503".to_string(), 327_000)]
        );
        let maryam = app.get("/api/v1/customers?q=09351112233").await;
        let maryam_id = maryam.body["items"][0]["id"].clone();
        assert_eq!(maryam.body["items"][0]["last_name"], "رحیمی");
        let list = app.get("/api/v1/invoices?limit=100").await;
        let by_maryam = list.body["items"].as_array().unwrap().iter().filter(|i| i["customer_id"] == maryam_id).count();
        assert_eq!(by_maryam, 2, "her invoices find her through her Sepidar id");
        let tea = app.get("/api/v1/products?q=TEA-1").await;
        assert_eq!(tea.body["items"][0]["price"], 100_000, "{:?}", tea.body);

        // Read again with nothing changed: nothing is queued.
        let (_, body) = read_now(&app).await;
        assert_eq!(body["sync"]["reconciled_orders"], 0);
        assert_eq!(drain(&app).await.claimed, 0);

        // 502 is edited to two units, 503 revoked, 504 added.
        {
            let mut books = server.books.lock().unwrap();
            books.invoices = vec![
                invoice(501, 77, 2.0, "2026-11-20T00:00:00"),
                invoice(502, 77, 2.0, "2026-11-21T00:00:00"),
                invoice(504, 77, 1.0, "2026-11-23T00:00:00"),
            ];
        }
        let (_, body) = read_now(&app).await;
        assert_eq!(body["sync"]["reconciled_orders"], 3, "the edit, the new one and the revocation");
        let round = drain(&app).await;
        assert_eq!((round.applied, round.failed), (3, 0));
        assert_eq!(
            common::net_by_invoice(&app).await,
            [
                ("501".to_string(), 218_000),
                ("502".to_string(), 0),
                ("502~2".to_string(), 218_000),
                ("503".to_string(), 0),
                ("504".to_string(), 109_000)
            ]
        );

        // A new fiscal year lists only its own invoices: last year's are not revoked.
        server.books.lock().unwrap().invoices = vec![invoice(900, 77, 1.0, "2027-03-22T00:00:00")];
        read_now(&app).await;
        drain(&app).await;
        let now = common::net_by_invoice(&app).await;
        assert_eq!(now.iter().map(|(_, n)| n).sum::<i64>(), 218_000 + 218_000 + 109_000 + 109_000);

        // The service stops: the read fails with its reason, nothing moves.
        server.books.lock().unwrap().failing = Some(503);
        let (status, body) = read_now(&app).await;
        assert_eq!(status, 409, "{body:?}");
        let view = app.get("/api/v1/connections/acc").await;
        assert!(view.body["sync"]["reconcile_error"].as_str().unwrap().contains("503"), "{:?}", view.body);
        assert_eq!(common::net_by_invoice(&app).await, now);
        let requests = server.books.lock().unwrap().requests.clone();
        assert!(
            requests.iter().any(|r| r == "POST Login 401") && requests.iter().any(|r| r == "GET Invoices 200"),
            "{requests:?}"
        );
        app.finish().await;
    }
}
