//! The address a request came from. Behind a proxy (Caddy, nginx, a load balancer) every
//! connection comes from the proxy, so per-address limits would lump all visitors together;
//! the proxy names the visitor in `X-Forwarded-For`. That header is believed only from proxies
//! the operator lists in `PHILIA_TRUSTED_PROXIES`, since anyone else can write it.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The visitor's address as a handler argument, so no handler reads the raw peer and bypasses
/// the trusted proxies.
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = <ConnectInfo<SocketAddr> as FromRequestParts<AppState>>::Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, state).await?;
        Ok(ClientAddress(state.client_address(peer.ip(), &parts.headers)))
    }
}

/// Proxies whose `X-Forwarded-For` is believed (none by default).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Addresses and networks separated by commas, e.g. `127.0.0.1, ::1, 10.0.0.0/8`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = match part.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => part
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| format!("PHILIA_TRUSTED_PROXIES: `{part}` is not an address or a network like 10.0.0.0/8"))?,
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    /// `PHILIA_TRUSTED_PROXIES` (unset: no proxy is trusted).
    pub fn from_env() -> Result<Self, String> {
        std::env::var("PHILIA_TRUSTED_PROXIES").map(|t| Self::parse(&t)).unwrap_or_else(|_| Ok(Self::default()))
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The visitor's address: the connection's peer, unless the peer is a trusted proxy; then the
    /// nearest address in `X-Forwarded-For` that is not itself a trusted proxy (read from the
    /// right, since each proxy appends the address it saw). A header that cannot be read leaves
    /// the last trusted address.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
        for hop in forwarded.iter().rev().flat_map(|line| line.rsplit(',')) {
            let Some(address) = parse_hop(hop) else { return client };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        client
    }
}

/// One entry of `X-Forwarded-For`: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    hop.parse::<std::net::SocketAddr>().ok().map(|s| canonical(s.ip()))
}

/// IPv4 addresses seen through an IPv6 socket (`::ffff:1.2.3.4`) count as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append("x-forwarded-for", HeaderValue::from_str(l).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("203.0.113.9"), &headers(&["198.51.100.1"])), ip("203.0.113.9"));
        let local = TrustedProxies::parse("127.0.0.1").unwrap();
        assert_eq!(local.client(ip("203.0.113.9"), &headers(&["198.51.100.1"])), ip("203.0.113.9"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_forged_entries_to_its_left_are_ignored() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        // The visitor wrote "1.1.1.1" themselves; the proxy appended the address it saw.
        assert_eq!(proxies.client(ip("127.0.0.1"), &headers(&["1.1.1.1, 198.51.100.7"])), ip("198.51.100.7"));
        // Two proxies in a row, the header split over two lines, a port on one entry.
        assert_eq!(proxies.client(ip("127.0.0.1"), &headers(&["1.1.1.1", "198.51.100.7:5123, 10.1.2.3"])), ip("198.51.100.7"));
        // No header: the proxy itself.
        assert_eq!(proxies.client(ip("127.0.0.1"), &HeaderMap::new()), ip("127.0.0.1"));
        // A broken entry stops the walk at the last address a trusted hop vouched for.
        assert_eq!(proxies.client(ip("127.0.0.1"), &headers(&["nonsense, 10.1.2.3"])), ip("10.1.2.3"));
        // Every hop trusted: the leftmost.
        assert_eq!(proxies.client(ip("127.0.0.1"), &headers(&["10.0.0.5, 10.0.0.6"])), ip("10.0.0.5"));
        // IPv6 and an IPv4 peer seen through an IPv6 socket.
        let v6 = TrustedProxies::parse("::1, 127.0.0.1").unwrap();
        assert_eq!(v6.client(ip("::1"), &headers(&["[2001:db8::7]:443"])), ip("2001:db8::7"));
        assert_eq!(v6.client(ip("::ffff:127.0.0.1"), &headers(&["198.51.100.8"])), ip("198.51.100.8"));
    }

    #[test]
    fn bad_settings_name_the_entry() {
        let e = TrustedProxies::parse("127.0.0.1, proxy.local").unwrap_err();
        assert!(e.contains("`proxy.local`"), "{e}");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse(" ").unwrap().0.is_empty());
    }
}
