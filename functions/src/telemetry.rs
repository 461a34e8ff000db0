//! Logging set-up: JSON in Lambda (CloudWatch), readable lines on standard error locally (standard
//! output is the commands' answer); `RUST_LOG` filters both.

use tracing_subscriber::EnvFilter;

pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().without_time().init();
    } else {
        builder.with_writer(std::io::stderr).init();
    }
}
