//! The command-line contract: scripts and later issues rely on these commands and outputs.

mod common;

use common::{databases, drop_database};
use std::process::Command;

fn philia(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_philia"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn tenants_keys_staff_import_export_and_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    for (db, pg) in databases(dir.path()) {
        let (ok, out, err) = philia(&db, &["tenant", "create", "--slug", "roya", "--name", "کافه رویا"]);
        assert!(ok, "{err}");
        assert!(out.contains("\"currency\": \"IRT\"") && out.contains("Asia/Tehran") && out.contains("jalali"), "{out}");
        let (ok, _, err) = philia(&db, &["tenant", "create", "--slug", "roya", "--name", "again"]);
        assert!(!ok && err.contains("slug"), "{err}");
        let (ok, _, err) = philia(&db, &["tenant", "create", "--slug", "X Y", "--name", "bad"]);
        assert!(!ok && err.contains("slug:"), "{err}");

        let (ok, key, err) = philia(&db, &["key", "create", "--tenant", "roya", "--role", "admin"]);
        assert!(ok, "{err}");
        assert!(key.trim().starts_with("phk_") && key.trim().len() == 52, "{key}");
        let (ok, _, err) = philia(&db, &["key", "create", "--tenant", "roya", "--role", "superuser"]);
        assert!(!ok && err.contains("role"), "{err}");
        let (ok, out, err) = philia(
            &db,
            &[
                "staff",
                "create",
                "--tenant",
                "roya",
                "--email",
                "owner@roya.ir",
                "--name",
                "مدیر",
                "--role",
                "owner",
                "--password",
                "a long enough secret",
            ],
        );
        assert!(ok && out.contains("owner@roya.ir"), "{err}");

        let customers = dir.path().join("customers.csv");
        std::fs::write(&customers, "external_id,mobile,email,first_name,last_name,gender,birth_date,province,city\nC1,09121234567,a@b.ir,سارا,احمدی,female,1369/02/27,تهران,تهران\nC2,bad,,,,,,,\n").unwrap();
        let errors = dir.path().join("errors.csv");
        let (ok, _, err) = philia(
            &db,
            &["import", "customers", customers.to_str().unwrap(), "--tenant", "roya", "--errors", errors.to_str().unwrap()],
        );
        assert!(ok, "{err}");
        assert!(err.contains("1 imported") && err.contains("1 refused"), "{err}");
        let report = std::fs::read_to_string(&errors).unwrap();
        assert!(report.lines().nth(1).unwrap().starts_with("3,mobile,invalid_mobile"), "{report}");

        let invoices = dir.path().join("invoices.csv");
        std::fs::write(&invoices, "invoice_id,issued_at,customer_mobile,sku,quantity,unit_price\n1,1403/01/15 14:30,09121234567,A,2,100000\n2,2024-05-01,09121234567,B,1,50000\n").unwrap();
        let (ok, _, err) = philia(&db, &["import", "invoices", invoices.to_str().unwrap(), "--tenant", "roya"]);
        assert!(ok && err.contains("2 imported"), "{err}");
        let (ok, _, err) = philia(&db, &["import", "invoices", invoices.to_str().unwrap(), "--tenant", "roya"]);
        assert!(ok && err.contains("0 imported, 2 unchanged"), "importing twice changes nothing: {err}");

        let out_file = dir.path().join("export.csv");
        let (ok, _, err) = philia(&db, &["export", "invoices", "--tenant", "roya", "--out", out_file.to_str().unwrap()]);
        assert!(ok, "{err}");
        let exported = std::fs::read_to_string(&out_file).unwrap();
        assert_eq!(exported.lines().count(), 3, "{exported}");
        assert!(exported.starts_with("invoice_id,source,issued_at,customer_external_id,customer_mobile"));
        let (ok, _, err) = philia(&db, &["export", "customers", "--tenant", "roya", "--out", out_file.to_str().unwrap()]);
        assert!(ok, "{err}");
        assert!(std::fs::read_to_string(&out_file).unwrap().contains("+989121234567"));
        let (ok, _, err) = philia(&db, &["rebuild", "--tenant", "roya"]);
        assert!(ok, "{err}");
        let (ok, _, err) = philia(&db, &["rebuild", "--tenant", "nobody"]);
        assert!(!ok && err.contains("tenant not found"), "{err}");
        if let Some(name) = pg {
            drop_database(&name);
        }
    }
}

