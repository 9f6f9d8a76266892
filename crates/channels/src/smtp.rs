//! Email over SMTP: plain (a local relay), STARTTLS (usually port 587) or TLS from the first byte
//! (usually 465), with optional login. The server's certificate is checked against the public
//! roots, plus a certificate of the business's own (a private CA or a self-signed server) when
//! one is given.

use crate::{Accepted, EmailMessage, Secret, SendError};
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    /// Default 25 for `none`, 587 for `starttls`, 465 for `tls`.
    pub port: Option<u16>,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The sender, e.g. `Café Lale <club@example.com>`.
    pub from: String,
    /// A PEM certificate to trust besides the public roots: the business's own CA, or its mail
    /// server's self-signed certificate. The host name must still match the certificate.
    pub ca_certificate: Option<String>,
}

impl Smtp {
    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.host.trim().is_empty() {
            out.push(("host", "is required".to_string()));
        }
        if self.from.parse::<Mailbox>().is_err() {
            out.push(("from", "must be an address such as Club <club@example.com>".to_string()));
        }
        if self.username.is_some() != self.password.is_some() {
            out.push(("password", "username and password go together".to_string()));
        }
        if let Some(pem) = &self.ca_certificate {
            if !pem.contains("-----BEGIN CERTIFICATE-----") || Certificate::from_pem(pem.as_bytes()).is_err() {
                out.push(("ca_certificate", "must be a certificate in PEM form (-----BEGIN CERTIFICATE-----)".to_string()));
            } else if self.security == SmtpSecurity::None {
                out.push(("ca_certificate", "is used only with starttls or tls".to_string()));
            }
        }
        out
    }

    /// TLS with the business's own certificate trusted too.
    fn tls_with_own_root(&self, pem: &str) -> Result<TlsParameters, SendError> {
        let cert =
            Certificate::from_pem(pem.as_bytes()).map_err(|e| SendError::Misconfigured(format!("smtp ca_certificate: {e}")))?;
        TlsParameters::builder(self.host.clone())
            .add_root_certificate(cert)
            .build_rustls()
            .map_err(|e| SendError::Misconfigured(format!("smtp tls: {e}")))
    }

    /// The port connected to: the one set, else the usual one for the security mode.
    pub(crate) fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            SmtpSecurity::None => 25,
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
        })
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
        let builder = match (self.security, self.ca_certificate.as_deref()) {
            (SmtpSecurity::None, _) => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host).port(self.port()),
            (SmtpSecurity::Starttls, Some(pem)) => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
                .port(self.port())
                .tls(Tls::Required(self.tls_with_own_root(pem)?)),
            (SmtpSecurity::Tls, Some(pem)) => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
                .port(self.port())
                .tls(Tls::Wrapper(self.tls_with_own_root(pem)?)),
            (SmtpSecurity::Starttls, None) => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)
                .map_err(|e| SendError::Misconfigured(format!("smtp: {e}")))?
                .port(self.port()),
            (SmtpSecurity::Tls, None) => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host)
                .map_err(|e| SendError::Misconfigured(format!("smtp: {e}")))?
                .port(self.port()),
        };
        let builder = match (&self.username, &self.password) {
            (Some(u), Some(p)) => builder.credentials(Credentials::new(u.clone(), p.expose().to_string())),
            _ => builder,
        };
        Ok(builder.timeout(Some(std::time::Duration::from_secs(15))).build())
    }

    pub(crate) async fn send(&self, m: &EmailMessage) -> Result<Accepted, SendError> {
        let from: Mailbox = self.from.parse().map_err(|e| SendError::Misconfigured(format!("smtp from: {e}")))?;
        let to: Mailbox = m.to.parse().map_err(|e| SendError::BadRecipient(format!("{}: {e}", m.to)))?;
        let builder = Message::builder().from(from).to(to).subject(&m.subject);
        let email = match &m.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(m.text.clone(), html.clone())),
            None => builder.header(ContentType::TEXT_PLAIN).body(m.text.clone()),
        }
        .map_err(|e| SendError::Refused(format!("building the message: {e}")))?;
        let message_id = email.headers().get_raw("Message-ID").map(str::to_string);
        match self.transport()?.send(email).await {
            Ok(_) => Ok(Accepted { provider_id: message_id, cost: None }),
            Err(e) => Err(classify(&e)),
        }
    }
}

/// A permanent refusal of the recipient (5xx at RCPT: no such mailbox) marks the address; other
/// permanent errors refuse the message; transient ones and connection problems are retried.
fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let text = format!("smtp: {e}");
    let code = e.status().map(|c| c.to_string());
    if e.is_permanent() {
        match code.as_deref() {
            Some("550" | "551" | "553") => SendError::BadRecipient(text),
            Some("535" | "530") => SendError::Misconfigured(text),
            _ => SendError::Refused(text),
        }
    } else {
        SendError::Unavailable(text)
    }
}
