//! The server's listener: accepts TCP connections on 127.0.0.1, optionally completes a TLS
//! handshake (off the accept loop), and gives each connection a kill switch so that fault
//! injection can close a connection without answering.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Connections waiting for the server to take them.
const BACKLOG: usize = 256;

/// The address of a connection and its kill switch (available to handlers as
/// `ConnectInfo<ConnAddr>`).
#[derive(Debug, Clone)]
pub(crate) struct ConnAddr {
    pub(crate) remote: SocketAddr,
    killed: Arc<AtomicBool>,
}

impl ConnAddr {
    /// Makes the connection fail: reads end, writes error, so the answer in progress is never
    /// sent and the server closes the connection.
    pub(crate) fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, EmulatorListener>> for ConnAddr {
    fn connect_info(stream: IncomingStream<'_, EmulatorListener>) -> Self {
        stream.remote_addr().clone()
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// An accepted connection.
pub(crate) struct Conn {
    stream: Stream,
    killed: Arc<AtomicBool>,
}

impl Conn {
    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.is_killed() {
            return Poll::Ready(Ok(()));
        }
        match &mut this.stream {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.is_killed() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection dropped by fault injection",
            )));
        }
        match &mut this.stream {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match &mut this.stream {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match &mut this.stream {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Accepts connections (plain or TLS) for `axum::serve`.
pub(crate) struct EmulatorListener {
    connections: mpsc::Receiver<(Conn, ConnAddr)>,
    local: SocketAddr,
    accept_task: JoinHandle<()>,
}

impl EmulatorListener {
    /// Starts accepting on `listener`; with `tls`, each connection is handshaken first.
    pub(crate) fn new(listener: TcpListener, tls: Option<TlsAcceptor>) -> io::Result<Self> {
        let local = listener.local_addr()?;
        let (sender, connections) = mpsc::channel(BACKLOG);
        let accept_task = tokio::spawn(accept_loop(listener, tls, sender));
        Ok(Self {
            connections,
            local,
            accept_task,
        })
    }
}

impl Drop for EmulatorListener {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    sender: mpsc::Sender<(Conn, ConnAddr)>,
) {
    loop {
        let (tcp, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::debug!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let killed = Arc::new(AtomicBool::new(false));
        let addr = ConnAddr {
            remote,
            killed: Arc::clone(&killed),
        };
        match &tls {
            None => {
                let conn = Conn {
                    stream: Stream::Plain(tcp),
                    killed,
                };
                if sender.send((conn, addr)).await.is_err() {
                    return;
                }
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    match acceptor.accept(tcp).await {
                        Ok(stream) => {
                            let conn = Conn {
                                stream: Stream::Tls(Box::new(stream)),
                                killed,
                            };
                            let _ = sender.send((conn, addr)).await;
                        }
                        Err(error) => tracing::debug!(%error, "TLS handshake failed"),
                    }
                });
            }
        }
    }
}

impl Listener for EmulatorListener {
    type Io = Conn;
    type Addr = ConnAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.connections.recv().await {
            Some(connection) => connection,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ConnAddr {
            remote: self.local,
            killed: Arc::new(AtomicBool::new(false)),
        })
    }
}
