//! A loopback TCP proxy between the browser and a test server that can play the failures people
//! meet: the server gone (connections refused and cut) or a slow network (every request held back).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Every connection is cut and new ones are closed at once, as when the server is down.
    Down,
    /// Each piece of each request waits this long before it goes on to the server.
    Slow(Duration),
}

#[derive(Default)]
struct State {
    fault: Option<Fault>,
    connections: Vec<AbortHandle>,
}

pub struct FaultProxy {
    /// `http://127.0.0.1:<port>`, the address the browser uses.
    pub address: String,
    state: Arc<Mutex<State>>,
    accepting: AbortHandle,
}

impl FaultProxy {
    /// A proxy to `upstream` (`http://127.0.0.1:<port>`), passing everything through until told otherwise.
    pub async fn start(upstream: &str) -> FaultProxy {
        let upstream: SocketAddr = upstream.trim_start_matches("http://").parse().expect("a loopback address");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let fault = shared.lock().unwrap().fault.unwrap_or(Fault::None);
                if fault == Fault::Down {
                    drop(client);
                    continue;
                }
                let connection = tokio::spawn(relay(client, upstream, shared.clone()));
                shared.lock().unwrap().connections.push(connection.abort_handle());
            }
        })
        .abort_handle();
        FaultProxy { address, state, accepting }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn set(&self, fault: Fault) {
        let mut state = self.state.lock().unwrap();
        state.fault = Some(fault);
        if fault == Fault::Down {
            for connection in state.connections.drain(..) {
                connection.abort();
            }
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.set(Fault::Down);
    }
}

async fn relay(client: TcpStream, upstream: SocketAddr, state: Arc<Mutex<State>>) {
    let Ok(server) = TcpStream::connect(upstream).await else { return };
    let (mut client_reads, mut client_writes) = client.into_split();
    let (mut server_reads, mut server_writes) = server.into_split();
    let requests = async {
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let read = match client_reads.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => read,
            };
            let fault = state.lock().unwrap().fault;
            if let Some(Fault::Slow(delay)) = fault {
                tokio::time::sleep(delay).await;
            }
            if server_writes.write_all(&buffer[..read]).await.is_err() {
                break;
            }
        }
        let _ = server_writes.shutdown().await;
    };
    let answers = async {
        let _ = tokio::io::copy(&mut server_reads, &mut client_writes).await;
        let _ = client_writes.shutdown().await;
    };
    tokio::join!(requests, answers);
}
