//! Operations through the binary: a backup taken while invoices keep arriving restores to a
//! database whose statistics agree with its facts, a restore never silently replaces data, and
//! the doctor names what is wrong — on SQLite and on PostgreSQL.

mod common;

use common::{databases, drop_database};
use std::process::{Command, Output};

fn philia(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_philia"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "warn")
        .env("PHILIA_SECRET_KEY", "0f".repeat(32))
        .env_remove("PHILIA_PUBLIC_URL")
        .output()
        .expect("the binary runs")
}

fn ok(db: &str, args: &[&str]) -> String {
    let out = philia(db, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Invoices as the import format has them, one line each, spread over two years.
fn invoices_csv(from: usize, n: usize) -> String {
    let mut out = String::from("invoice_id,issued_at,customer_mobile,sku,quantity,unit_price\n");
    for i in from..from + n {
        let day = jiff::civil::date(2025, 1, 1).checked_add(jiff::Span::new().days((i % 700) as i64)).unwrap();
        out.push_str(&format!("live-{i},{day},0912{:07},SKU-{},1,{}\n", 1_000_000 + i % 300, i % 7, 10_000 + i));
    }
    out
}

#[test]
fn an_online_backup_restores_consistently_and_a_restore_never_replaces_data_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let sources = databases(dir.path());
    let target_dir = tempfile::tempdir().unwrap();
    let targets = databases(target_dir.path());
    for ((source, source_pg), (target, target_pg)) in sources.into_iter().zip(targets) {
        ok(&source, &["tenant", "create", "--slug", "shop", "--name", "فروشگاه"]);
        let first = dir.path().join("first.csv");
        std::fs::write(&first, invoices_csv(0, 500)).unwrap();
        ok(&source, &["import", "invoices", first.to_str().unwrap(), "--tenant", "shop"]);

        // Invoices keep arriving while the backup is taken.
        let more = dir.path().join("more.csv");
        std::fs::write(&more, invoices_csv(500, 3000)).unwrap();
        let writer = Command::new(env!("CARGO_BIN_EXE_philia"))
            .args(["import", "invoices", more.to_str().unwrap(), "--tenant", "shop"])
            .env("DATABASE_URL", &source)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let backup = dir.path().join(format!("online-{}.bak", source_pg.is_some()));
        let out = ok(&source, &["backup", "--out", backup.to_str().unwrap()]);
        assert!(out.contains("schema"), "{out}");
        let again = philia(&source, &["backup", "--out", backup.to_str().unwrap()]);
        assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
        let writer = writer.wait_with_output().unwrap();
        assert!(writer.status.success());

        // The snapshot is whole: its statistics are what a rebuild from its facts gives.
        ok(&target, &["restore", backup.to_str().unwrap()]);
        let usage = |db: &str| ok(db, &["usage", "--tenant", "shop", "--month", "2026-12", "--months", "36"]);
        let restored = usage(&target);
        ok(&target, &["rebuild", "--tenant", "shop"]);
        assert_eq!(usage(&target), restored, "statistics and facts of the snapshot agree");
        let counted: i64 =
            restored.lines().skip(1).map(|l| l.split('\t').nth(4).unwrap().replace(',', "").parse::<i64>().unwrap()).sum();
        assert!((500..=3500).contains(&counted), "{counted}");

        // A database holding data is replaced only when asked, and then equals the source.
        let quiet = dir.path().join(format!("quiet-{}.bak", source_pg.is_some()));
        ok(&source, &["backup", "--out", quiet.to_str().unwrap()]);
        let refused = philia(&target, &["restore", quiet.to_str().unwrap()]);
        assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("--force"));
        ok(&target, &["restore", quiet.to_str().unwrap(), "--force"]);
        let export = |db: &str, name: &str| {
            let file = dir.path().join(name);
            let _ = std::fs::remove_file(&file);
            ok(db, &["export", "invoices", "--tenant", "shop", "--out", file.to_str().unwrap()]);
            std::fs::read_to_string(file).unwrap()
        };
        let (a, b) = (export(&source, "a.csv"), export(&target, "b.csv"));
        assert_eq!(a.lines().count(), 3501, "every invoice line and the header");
        assert_eq!(a, b);
        assert_eq!(usage(&source), usage(&target));

        // A backup of the other database kind is refused with the reason.
        let wrong = philia(&target, &["restore", first.to_str().unwrap()]);
        assert!(String::from_utf8_lossy(&wrong.stderr).contains("not a Philia backup"));
        for name in [source_pg, target_pg].into_iter().flatten() {
            drop_database(&name);
        }
    }
}

#[test]
fn the_doctor_names_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    for (db, pg) in databases(dir.path()) {
        let out = philia(&db, &["doctor"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("ok    database:") && text.contains("warn  public address"), "{text}");

        // A provider whose address answers nothing fails the check, and the command.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let settings =
            format!(r#"{{"provider": "kavenegar", "api_key": "k", "sender": "1000", "base_url": "http://127.0.0.1:{port}"}}"#);
        ok(&db, &["channel", "set", "sms", &settings]);
        let out = philia(&db, &["doctor"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success());
        assert!(
            text.contains(&format!("FAIL  sms provider of the platform: kavenegar at 127.0.0.1:{port} cannot be reached")),
            "{text}"
        );

        // Settings sealed under another key are found before a message fails on them.
        let other_key = Command::new(env!("CARGO_BIN_EXE_philia"))
            .args(["doctor"])
            .env("DATABASE_URL", &db)
            .env("PHILIA_SECRET_KEY", "1e".repeat(32))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&other_key.stdout);
        assert!(text.contains("FAIL  platform key: PHILIA_SECRET_KEY does not open: sms settings of the platform"), "{text}");
        if let Some(name) = pg {
            drop_database(&name);
        }
    }
}
