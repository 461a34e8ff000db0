//! Handlers for sign-in, sessions, invitations, password resets and the team page.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use shared::access::{
    AcceptInvitationForm, AccountChange, Enrolment, InvitationForm, InvitationSent, Me, PasswordResetForm,
    PasswordResetRequest, SignInForm, TeamMember, TokenForm,
};
use shared::api::ReportTicket;

use super::auth::{
    Allowed, DEVICE_COOKIE, OIDC_STATE_COOKIE, SESSION_COOKIE, SignInOrigin, ToManageTeam, ToRead,
    clear_session_cookie, cookie, cookie_header, set_cookie,
};
use super::error::ApiError;
use super::extract::{JsonBody, Path, QueryParams};
use super::state::AppState;
use crate::service::ServiceError;
use crate::service::accounts::SignedIn;
use axum::http::HeaderValue;
use cookie::SameSite;

type ApiResult<T> = Result<T, ApiError>;

/// A browser keeps its device cookie about as long as browsers allow (400 days).
const DEVICE_COOKIE_DAYS: i64 = 400;

/// The answer to a sign-in: the body, the session cookie, and the device cookie for a new browser.
fn signed_in_response(status: StatusCode, body: impl serde::Serialize, signed_in: &SignedIn) -> Response {
    let mut cookies = vec![(header::SET_COOKIE, set_cookie(SESSION_COOKIE, signed_in.session.as_str(), None))];
    if let Some(device) = &signed_in.new_device {
        let max_age = cookie::time::Duration::days(DEVICE_COOKIE_DAYS);
        cookies.push((header::SET_COOKIE, set_cookie(DEVICE_COOKIE, device.as_str(), Some(max_age))));
    }
    (status, AppendHeaders(cookies), Json(body)).into_response()
}

pub async fn sign_in(
    State(state): State<AppState>,
    SignInOrigin(origin): SignInOrigin,
    JsonBody(form): JsonBody<SignInForm>,
) -> ApiResult<Response> {
    let signed_in = state.services.sign_in(form, origin).await?;
    Ok(signed_in_response(StatusCode::OK, &signed_in.me, &signed_in))
}

pub async fn current_session(Allowed(caller, _): Allowed<ToRead>) -> Json<Me> {
    Json(caller.me())
}

pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.services.sign_out(token).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_session_cookie())]).into_response())
}

pub async fn invite(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToManageTeam>,
    JsonBody(form): JsonBody<InvitationForm>,
) -> ApiResult<(StatusCode, Json<InvitationSent>)> {
    Ok((StatusCode::CREATED, Json(state.services.invite(form, &caller).await?)))
}

/// A POST, not a GET: the token travels in the body, and opening an invitation draws a secret.
pub async fn open_invitation(
    State(state): State<AppState>,
    JsonBody(form): JsonBody<TokenForm>,
) -> ApiResult<Json<Enrolment>> {
    Ok(Json(state.services.open_invitation(&form.token).await?))
}

pub async fn accept_invitation(
    State(state): State<AppState>,
    SignInOrigin(origin): SignInOrigin,
    JsonBody(form): JsonBody<AcceptInvitationForm>,
) -> ApiResult<Response> {
    let (welcome, signed_in) = state.services.accept_invitation(form, origin).await?;
    Ok(signed_in_response(StatusCode::CREATED, &welcome, &signed_in))
}

pub async fn request_password_reset(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<PasswordResetRequest>,
) -> ApiResult<StatusCode> {
    state.services.request_password_reset(request).await?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn reset_password(
    State(state): State<AppState>,
    JsonBody(form): JsonBody<PasswordResetForm>,
) -> ApiResult<StatusCode> {
    state.services.reset_password(form).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn team(State(state): State<AppState>, _: Allowed<ToManageTeam>) -> ApiResult<Json<Vec<TeamMember>>> {
    Ok(Json(state.services.team().await?))
}

pub async fn change_account(
    State(state): State<AppState>,
    Allowed(caller, _): Allowed<ToManageTeam>,
    Path(id): Path<String>,
    JsonBody(change): JsonBody<AccountChange>,
) -> ApiResult<Json<TeamMember>> {
    Ok(Json(state.services.change_account(&id, change, &caller).await?))
}

#[derive(serde::Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// Sends the browser to the provider, with a state cookie binding the answer to this browser.
pub async fn oidc_start(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<StartQuery>,
) -> ApiResult<Response> {
    let start = state.services.oidc_start(query.next).await?;
    let state_cookie = cookie_header(
        OIDC_STATE_COOKIE,
        start.state.as_str(),
        Some(cookie::time::Duration::minutes(10)),
        SameSite::Lax,
    );
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, start.location)], [(header::SET_COOKIE, state_cookie)])
        .into_response())
}

#[derive(serde::Deserialize)]
pub struct CallbackQuery {
    code: String,
    state: String,
}

/// The provider's answer: signed in, to the page that asked; or back to the sign-in page, which
/// shows why (this is a page the browser navigates to, not a call from the app).
pub async fn oidc_callback(
    State(state): State<AppState>,
    SignInOrigin(origin): SignInOrigin,
    headers: HeaderMap,
    QueryParams(query): QueryParams<CallbackQuery>,
) -> Response {
    let cookie_state = cookie(&headers, OIDC_STATE_COOKIE);
    let (mut response, location) =
        match state.services.oidc_callback(&query.code, &query.state, cookie_state, origin).await {
            Ok((signed_in, next)) => (signed_in_response(StatusCode::SEE_OTHER, (), &signed_in), next),
            Err(error) => {
                let message = match &error {
                    ServiceError::Unauthenticated(message) | ServiceError::Forbidden(message) => message.clone(),
                    other => {
                        tracing::error!(error = %other, "single sign-on failed");
                        "Single sign-on failed on our side. Try again".to_owned()
                    }
                };
                let encoded = percent_encoding::utf8_percent_encode(&message, percent_encoding::NON_ALPHANUMERIC);
                (StatusCode::SEE_OTHER.into_response(), format!("/sign-in?sso_error={encoded}"))
            }
        };
    *response.status_mut() = StatusCode::SEE_OTHER;
    let location = HeaderValue::from_str(&location).unwrap_or_else(|_| HeaderValue::from_static("/sign-in"));
    response.headers_mut().insert(header::LOCATION, location);
    let clear = cookie_header(OIDC_STATE_COOKIE, "", Some(cookie::time::Duration::ZERO), SameSite::Lax);
    response.headers_mut().append(header::SET_COOKIE, clear);
    response
}

pub async fn report_ticket(State(state): State<AppState>) -> ApiResult<Json<ReportTicket>> {
    Ok(Json(state.services.report_ticket().await?))
}
