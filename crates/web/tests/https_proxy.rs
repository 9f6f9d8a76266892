//! The shipped `deploy/Caddyfile` in front of the product, run by a real Caddy (Debian's `caddy`;
//! `.ci/run` installs it). Only the addresses change and Caddy's own local certificate authority
//! stands in for a public one (`local_certs`), so the test needs no Internet: the platform's host
//! gets its certificate at start, a brand's own host gets one on its first visit after Caddy asked
//! `/tls/allowed`, and a name no brand registered gets none — its TLS handshake fails.

mod common;

use common::apps;
use serde_json::json;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PLATFORM_HOST: &str = "platform.test";
const BRAND_HOST: &str = "club.roya.test";
const LATER_HOST: &str = "club.other.test";

/// A Caddy process, stopped when dropped.
struct Caddy {
    child: Child,
    log: PathBuf,
    https: SocketAddr,
    storage: PathBuf,
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Caddy {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Caddy's local root certificate, written when it issues the platform host's certificate.
    async fn root_certificate(&self) -> reqwest::Certificate {
        let path = self.storage.join("pki/authorities/local/root.crt");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(pem) = std::fs::read(&path) {
                return reqwest::Certificate::from_pem(&pem).expect("Caddy's root certificate is PEM");
            }
            assert!(Instant::now() < deadline, "Caddy made no local certificate authority:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `deploy/Caddyfile` with the test's addresses and Caddy's local certificate authority.
fn caddyfile_for_test(upstream: &str, http_port: u16, https_port: u16, storage: &Path) -> String {
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/Caddyfile"))
        .expect("deploy/Caddyfile is readable");
    assert!(shipped.contains("127.0.0.1:8080") && shipped.contains("loyalty.example.com") && shipped.starts_with("#"));
    let adapted = shipped.replace("127.0.0.1:8080", upstream).replace("loyalty.example.com", PLATFORM_HOST);
    // The global options block is the file's first `{` line; the test's own options go first in it.
    let (head, rest) = adapted.split_once("\n{\n").expect("the Caddyfile opens with a global options block");
    format!(
        "{head}\n{{\n\tadmin off\n\tlocal_certs\n\tskip_install_trust\n\thttp_port {http_port}\n\thttps_port {https_port}\n\
         \tstorage file_system {}\n{rest}",
        storage.display()
    )
}

fn start_caddy(dir: &Path, upstream: &str) -> Caddy {
    let (http_port, https_port) = (free_port(), free_port());
    let storage = dir.join("caddy-data");
    let config = dir.join("Caddyfile");
    std::fs::write(&config, caddyfile_for_test(upstream, http_port, https_port, &storage)).unwrap();
    let log = dir.join("caddy.log");
    let out = std::fs::File::create(&log).unwrap();
    let child = Command::new(std::env::var("PHILIA_CADDY").unwrap_or_else(|_| "caddy".into()))
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&config)
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("Caddy starts (apt-get install caddy, or set PHILIA_CADDY): {e}"));
    Caddy { child, log, https: SocketAddr::from(([127, 0, 0, 1], https_port)), storage }
}

/// A client that trusts only Caddy's local authority and sends the platform's host to Caddy.
fn builder(caddy: &Caddy, root: &reqwest::Certificate) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(root.clone())
        .resolve(PLATFORM_HOST, caddy.https)
        .timeout(Duration::from_secs(20))
}

/// The same for every test host name, following no redirects.
fn client(caddy: &Caddy, root: reqwest::Certificate) -> reqwest::Client {
    builder(caddy, &root)
        .resolve(BRAND_HOST, caddy.https)
        .resolve(LATER_HOST, caddy.https)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn caddy_serves_the_platform_and_brands_own_domains_over_https() {
    for app in apps().await {
        let r = app.put("/api/v1/club/branding", json!({"club_name": "باشگاه رویا", "custom_domain": BRAND_HOST})).await;
        assert_eq!(r.status, 200, "{}", r.body);

        let dir = tempfile::tempdir().unwrap();
        let upstream = app.base.trim_start_matches("http://").to_string();
        let caddy = start_caddy(dir.path(), &upstream);
        let https = client(&caddy, caddy.root_certificate().await);
        let port = caddy.https.port();

        // The platform's own host: a certificate for its name, the product behind it.
        let deadline = Instant::now() + Duration::from_secs(30);
        let health = loop {
            match https.get(format!("https://{PLATFORM_HOST}:{port}/healthz")).send().await {
                Ok(res) => break res,
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(200)).await,
                Err(e) => panic!("Caddy serves the platform host over HTTPS: {e}\n{}", caddy.log()),
            }
        };
        assert_eq!(health.status(), 200, "{}", caddy.log());

        // A brand's own host: a certificate made on the first visit, then its club.
        let res = https
            .get(format!("https://{BRAND_HOST}:{port}/games?from=sms"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("a brand's own host gets a certificate on demand: {e}\n{}", caddy.log()));
        assert_eq!(res.status(), 303, "{}", caddy.log());
        assert_eq!(res.headers()["location"], "/club/shop/games?from=sms");
        let page = https.get(format!("https://{BRAND_HOST}:{port}/club/shop/sign-in")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("باشگاه رویا"));

        // A name no brand registered: Philia says no, so Caddy has no certificate to offer. Once a
        // brand takes the name, the same request gets one and lands in that brand's club.
        let refused = https.get(format!("https://{LATER_HOST}:{port}/")).send().await;
        assert!(refused.is_err(), "a name nobody registered was served: {:?}", refused.map(|r| r.status()));
        let (_, other_key) = app.other_tenant("other").await;
        let taken = app
            .request(reqwest::Method::PUT, "/api/v1/club/branding", Some(&other_key), Some(json!({"custom_domain": LATER_HOST})))
            .await;
        assert_eq!(taken.status, 200, "{}", taken.body);
        let res = https
            .get(format!("https://{LATER_HOST}:{port}/"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("a newly registered host gets a certificate: {e}\n{}", caddy.log()));
        assert_eq!(res.headers()["location"], "/club/other");
        let log = caddy.log();
        for host in [BRAND_HOST, LATER_HOST] {
            assert!(
                log.contains(&format!("\"certificate obtained successfully\",\"identifier\":\"{host}\"")),
                "Caddy's log shows {host}'s certificate issued:\n{log}"
            );
        }
        drop(caddy);
        app.finish().await;
    }
}

/// Five requests, then one a minute: nothing refills during the test.
fn five() -> governor::Quota {
    use std::num::NonZeroU32;
    governor::Quota::per_minute(NonZeroU32::new(1).unwrap()).allow_burst(NonZeroU32::new(5).unwrap())
}

/// A client of Caddy's platform host from its own loopback address (all of 127.0.0.0/8 is this
/// machine), as if it were a visitor somewhere else.
fn visitor(caddy: &Caddy, root: &reqwest::Certificate, from: [u8; 4]) -> reqwest::Client {
    builder(caddy, root).local_address(std::net::IpAddr::from(from)).build().unwrap()
}

#[tokio::test]
async fn behind_caddy_each_visitor_has_their_own_address_budget() {
    for app in apps().await {
        // The product as `philia serve` runs it behind Caddy on the same machine.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = listener.local_addr().unwrap().to_string();
        let proxies = philia_web::client_address::TrustedProxies::parse("127.0.0.1").unwrap();
        let state = philia_web::AppState::new(app.engine.clone(), None)
            .with_limits(philia_web::limits::RateLimits::new(None, Some(five())))
            .with_trusted_proxies(proxies);
        tokio::spawn(philia_web::serve(state, listener));

        let dir = tempfile::tempdir().unwrap();
        let caddy = start_caddy(dir.path(), &upstream);
        let root = caddy.root_certificate().await;
        let url = format!("https://{PLATFORM_HOST}:{}/healthz", caddy.https.port());
        let (first, second) = (visitor(&caddy, &root, [127, 0, 0, 2]), visitor(&caddy, &root, [127, 0, 0, 3]));
        let deadline = Instant::now() + Duration::from_secs(30);
        while second.get(&url).send().await.is_err() {
            assert!(Instant::now() < deadline, "Caddy serves the platform host:\n{}", caddy.log());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(first.get(&url).send().await.unwrap().status().as_u16());
        }
        assert_eq!(statuses, [200, 200, 200, 200, 200, 429], "{}", app.backend);
        // A visitor over budget cannot borrow another's name: Caddy does not pass on what a
        // visitor writes in X-Forwarded-For, it names the address it saw.
        let forged = first.get(&url).header("x-forwarded-for", "198.51.100.20").send().await.unwrap();
        assert_eq!(forged.status(), 429);
        // The other visitor, through the same proxy, keeps their own budget (one request spent
        // above while Caddy started).
        for _ in 0..4 {
            assert_eq!(second.get(&url).send().await.unwrap().status(), 200, "{}", app.backend);
        }
        drop(caddy);
        app.finish().await;
    }
}
