//! A real headless Chromium driven through ChromeDriver (WebDriver), for page tests. The binaries
//! are Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); `PHILIA_CHROMIUM` and
//! `PHILIA_CHROMEDRIVER` point elsewhere.

use fantoccini::{Client, ClientBuilder, Locator};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Browser {
    pub client: Client,
    driver: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Where screenshots are kept as test artifacts.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium window of the given size.
    pub async fn start(width: u32, height: u32) -> Browser {
        let driver_bin = std::env::var("PHILIA_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("PHILIA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("ChromeDriver at {driver_bin} starts (apt-get install chromium chromium-driver): {e}"));
        let url = format!("http://127.0.0.1:{port}");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         format!("--window-size={width},{height}"), "--force-device-scale-factor=1"]
            }),
        );
        let mut last = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(client) => return Browser { client, driver },
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("ChromeDriver answers on {url}: {last:?}");
    }

    /// Signs in through the sign-in form (`lang`: the language picked on that page, if any).
    pub async fn sign_in(&self, base: &str, lang: Option<&str>, email: &str, password: &str) {
        let query = lang.map(|l| format!("?lang={l}")).unwrap_or_default();
        self.goto(&format!("{base}/admin/sign-in{query}")).await;
        self.fill("#f-email", email).await;
        self.fill("#f-password", password).await;
        self.submit("button[type=submit]").await;
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css} is on the page: {e}"));
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css} is on the page: {e}")).click().await.unwrap();
    }

    /// Clicks a button that leaves the page (a form's submit) and waits for the next page.
    pub async fn submit(&self, css: &str) {
        self.eval("window.__leaving = true; return null").await;
        self.click(css).await;
        for _ in 0..200 {
            let done =
                self.client.execute("return window.__leaving === undefined && document.readyState === 'complete'", vec![]).await;
            if matches!(done, Ok(serde_json::Value::Bool(true))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("pressing {css} leads to another page");
    }

    /// Picks an option of a select (as a person would, so its change event fires).
    pub async fn select(&self, css: &str, value: &str) {
        let select = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css} is on the page: {e}"));
        select.select_by_value(value).await.unwrap_or_else(|e| panic!("{css} offers {value}: {e}"));
    }

    /// Waits until a script returns true (up to five seconds).
    pub async fn wait_until(&self, script: &str) {
        for _ in 0..200 {
            if matches!(self.client.execute(script, vec![]).await, Ok(serde_json::Value::Bool(true))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the page reaches: {script}");
    }

    /// Runs an asynchronous script: its last argument is the callback that returns the value.
    pub async fn eval_async(&self, script: &str) -> serde_json::Value {
        self.client.execute_async(script, vec![]).await.unwrap()
    }

    pub async fn text(&self, css: &str) -> String {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css} is on the page: {e}")).text().await.unwrap()
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
    }

    /// Saves a PNG of the window under `target/screenshots/`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    pub async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