#[test]
fn openapi_and_demo_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, _) = philia("sqlite://unused.db", &["openapi"]);
    assert!(ok);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(doc["paths"]["/api/v1/customers"].is_object());
    let csv_dir = dir.path().join("demo");
    let (ok, _, err) = philia(
        "sqlite://unused.db",
        &[
            "demo",
            "--customers",
            "50",
            "--invoices",
            "200",
            "--seed",
            "3",
            "--end",
            "2025-12-01",
            "--csv",
            csv_dir.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    let first = std::fs::read_to_string(csv_dir.join("invoices.csv")).unwrap();
    let (ok, _, _) = philia(
        "sqlite://unused.db",
        &[
            "demo",
            "--customers",
            "50",
            "--invoices",
            "200",
            "--seed",
            "3",
            "--end",
            "2025-12-01",
            "--csv",
            csv_dir.to_str().unwrap(),
        ],
    );
    assert!(ok);
    assert_eq!(first, std::fs::read_to_string(csv_dir.join("invoices.csv")).unwrap(), "the same seed writes the same data");
    assert_eq!(std::fs::read_to_string(csv_dir.join("customers.csv")).unwrap().lines().count(), 51);
    // The written files import cleanly.
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    philia(&db, &["tenant", "create", "--slug", "dd", "--name", "dd"]);
    for kind in ["categories", "products", "customers", "invoices"] {
        let (ok, _, err) =
            philia(&db, &["import", kind, csv_dir.join(format!("{kind}.csv")).to_str().unwrap(), "--tenant", "dd"]);
        assert!(ok && err.contains(" 0 refused"), "{kind}: {err}");
    }
    let _ = std::fs::remove_file("unused.db");
}

#[test]
fn demo_loads_a_tenant_and_prints_a_key() {
    let dir = tempfile::tempdir().unwrap();
    for (db, pg) in databases(dir.path()) {
        let (ok, _, err) = philia(&db, &["demo", "--customers", "120", "--invoices", "600", "--no-serve"]);
        assert!(ok, "{err}");
        assert!(err.contains("API key (admin, shown once): phk_"), "{err}");
        // The demo's coalition: the bakery next door, shared customers, points taken in there
        // and owed for by the demo brand.
        let (ok, out, err) = philia(&db, &["network", "statement", "demo-mall"]);
        assert!(ok && out.contains("demo\t") && out.contains("demo-bakery\t"), "{out}{err}");
        let owed: i64 = out
            .lines()
            .find(|l| l.starts_with("demo\t") && l.contains("\ttotal\t"))
            .and_then(|l| l.split('\t').nth(3))
            .map(|n| n.replace(',', "").parse().unwrap())
            .unwrap();
        assert!(owed > 0, "{out}");
        let (ok, _, err) = philia(&db, &["demo", "--no-serve"]);
        assert!(ok && err.contains("exists"), "a second run keeps the data: {err}");
        if let Some(name) = pg {
            drop_database(&name);
        }
    }
}

#[test]
fn networks_are_created_joined_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    for (db, pg) in databases(dir.path()) {
        for slug in ["roya", "baran"] {
            let (ok, _, err) = philia(&db, &["tenant", "create", "--slug", slug, "--name", slug]);
            assert!(ok, "{err}");
        }
        let create =
            ["network", "create", "--slug", "mall", "--name", "پاساژ", "--point-name", "امتیاز پاساژ", "--point-value", "1000"];
        let (ok, out, err) = philia(&db, &create);
        assert!(ok && out.contains("mall created") && out.contains("1,000 IRT"), "{out}{err}");
        let (ok, _, err) = philia(&db, &create);
        assert!(!ok && err.contains("slug"), "{err}");
        let (ok, out, err) = philia(&db, &["network", "invite", "mall", "roya", "--rate", "10:1"]);
        assert!(ok && out.contains("roya in mall: invited at 10:1"), "{out}{err}");
        let (ok, _, err) = philia(&db, &["network", "invite", "mall", "baran", "--rate", "ten"]);
        assert!(!ok && err.contains("rate"), "{err}");
        let (ok, _, err) = philia(&db, &["network", "invite", "mall", "nobody", "--rate", "2"]);
        assert!(!ok && err.contains("tenant"), "{err}");
        let (ok, out, _) = philia(&db, &["network", "list"]);
        assert!(ok && out.lines().any(|l| l.starts_with("mall\t") && l.contains("roya\tinvited\t10:1")), "{out}");
        let (ok, out, err) = philia(&db, &["network", "statement", "mall", "--month", "1405-09"]);
        assert!(ok && out.contains("roya\t1405-09\ttotal\t0\t0\t0 IRT"), "{out}{err}");
        let (ok, out, err) = philia(&db, &["network", "report", "mall"]);
        assert!(ok && out.contains("people <10"), "{out}{err}");
        if let Some(pg) = pg {
            drop_database(&pg);
        }
    }
}
