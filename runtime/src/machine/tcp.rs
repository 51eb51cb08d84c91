//! The TCP device: one listening socket on loopback (port `$PALLAS_TCP_PORT`, or any free
//! port) and the connections it accepts or opens, with handles counted from 0. Every socket is
//! non-blocking and polled from the machine's loop, so a slow connection never holds up
//! another: a `%take` waits for bytes, a `%give` the socket cannot take now waits for room.
//! At end of stream (or on an error) a connection's handle is dropped.

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A connection opened by the device to a listener of the test's own: the device's
    /// handle and the test's end.
    fn pair(tcp: &mut Tcp) -> (u64, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let h = tcp.open(ip_word(Ipv4Addr::LOCALHOST), port).expect("open");
        let (peer, _) = l.accept().expect("accept");
        (h, peer)
    }

    /// Polls `w` until it gives something (or a few seconds pass).
    fn poll_until(tcp: &mut Tcp, w: &TcpWait) -> Option<TcpEvent> {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(5) {
            if let Some(ev) = tcp.poll(w) {
                return Some(ev);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        None
    }

    #[test]
    fn handles_count_from_zero_and_end_of_stream_drops_the_handle() {
        let mut tcp = Tcp::default();
        let (h0, _keep) = pair(&mut tcp);
        let (h1, mut peer) = pair(&mut tcp);
        assert_eq!((h0, h1), (0, 1));
        peer.write_all(b"hi").expect("write");
        match poll_until(&mut tcp, &TcpWait::Take(h1)) {
            Some(TcpEvent::Took(b)) => assert_eq!(b, b"hi"),
            _ => panic!("no bytes"),
        }
        drop(peer);
        match poll_until(&mut tcp, &TcpWait::Take(h1)) {
            Some(TcpEvent::Took(b)) => assert!(b.is_empty()),
            _ => panic!("no end of stream"),
        }
        assert_eq!(tcp.give(h1, b"x"), Some(None), "the handle is gone");
        assert_eq!(tcp.give(h0, b"x"), Some(Some(1)));
    }

    #[test]
    fn a_give_the_socket_cannot_take_waits_for_room() {
        let mut tcp = Tcp::default();
        let (h, mut peer) = pair(&mut tcp);
        let chunk = vec![7u8; 1 << 16];
        // Fill the socket's buffers until it takes nothing more.
        let mut sent = 0usize;
        loop {
            match tcp.give(h, &chunk) {
                Some(Some(n)) => sent += n,
                None => break,
                Some(None) => panic!("the connection failed"),
            }
            assert!(sent < 1 << 30, "the socket never filled");
        }
        let wait = TcpWait::Give(h, chunk.clone());
        assert!(tcp.poll(&wait).is_none(), "a full socket has no room");
        // The peer reads: room comes back and the wait is answered.
        let reader = std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 16];
            let mut got = 0usize;
            while let Ok(n) = peer.read(&mut buf) {
                if n == 0 {
                    break;
                }
                got += n;
            }
            got
        });
        match poll_until(&mut tcp, &wait) {
            Some(TcpEvent::Gave(Some(n))) => {
                assert!(n > 0);
                sent += n;
            }
            _ => panic!("the give was never answered"),
        }
        tcp.shut(h);
        assert_eq!(reader.join().expect("reader"), sent);
    }
}
