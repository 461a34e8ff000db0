//! Getting into the dashboard: signing in with a password and a second factor, accepting an
//! invitation (choosing a password, enrolling an authenticator, keeping recovery codes), and
//! resetting a forgotten password. The secrets in emailed links travel after `#`, so they never
//! reach a server log.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::access::{AcceptInvitationForm, Enrolment, PasswordResetForm, SignInForm, Welcome};

use super::public_layout::SiteFrame;
use crate::api::ApiError;
use crate::components::{CheckedForm, FormErrors, Loaded, SubmitButton, TextField, send};
use crate::{api, dom};

const SIGN_IN_TARGETS: &[(&str, &str)] = &[("email", "email"), ("password", "password"), ("code", "code")];

fn go_to(path: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
}

/// Where to go after signing in: the page that asked, if it is a dashboard page.
fn after_sign_in(next: Option<String>) -> String {
    next.filter(|path| path.starts_with("/dashboard")).unwrap_or_else(|| "/dashboard".to_owned())
}

/// The frame of the account pages.
#[component]
fn AccountFrame(children: Children) -> impl IntoView {
    view! {
        <SiteFrame home="/dashboard" tagline="Incident response team">
            {children()}
        </SiteFrame>
    }
}

/// An account page with one form that, once it went through (`done`), gives way to what it
/// did (`children`).
#[component]
fn FormThenDone(
    title: &'static str,
    done: RwSignal<bool>,
    #[prop(into)] form: ViewFn,
    children: ChildrenFn,
) -> impl IntoView {
    dom::set_title(title);
    view! {
        <AccountFrame>
            <h1>{title}</h1>
            <Show when=move || done.get() fallback=form>
                {children()}
            </Show>
        </AccountFrame>
    }
}

/// Sends a `FormThenDone` form's `request`: done when it went through, else its error on `field`.
fn send_then_done(
    busy: RwSignal<bool>,
    request: impl Future<Output = Result<(), ApiError>> + 'static,
    done: RwSignal<bool>,
    errors: FormErrors,
    field: &'static str,
) {
    send(busy, request, move |result| match result {
        Ok(()) => done.set(true),
        Err(error) => errors.show_api_error(&error, field),
    });
}

/// A password being chosen, with the rule it has to meet.
#[component]
fn NewPasswordField(label: &'static str, value: RwSignal<String>, errors: FormErrors) -> impl IntoView {
    view! {
        <TextField
            id="password"
            label
            hint="At least 12 characters. A few unrelated words make a good one."
            value
            error=errors.for_field("password")
            input_type="password"
            autocomplete="new-password"
        />
    }
}

