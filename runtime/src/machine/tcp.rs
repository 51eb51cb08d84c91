//! The TCP device: one listening socket on loopback (port `$PALLAS_TCP_PORT`, or any free
//! port) and the connections it accepts or opens. Every socket is non-blocking and polled from
//! the machine's loop, so a slow connection never holds up another.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};

/// Most bytes one `%take` returns.
pub const TAKE_MAX: usize = 4096;

/// What a pending request is waiting for.
#[derive(Clone, Debug)]
pub enum TcpWait {
    /// A new connection.
    Hear,
    /// Bytes (or end of stream) on this connection.
    Take(u64),
    /// Room to send these bytes on this connection.
    Give(u64, Vec<u8>),
}

/// What a poll produced.
pub enum TcpEvent {
    /// A connection: its handle, the peer's IPv4 address as a u32 of the octets (127.0.0.1
    /// is 16777343), and the peer's port.
    Heard(u64, u32, u16),
    /// Bytes read (empty at end of stream or on an error).
    Took(Vec<u8>),
    /// Bytes sent (`None`: the connection is unknown or failed).
    Gave(Option<usize>),
}

/// The sockets of one machine.
#[derive(Default)]
pub struct Tcp {
    listener: Option<TcpListener>,
    conns: HashMap<u64, TcpStream>,
    next: u64,
}

/// IPv4 octets as the u32 the protocol uses (first octet in the low byte).
pub fn ip_word(ip: Ipv4Addr) -> u32 {
    u32::from_le_bytes(ip.octets())
}

impl Tcp {
    fn listener(&mut self) -> std::io::Result<&TcpListener> {
        if self.listener.is_none() {
            let port = std::env::var("PALLAS_TCP_PORT")
                .ok()
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            let l = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))?;
            l.set_nonblocking(true)?;
            self.listener = Some(l);
        }
        match &self.listener {
            Some(l) => Ok(l),
            None => Err(std::io::Error::other("no listener")),
        }
    }

    /// The listening port (binding it on first use); 0 if it cannot be bound.
    pub fn mine(&mut self) -> u16 {
        self.listener()
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(0)
    }

    /// Adds a connection under the next handle (the first is 0, as in the reference).
    fn add(&mut self, s: TcpStream) -> Option<u64> {
        s.set_nonblocking(true).ok()?;
        let h = self.next;
        self.next += 1;
        self.conns.insert(h, s);
        Some(h)
    }

    /// Opens a connection to `ip:port` (blocking for at most two seconds).
    pub fn open(&mut self, ip: u32, port: u16) -> Option<u64> {
        let addr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(ip.to_le_bytes()), port));
        let s = TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2)).ok()?;
        self.add(s)
    }

    /// Writes what the socket takes now: `None` while it takes nothing (try again later),
    /// `Some(None)` for an unknown or failed connection (a failed one is dropped).
    pub fn give(&mut self, h: u64, bytes: &[u8]) -> Option<Option<usize>> {
        let Some(s) = self.conns.get_mut(&h) else {
            return Some(None);
        };
        match s.write(bytes) {
            Ok(n) => Some(Some(n)),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => None,
            Err(_) => {
                self.conns.remove(&h);
                Some(None)
            }
        }
    }

    /// Closes a connection.
    pub fn shut(&mut self, h: u64) {
        if let Some(s) = self.conns.remove(&h) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Tries to satisfy a wait now; `None` while there is nothing yet.
    pub fn poll(&mut self, w: &TcpWait) -> Option<TcpEvent> {
        match *w {
            TcpWait::Hear => {
                let (s, peer) = match self.listener().ok()?.accept() {
                    Ok(x) => x,
                    Err(_) => return None,
                };
                let (ip, port) = match peer {
                    SocketAddr::V4(a) => (ip_word(*a.ip()), a.port()),
                    SocketAddr::V6(a) => (0, a.port()),
                };
                let h = self.add(s)?;
                Some(TcpEvent::Heard(h, ip, port))
            }
            TcpWait::Take(h) => {
                let Some(s) = self.conns.get_mut(&h) else {
                    return Some(TcpEvent::Took(Vec::new()));
                };
                let mut buf = vec![0u8; TAKE_MAX];
                match s.read(&mut buf) {
                    Ok(n) => {
                        buf.truncate(n);
                        if n == 0 {
                            // End of stream: the handle is gone (as in the reference).
                            self.conns.remove(&h);
                        }
                        Some(TcpEvent::Took(buf))
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => None,
                    Err(e) if e.kind() == ErrorKind::Interrupted => None,
                    Err(_) => {
                        self.conns.remove(&h);
                        Some(TcpEvent::Took(Vec::new()))
                    }
                }
            }
            TcpWait::Give(h, ref bytes) => self.give(h, bytes).map(TcpEvent::Gave),
        }
    }
}
