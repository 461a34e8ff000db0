//! Wiring: adapters chosen from settings, the router, and the listener. `main` and the test
//! harness both go through [`Application::build`].

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

use crate::adapters::local_files::LocalAttachmentStore;
use crate::adapters::outbox::OutboxMailer;
use crate::adapters::sqlite::SqliteStore;
use crate::config::Settings;
use crate::http::{AppState, api_router};
use crate::ports::{Clock, SystemClock};
use crate::service::Services;
use crate::service::email::EmailTemplates;

pub struct Application {
    listener: TcpListener,
    router: Router,
    address: SocketAddr,
}

impl Application {
    /// Binds the listener first, so port 0 resolves to the real port before links are built.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings.validate()?;
        let listener = TcpListener::bind(settings.address())
            .await
            .with_context(|| format!("listening on {}", settings.address()))?;
        let address = listener.local_addr()?;
        let public_url = settings.server.public_url.clone().unwrap_or_else(|| format!("http://{address}"));
        let state = local_state(&settings, public_url, Arc::new(SystemClock))?;
        let router = app_router(state, settings.server.static_dir.as_deref());
        Ok(Self { listener, router, address })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown_signal()).await
    }
}

async fn shutdown_signal() {
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::warn!(%error, "cannot listen for Ctrl-C; stop the process to shut down");
        std::future::pending::<()>().await;
    }
}

/// The embedded adapter set: SQLite, attachment files and the outbox, all under the data directory.
pub fn local_state(settings: &Settings, public_url: String, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let data_dir = &settings.data_dir;
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let store = SqliteStore::open(&data_dir.join("tocsin.sqlite3"))?;
    let attachments = LocalAttachmentStore::new(data_dir.join("attachments"))?;
    let outbox = Arc::new(OutboxMailer::new(data_dir.join("outbox"), &settings.email.sender, clock.clone())?);
    let sender_name = settings.email.sender.split('<').next().unwrap_or_default().trim().trim_matches('"').to_owned();
    let services = Services {
        store: Arc::new(store),
        attachments: Arc::new(attachments),
        mailer: outbox.clone(),
        clock,
        templates: EmailTemplates::new()?,
        public_url: public_url.trim_end_matches('/').to_owned(),
        sender_name: if sender_name.is_empty() { "The security team".to_owned() } else { sender_name },
    };
    Ok(AppState { services: Arc::new(services), outbox: Some(outbox) })
}

/// The API, plus the built app when there is one: unknown paths get `index.html`, so the app's
/// client-side routes (`/dashboard/...`) load on refresh.
pub fn app_router(state: AppState, static_dir: Option<&Path>) -> Router {
    let api = api_router(state);
    match static_dir {
        Some(dir) if dir.join("index.html").is_file() => {
            // The wasm bundle shrinks to about a third with compression.
            api.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html"))))
                .layer(CompressionLayer::new())
        }
        Some(dir) => {
            tracing::warn!(dir = %dir.display(), "the app is not built there; serving the API only (run `cargo xtask run`)");
            api
        }
        None => api,
    }
}
