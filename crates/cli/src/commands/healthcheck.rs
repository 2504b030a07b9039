//! `adapterbot healthcheck`: exits 0 when the server answers 200, for a container's HEALTHCHECK
//! (slim images have no curl). A plain HTTP/1.1 GET over TCP with a timeout.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{bail, Context};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// What to ask (http only).
    #[arg(
        long,
        env = "ADAPTERBOT_HEALTHCHECK_URL",
        default_value = "http://127.0.0.1:8080/health"
    )]
    pub url: String,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 3.0)]
    pub timeout: f64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.timeout.is_finite() && args.timeout > 0.0,
        "--timeout must be a positive number of seconds"
    );
    let timeout = Duration::from_secs_f64(args.timeout);
    let status = get_status(&args.url, timeout)?;
    if status != 200 {
        bail!("{} answered {status}", args.url);
    }
    println!("ok: {} answered 200", args.url);
    Ok(())
}

/// `http://host[:port][/path]` → (host, port, path).
fn parse_url(url: &str) -> anyhow::Result<(String, u16, String)> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
            h,
            p.parse::<u16>()
                .with_context(|| format!("{url}: bad port `{p}`"))?,
        ),
        _ => (authority, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    anyhow::ensure!(!host.is_empty(), "{url}: no host");
    Ok((host.to_string(), port, path.to_string()))
}

fn get_status(url: &str, timeout: Duration) -> anyhow::Result<u16> {
    let (host, port, path) = parse_url(url)?;
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .with_context(|| format!("resolving {host}"))?
        .next()
        .with_context(|| format!("{host} has no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let host_header = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: adapterbot-healthcheck\r\nConnection: close\r\n\r\n"
    )?;
    // The status line is all we need: "HTTP/1.1 200 OK".
    let mut head = Vec::new();
    let mut buf = [0u8; 256];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
        let n = stream.read(&mut buf).context("reading the answer")?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .with_context(|| format!("{url} did not answer HTTP"))?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_host_port_and_path() {
        let p = |u| parse_url(u).unwrap();
        assert_eq!(
            p("http://127.0.0.1:8080/health"),
            ("127.0.0.1".into(), 8080, "/health".into())
        );
        assert_eq!(p("http://localhost"), ("localhost".into(), 80, "/".into()));
        assert_eq!(
            p("http://[::1]:9000/ready"),
            ("::1".into(), 9000, "/ready".into())
        );
        assert!(parse_url("https://x/").is_err());
        assert!(parse_url("http://x:notaport/").is_err());
    }
}
