//! Who may ask the playground, and for how long: the `Host` a request names must be the address
//! served (a DNS-rebinding page names its own domain), a request's `Origin`, when sent, must be
//! the page's own (another site's page cannot start or drive sessions), and the bounds on
//! connections (how many, how long a request may take to arrive, how long one may sit idle).

use std::net::IpAddr;

use hyper::HeaderMap;
use hyper::header;

/// The address the playground listens on, as a request must name it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Served {
    /// The address bound (unspecified, `0.0.0.0`, when listening on every interface).
    pub(super) ip: IpAddr,
    /// The port bound.
    pub(super) port: u16,
}

impl Served {
    /// Whether `host` (a `Host` header: `name:port`) names this server: `localhost` or a loopback
    /// address on a loopback server, the address bound (any address when bound to every
    /// interface), and the port served. A domain name other than `localhost` is refused: that is
    /// how a DNS-rebinding page reaches a local server.
    fn is_named_by(&self, host: &str) -> bool {
        let Some((name, port)) = host.rsplit_once(':') else {
            return false;
        };
        if port.parse() != Ok(self.port) {
            return false;
        }
        let name = name.trim_start_matches('[').trim_end_matches(']');
        match name.parse::<IpAddr>() {
            Ok(ip) => {
                ip == self.ip
                    || self.ip.is_unspecified()
                    || (ip.is_loopback() && self.ip.is_loopback())
            }
            Err(_) => {
                name.eq_ignore_ascii_case("localhost")
                    && (self.ip.is_loopback() || self.ip.is_unspecified())
            }
        }
    }

    /// Checks a request's `Host` and `Origin` headers.
    ///
    /// # Errors
    /// Why it is refused (answered 403), with what to do instead.
    pub(super) fn check(&self, headers: &HeaderMap) -> Result<(), String> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !self.is_named_by(host) {
            let shown: String = host.chars().take(100).collect();
            return Err(format!(
                "this playground answers requests to its own address only (Host {shown:?}): open \
                 the address it printed when it started"
            ));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let own = format!("http://{host}");
            if origin.to_str().ok() != Some(own.as_str()) {
                let shown: String = String::from_utf8_lossy(origin.as_bytes())
                    .chars()
                    .take(100)
                    .collect();
                return Err(format!(
                    "a request from another site's page ({shown}) is refused: only the \
                     playground's own page may use it"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use hyper::header::HeaderValue;

    use super::*;

    fn headers(host: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut map = HeaderMap::new();
        if let Some(host) = host {
            map.insert(header::HOST, HeaderValue::from_str(host).expect("ascii"));
        }
        if let Some(origin) = origin {
            map.insert(
                header::ORIGIN,
                HeaderValue::from_str(origin).expect("ascii"),
            );
        }
        map
    }

    #[test]
    fn hosts_and_origins_of_a_loopback_server() {
        let served = Served {
            ip: "127.0.0.1".parse().expect("an address"),
            port: 8000,
        };
        let cases: &[(Option<&str>, Option<&str>, bool)] = &[
            (Some("127.0.0.1:8000"), None, true),
            (Some("localhost:8000"), None, true),
            (Some("LocalHost:8000"), None, true),
            (Some("[::1]:8000"), None, true),
            (Some("127.0.0.1:8000"), Some("http://127.0.0.1:8000"), true),
            (Some("localhost:8000"), Some("http://localhost:8000"), true),
            // another port, a rebinding domain, a LAN address, no port, no Host
            (Some("127.0.0.1:8001"), None, false),
            (Some("evil.example:8000"), None, false),
            (Some("192.168.1.5:8000"), None, false),
            (Some("127.0.0.1"), None, false),
            (None, None, false),
            // another site's page, or the page under another of the server's names
            (Some("127.0.0.1:8000"), Some("http://evil.example"), false),
            (Some("127.0.0.1:8000"), Some("http://localhost:8000"), false),
            (Some("127.0.0.1:8000"), Some("null"), false),
        ];
        for &(host, origin, allowed) in cases {
            let verdict = served.check(&headers(host, origin));
            assert_eq!(verdict.is_ok(), allowed, "{host:?} {origin:?}: {verdict:?}");
        }
    }

    #[test]
    fn a_server_on_every_interface_takes_any_address_and_localhost_but_no_domain() {
        let served = Served {
            ip: "0.0.0.0".parse().expect("an address"),
            port: 80,
        };
        assert!(served.check(&headers(Some("192.168.1.5:80"), None)).is_ok());
        assert!(
            served
                .check(&headers(Some("evil.example:80"), None))
                .is_err()
        );
        assert!(served.check(&headers(Some("localhost:80"), None)).is_ok());
    }
}