/// The password and second-factor fields of a sign-in, here and in the dashboard's
/// sign-in-again dialog; `ids` are the two fields' element ids.
#[component]
pub fn PasswordAndCode(
    password: RwSignal<String>,
    code: RwSignal<String>,
    errors: FormErrors,
    ids: (&'static str, &'static str),
) -> impl IntoView {
    view! {
        <TextField
            id=ids.0
            label="Password"
            value=password
            error=errors.for_field("password")
            input_type="password"
            autocomplete="current-password"
        />
        <TextField
            id=ids.1
            label="Code"
            hint="The six digits your authenticator app shows, or one of your recovery codes."
            value=code
            error=errors.for_field("code")
            autocomplete="one-time-code"
        />
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    dom::set_title("Sign in");
    let query = use_query_map().get_untracked();
    let next = query.get("next");
    // A failed single sign-on comes back here with the reason.
    let sso_error = query.get("sso_error");
    let single_sign_on = LocalResource::new(|| async { api::client_settings().await.is_ok_and(|s| s.single_sign_on) });
    let sso_url = api::single_sign_on_url(&after_sign_in(next.clone()));
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let errors = FormErrors::default();
    let busy = RwSignal::new(false);
    let submit = move || {
        let form =
            SignInForm { email: email.get_untracked(), password: password.get_untracked(), code: code.get_untracked() };
        let next = next.clone();
        send(busy, async move { api::sign_in(&form).await }, move |result| match result {
            Ok(_) => {
                // Still busy while the browser leaves for the dashboard.
                busy.set(true);
                go_to(&after_sign_in(next));
            }
            Err(error) => {
                // Each code works once: a refused one is cleared, the rest stays.
                code.set(String::new());
                errors.show_api_error(&error, "code");
            }
        });
    };
    view! {
        <AccountFrame>
            <h1>"Sign in"</h1>
            {sso_error.map(|reason| view! {
                <div class="notice notice--error" role="alert" id="sso-error">
                    <p>{reason}</p>
                </div>
            })}
            <Suspense>
                <Show when=move || single_sign_on.get().unwrap_or(false)>
                    // `rel="external"`: a full page load to the server, not a route of the app.
                    <p><a class="button" id="single-sign-on" rel="external" href=sso_url.clone()>"Sign in with single sign-on"</a></p>
                    <p>"Or with your Tocsin password:"</p>
                </Show>
            </Suspense>
            <CheckedForm errors targets=SIGN_IN_TARGETS submit>
                <TextField
                    id="email"
                    label="Email address"
                    value=email
                    error=errors.for_field("email")
                    input_type="email"
                    autocomplete="username"
                />
                <PasswordAndCode password code errors ids=("password", "code") />
                <SubmitButton id="sign-in" busy busy_label="Signing in…">
                    "Sign in"
                </SubmitButton>
            </CheckedForm>
            <p><a href="/forgot-password">"Forgot your password?"</a></p>
        </AccountFrame>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let errors = FormErrors::default();
    let sent = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let submit = move || {
        let email = email.get_untracked();
        send_then_done(busy, async move { api::request_password_reset(&email).await }, sent, errors, "email");
    };
    view! {
        <FormThenDone
            title="Forgot your password"
            done=sent
            form=move || view! {
                <CheckedForm errors targets=&[("email", "email")] submit>
                    <TextField
                        id="email"
                        label="Email address"
                        hint="We send a link to choose a new password. You will still need your authenticator app or a recovery code."
                        value=email
                        error=errors.for_field("email")
                        input_type="email"
                        autocomplete="username"
                    />
                    <SubmitButton id="send-reset" busy>"Send the link"</SubmitButton>
                </CheckedForm>
            }
        >
            <p id="reset-sent" role="status">
                "If that address has an account, a link is on its way. It works once, for an hour."
            </p>
        </FormThenDone>
    }
}

/// The token after `#` in an emailed link.
fn link_token() -> String {
    location_hash().unwrap_or_default()
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let errors = FormErrors::default();
    let done = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let submit = move || {
        let form =
            PasswordResetForm { token: link_token(), password: password.get_untracked(), code: code.get_untracked() };
        send_then_done(busy, async move { api::reset_password(&form).await }, done, errors, "code");
    };
    view! {
        <FormThenDone
            title="Choose a new password"
            done
            form=move || view! {
                <CheckedForm errors targets=&[("password", "password"), ("code", "code")] submit>
                    <NewPasswordField label="New password" value=password errors />
                    <TextField
                        id="code"
                        label="Code"
                        hint="The six digits your authenticator app shows, or a recovery code."
                        value=code
                        error=errors.for_field("code")
                        autocomplete="one-time-code"
                    />
                    <SubmitButton id="reset-password" busy>"Set the password"</SubmitButton>
                </CheckedForm>
            }
        >
            <p role="status">"Your password is changed, and every session of your account has ended."</p>
            <p><a href="/sign-in">"Sign in"</a></p>
        </FormThenDone>
    }
}

/// Recovery codes, shown once: the person confirms they kept them before going on.
#[component]
fn RecoveryCodes(welcome: Welcome) -> impl IntoView {
    let codes = welcome.recovery_codes.into_iter().map(|code| view! { <li>{code}</li> }).collect_view();
    view! {
        <h2 id="recovery-heading" tabindex="-1">"Keep your recovery codes"</h2>
        <p>
            "Each code signs you in once if you lose your authenticator app. Store them somewhere safe, "
            "such as a password manager. They are not shown again."
        </p>
        <ul id="recovery-codes" class="recovery-codes">{codes}</ul>
        <p><a class="button" id="continue" href="/dashboard">"I have kept them: continue"</a></p>
    }
}

#[component]
fn Enrol(enrolment: Enrolment, on_welcome: Callback<Welcome>) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let errors = FormErrors::default();
    let busy = RwSignal::new(false);
    let secret = enrolment.totp_secret.clone();
    let submit = move || {
        let form = AcceptInvitationForm {
            token: link_token(),
            password: password.get_untracked(),
            totp_secret: secret.clone(),
            code: code.get_untracked(),
        };
        send(busy, async move { api::accept_invitation(&form).await }, move |result| match result {
            Ok(welcome) => {
                on_welcome.run(welcome);
                dom::focus_after_render("recovery-heading");
            }
            Err(error) => errors.show_api_error(&error, "code"),
        });
    };
    // Groups of four are easier to type into an app by hand.
    let grouped =
        enrolment.totp_secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c)).collect::<Vec<_>>().join(" ");
    view! {
        <p>
            "Welcome, " <strong>{enrolment.name}</strong> " (" {enrolment.email} "). You join as "
            <strong>{enrolment.role.label()}</strong> "."
        </p>
        <CheckedForm errors targets=&[("password", "password"), ("code", "code")] submit>
            <NewPasswordField label="Choose a password" value=password errors />
            <h2>"Set up your authenticator app"</h2>
            <p>
                "Every account signs in with a second factor. In your authenticator app, add an account "
                "with this key (time-based), or open "
                <a href=enrolment.otpauth_uri.clone() id="otpauth-link">"this link"</a> " on a phone that has one:"
            </p>
            <p id="totp-secret" class="secret" data-secret=enrolment.totp_secret.clone()>{grouped}</p>
            <TextField
                id="code"
                label="The code your app shows now"
                value=code
                error=errors.for_field("code")
                autocomplete="one-time-code"
            />
            <SubmitButton id="accept-invitation" busy>
                "Create my account"
            </SubmitButton>
        </CheckedForm>
    }
}

#[component]
pub fn WelcomePage() -> impl IntoView {
    dom::set_title("Join the team");
    let enrolment = LocalResource::new(|| async { api::open_invitation(&link_token()).await });
    let welcome = RwSignal::new(None::<Welcome>);
    let on_welcome = Callback::new(move |w: Welcome| welcome.set(Some(w)));
    view! {
        <AccountFrame>
            <h1>"Join the incident response team"</h1>
            {move || match welcome.get() {
                Some(welcome) => view! { <RecoveryCodes welcome /> }.into_any(),
                None => view! {
                    <Loaded data=enrolment let:enrolment>
                        <Enrol enrolment on_welcome />
                    </Loaded>
                }
                .into_any(),
            }}
        </AccountFrame>
    }
}
