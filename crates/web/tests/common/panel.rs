//! A staff member's browser reduced to what the panel needs: cookies kept between requests,
//! redirects not followed (so each answer can be checked), forms posted with their CSRF token.

use reqwest::StatusCode;
use std::collections::HashMap;

pub struct Panel {
    pub base: String,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub html: String,
}

impl Page {
    /// The CSRF token written into the page's forms.
    pub fn csrf(&self) -> String {
        let at = self.html.find("name=\"csrf\" value=\"").expect("the page has a form with a CSRF token") + 19;
        self.html[at..at + self.html[at..].find('"').unwrap()].to_string()
    }
}

impl Panel {
    pub fn new(base: &str) -> Panel {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Panel { base: base.to_string(), client, cookies: HashMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn keep(&mut self, res: reqwest::Response) -> Page {
        for value in res.headers().get_all(reqwest::header::SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k)
            } else {
                self.cookies.insert(k.to_string(), v.to_string())
            };
        }
        let status = res.status();
        let location = res.headers().get(reqwest::header::LOCATION).map(|l| l.to_str().unwrap().to_string());
        Page { status, location, html: res.text().await.unwrap() }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let res = self.client.get(format!("{}{path}", self.base)).header("cookie", self.cookie_header()).send().await.unwrap();
        self.keep(res).await
    }

    /// Posts a form as a browser on this site would (with its Origin).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let origin = self.base.clone();
        self.post_from(&origin, path, fields).await
    }

    /// Posts a form sent from a page of `origin`.
    pub async fn post_from(&mut self, origin: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(res).await
    }

    /// Posts a form from the page at `referer`.
    pub async fn post_with_referer(&mut self, path: &str, referer: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("origin", self.base.clone())
            .header("referer", referer)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(res).await
    }

    /// Uploads a file form (multipart); the CSRF token travels in `path`'s query.
    pub async fn post_file(&mut self, path: &str, fields: &[(&str, &str)], file: (&str, Vec<u8>)) -> Page {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        form = form.part(file.0.to_string(), reqwest::multipart::Part::bytes(file.1).file_name("upload.csv"));
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("origin", self.base.clone())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.keep(res).await
    }

    /// Opens the sign-in page and signs in; returns the answer to the sign-in form.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let page = self.get("/admin/sign-in").await;
        let csrf = page.csrf();
        self.post("/admin/sign-in", &[("csrf", &csrf), ("email", email), ("password", password)]).await
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.contains_key(name)
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.get(name).cloned()
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_string(), value.to_string());
    }
}
