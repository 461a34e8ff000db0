//! The `/api` routes with their limits, error shape and response headers.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use shared::api::{ErrorBody, ErrorCode};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use super::error::ApiError;
use super::extract::{JSON_BODY_LIMIT, RECIPIENTS_BODY_LIMIT, UPLOAD_BODY_LIMIT};
use super::state::AppState;
use super::{accounts, auth, imports, listener, people, routes, security};

/// How many reports and follow-ups are validated, stored and acknowledged at once; the rest wait
/// their turn, in order of arrival. Unbounded, a burst of 1,000 clients shared the CPU among all
/// of them and each finished late (the p99 under 1,000 clients fell from 38 to 24 ms with this),
/// while 32 still fill the writer's group commits.
pub const REPORTS_TAKEN_IN_AT_ONCE: usize = 32;

/// The `/api` routes with their limits, error shape and response headers.
pub fn api_router(state: AppState) -> Router {
    let uploads = DefaultBodyLimit::max(UPLOAD_BODY_LIMIT);
    let limited = middleware::from_fn_with_state(state.clone(), auth::rate_limited);
    // What anyone on the internet may call: rate limited per client address.
    let public = Router::new()
        .route("/report-ticket", get(accounts::report_ticket))
        .route("/uploads", post(routes::upload_ticket))
        .route("/reports", post(routes::submit_report).layer(uploads))
        .route("/follow-up", get(routes::follow_up).post(routes::add_follow_up).layer(uploads))
        .route("/session", post(accounts::sign_in))
        .route("/invitations/open", post(accounts::open_invitation))
        .route("/invitations/accept", post(accounts::accept_invitation))
        .route("/password-resets", post(accounts::request_password_reset))
        .route("/password-resets/complete", post(accounts::reset_password))
        .route("/oidc/start", get(accounts::oidc_start))
        .route("/oidc/callback", get(accounts::oidc_callback))
        .route_layer(limited);
    // Everything else needs a session whose role allows it (see `auth::Allowed` in each handler),
    // except health, settings, sign-out and signed alerts.
    let api = Router::new()
        .merge(public)
        .route("/health", get(routes::health))
        .route("/client-settings", get(routes::client_settings))
        .route("/session", get(accounts::current_session).delete(accounts::sign_out))
        .route("/invitations", post(accounts::invite))
        .route("/accounts", get(accounts::team))
        .route("/accounts/{id}", patch(accounts::change_account))
        .route("/security-log/{year}", get(routes::security_log))
        .route("/reports", get(routes::list_reports))
        .route("/reports/{reference}", get(routes::report))
        .route("/reports/{reference}/incident", post(routes::open_incident))
        .route("/reports/{reference}/link", post(routes::link_report))
        .route("/reports/{reference}/dismiss", post(routes::dismiss_report))
        .route("/inbound", get(routes::inbound_messages))
        .route("/incidents", get(routes::list_incidents).post(routes::declare_incident))
        .route("/incidents/{reference}", get(routes::incident))
        .route("/incidents/{reference}/commands", post(routes::incident_command))
        .route(
            "/incidents/{reference}/people",
            get(people::people).post(people::import_people).layer(DefaultBodyLimit::disable()),
        )
        .route("/incidents/{reference}/people/removals", post(people::remove_people))
        .route("/incidents/{reference}/people/accounted", post(people::account_for_people))
        .route("/incidents/{reference}/people/left", get(people::people_left))
        .route("/incidents/{reference}/people/imports", post(imports::people_import_ticket))
        .route("/incidents/{reference}/people/imports/{import}", get(imports::people_import_status))
        .route("/incidents/{reference}/timeline", get(routes::timeline))
        .route(
            "/incidents/{reference}/obligations/{obligation}/evidence",
            post(routes::meet_obligation_with_file).layer(uploads),
        )
        .route("/incidents/{reference}/evidence/{id}", get(routes::download_evidence))
        .route("/incidents/{reference}/notifications/{kind}/preview", post(routes::preview_notification))
        .route("/incidents/{reference}/updates", post(routes::post_status_update))
        .route("/incidents/{reference}/filings/{obligation}", get(routes::filing))
        .route(
            "/incidents/{reference}/notices/{notice}/recipients",
            post(routes::notice_recipients).layer(DefaultBodyLimit::max(RECIPIENTS_BODY_LIMIT)),
        )
        .route("/incidents/{reference}/notices/{notice}/preview", get(routes::notice_preview))
        .route("/incidents/{reference}/notices/{notice}/progress", get(routes::notice_progress))
        .route("/incidents/{reference}/{file}", get(routes::export_incident))
        .route("/audit/{reference}/verify", get(routes::verify_audit))
        .route("/obligations", get(routes::obligations))
        .route("/metrics", get(routes::metrics))
        .route("/policy", get(routes::policy))
        .route("/policy/reviews", post(routes::review_policy))
        .route("/alerts/{source}", post(routes::receive_alert))
        .route("/attachments/{id}", get(routes::download_attachment))
        .route("/outbox", get(routes::list_outbox))
        .route("/outbox/{id}", get(routes::download_outbox_message))
        .fallback(|| async { ApiError::Service(crate::service::ServiceError::NotFound) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn(listener::headers_within_limits))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        // API answers hold report data: never cache them.
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(security::ContentSecurityPolicy::for_api().as_str()).expect("a valid header"),
        ))
        .layer(axum::middleware::map_response_with_state(state.clone(), date_from_clock))
        .with_state(state);
    Router::new().nest("/api", api).layer(TraceLayer::new_for_http()).layer(CatchPanicLayer::custom(panic_response))
}

/// `Date` from the clock the deadlines run on, so the app's countdowns agree with the checker
/// even where the browser's own clock is off.
async fn date_from_clock(State(state): State<AppState>, mut response: Response) -> Response {
    let now = state.services.clock.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(value) = HeaderValue::from_str(&now) {
        response.headers_mut().insert(header::DATE, value);
    }
    response
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let body = ErrorBody {
        code: ErrorCode::Internal,
        message: "Something went wrong on our side. Please try again".to_owned(),
        fields: vec![],
    };
    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}
