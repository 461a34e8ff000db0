//! Each function binary as Lambda runs it: started with `AWS_LAMBDA_RUNTIME_API` pointing at a
//! stand-in for the Lambda Runtime API (the documented long-poll protocol), which hands it event
//! fixtures and collects what it answers. This covers what the handler tests cannot: each `main`
//! picking Lambda mode, the runtime client, and errors reported for a retry.

use functions::service::access::Caller;
use shared::access::TeamRole;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::Utc;
use functions::config::Settings;
use functions::ports::SystemClock;
use functions::startup::build_state;
use serde_json::{Value, json};
use shared::api::{DeclareIncidentForm, IncidentCommandRequest};
use shared::record::IncidentCommand;
use shared::workflow::roles::{Holder, Role};
use tokio::sync::{Mutex, mpsc};

/// What the function posted back for one invocation.
#[derive(Debug)]
enum Outcome {
    Response(Value),
    /// The function failed; Lambda would count an error and the caller (Scheduler, EventBridge)
    /// retry.
    Error(Value),
}

struct RuntimeApi {
    events: mpsc::Sender<Value>,
    outcomes: Mutex<mpsc::Receiver<Outcome>>,
    address: SocketAddr,
}

struct Exchange {
    events: Mutex<mpsc::Receiver<Value>>,
    outcomes: mpsc::Sender<Outcome>,
}

async fn next_invocation(State(exchange): State<Arc<Exchange>>) -> impl IntoResponse {
    // Long poll, as Lambda does: the function waits here until there is an event.
    let event = exchange.events.lock().await.recv().await.expect("the test holds the sender");
    let deadline = Utc::now().timestamp_millis() + 60_000;
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", uuid::Uuid::now_v7().to_string().parse().unwrap());
    headers.insert("lambda-runtime-deadline-ms", deadline.to_string().parse().unwrap());
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:eu-west-1:123456789012:function:tocsin".parse().unwrap(),
    );
    headers.insert("content-type", "application/json".parse().unwrap());
    (headers, event.to_string())
}

async fn response(State(exchange): State<Arc<Exchange>>, UrlPath(_id): UrlPath<String>, body: String) -> StatusCode {
    exchange.outcomes.send(Outcome::Response(serde_json::from_str(&body).unwrap())).await.unwrap();
    StatusCode::ACCEPTED
}

async fn error(State(exchange): State<Arc<Exchange>>, UrlPath(_id): UrlPath<String>, body: String) -> StatusCode {
    exchange.outcomes.send(Outcome::Error(serde_json::from_str(&body).unwrap())).await.unwrap();
    StatusCode::ACCEPTED
}

impl RuntimeApi {
    async fn start() -> RuntimeApi {
        let (events, events_rx) = mpsc::channel(1);
        let (outcomes_tx, outcomes) = mpsc::channel(1);
        let exchange = Arc::new(Exchange { events: Mutex::new(events_rx), outcomes: outcomes_tx });
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .with_state(exchange);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        RuntimeApi { events, outcomes: Mutex::new(outcomes), address }
    }

    async fn invoke(&self, function: &Function, event: Value) -> Outcome {
        self.events.send(event).await.unwrap();
        let outcome = tokio::time::timeout(Duration::from_secs(60), self.outcomes.lock().await.recv()).await;
        match outcome {
            Ok(Some(outcome)) => outcome,
            _ => panic!("no answer in 60 s; the function's log:\n{}", function.log()),
        }
    }
}

/// A function binary running against the stand-in runtime, on a local-mode store; killed on drop.
struct Function {
    child: Child,
    log: std::path::PathBuf,
}

impl Function {
    fn start(binary: &str, runtime: &RuntimeApi, data_dir: &Path, settings: &[(&str, &str)]) -> Function {
        let log = data_dir.join(format!("{}.log", Path::new(binary).file_name().unwrap().to_string_lossy()));
        let output = std::fs::File::create(&log).unwrap();
        let child = Command::new(binary)
            .env("AWS_LAMBDA_RUNTIME_API", runtime.address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "tocsin-test")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("TOCSIN_DATA_DIR", data_dir)
            .envs(settings.iter().copied())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .stdin(Stdio::null())
            .spawn()
            .expect("the function binary starts");
        Function { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The API Gateway event `apigw-http-bad-json.json` turned into another request.
fn api_event(method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut event = fixture("apigw-http-bad-json.json");
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    event["isBase64Encoded"] = json!(false);
    event["body"] = body.map_or(Value::Null, |b| json!(b.to_string()));
    event
}

fn response_body(outcome: Outcome) -> (u16, Value) {
    let Outcome::Response(response) = outcome else { panic!("the function failed: {outcome:?}") };
    let status = response["statusCode"].as_u64().unwrap() as u16;
    (status, serde_json::from_str(response["body"].as_str().unwrap_or("null")).unwrap())
}

#[tokio::test]
async fn the_api_function_takes_a_report_from_api_gateway_through_the_runtime() {
    let runtime = RuntimeApi::start().await;
    let data_dir = tempfile::tempdir().unwrap();
    let api = Function::start(
        env!("CARGO_BIN_EXE_tocsin-api"),
        &runtime,
        data_dir.path(),
        &[("TOCSIN_SERVER__MIN_REPORT_SECONDS", "0")],
    );

    let (status, ticket) = response_body(runtime.invoke(&api, api_event("GET", "/api/report-ticket", None)).await);
    assert_eq!(status, 200, "{ticket}");
    let submit = fixture("apigw-http-submit-report.json");
    let mut form: Value = serde_json::from_str(submit["body"].as_str().unwrap()).unwrap();
    form["ticket"] = ticket["ticket"].clone();
    let (status, receipt) = response_body(runtime.invoke(&api, api_event("POST", "/api/reports", Some(&form))).await);
    assert_eq!(status, 201, "{receipt}");
    let reference = receipt["reference"].as_str().unwrap();
    assert!(reference.starts_with("TOC-"), "{receipt}");
    let outbox = std::fs::read_to_string(data_dir.path().join("outbox/index.jsonl")).unwrap();
    assert!(outbox.contains(reference), "the receipt went to the outbox: {outbox}");

    // The original fixture: a body that is not JSON gets the error shape, and the function lives on.
    let (status, error) = response_body(runtime.invoke(&api, fixture("apigw-http-bad-json.json")).await);
    assert_eq!((status, error["code"].as_str()), (400, Some("malformed_request")), "{error}");
}

/// What the template's schedule sends: its `Input`, with the context attributes filled in.
fn scheduler_event(attempt: u32) -> Value {
    let template =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml")).unwrap();
    let input = template
        .lines()
        .find_map(|line| line.trim().strip_prefix("Input: '")?.strip_suffix('\'').map(str::to_owned))
        .expect("the schedule in infra/template.yaml has an Input");
    let filled = input
        .replace("<aws.scheduler.scheduled-time>", "2026-11-23T09:05:00Z")
        .replace("<aws.scheduler.execution-id>", "d32c5kddcf5bb8c3")
        .replace("<aws.scheduler.attempt-number>", &attempt.to_string());
    serde_json::from_str(&filled).expect("the schedule's Input is JSON")
}

#[tokio::test]
async fn the_deadline_function_escalates_an_overdue_duty_once_per_scheduled_run() {
    let data_dir = tempfile::tempdir().unwrap();
    // An incident detected 90 minutes ago, whose one-hour internal notification nobody sent (no
    // internal recipients are configured here, so declaring it does not send it): the lead is
    // told it is overdue, the two reminders are past use, and management's turn is half an hour off.
    let mut settings = Settings { data_dir: data_dir.path().to_path_buf(), ..Settings::default() };
    settings.notifications.internal.clear();
    let services = build_state(&settings, String::new(), Arc::new(SystemClock)).await.unwrap().services;
    let detected = (Utc::now() - chrono::Duration::minutes(90)).to_rfc3339();
    let form = DeclareIncidentForm {
        title: "Card data on a public bucket".into(),
        detected_at: detected,
        ..Default::default()
    };
    let incident = services.declare_incident(form, &Caller::acting_as("Ann", TeamRole::Lead)).await.unwrap();
    let lead =
        IncidentCommand::AssignRole { role: Role::ResponseLead, person: "Ann".into(), holder: Holder::NoAccount };
    let request = IncidentCommandRequest { expected_version: incident.version, command: lead };
    services.command(incident.record.reference, request, &Caller::acting_as("Ann", TeamRole::Lead)).await.unwrap();
    drop(services);

    let runtime = RuntimeApi::start().await;
    let checker = Function::start(env!("CARGO_BIN_EXE_tocsin-deadlines"), &runtime, data_dir.path(), &[]);
    let Outcome::Response(first) = runtime.invoke(&checker, scheduler_event(1)).await else {
        panic!("the run failed: {}", checker.log())
    };
    assert_eq!((first["execution_id"].as_str(), first["attempt"].as_str()), (Some("d32c5kddcf5bb8c3"), Some("1")));
    assert_eq!(first["scheduled_time"], "2026-11-23T09:05:00Z");
    let figures = |run: &Value| {
        ["reminders_sent", "escalations_sent", "superseded", "failures"].map(|k| run["deadlines"][k].as_u64().unwrap())
    };
    assert_eq!(figures(&first), [0, 1, 2, 0], "{first}");
    let outbox = std::fs::read_to_string(data_dir.path().join("outbox/index.jsonl")).unwrap();
    assert!(outbox.contains(&incident.record.reference.to_string()), "{outbox}");

    // Scheduler's retry of the same run: nothing is sent twice.
    let Outcome::Response(retry) = runtime.invoke(&checker, scheduler_event(2)).await else {
        panic!("the retry failed: {}", checker.log())
    };
    assert_eq!(figures(&retry), [0, 0, 0, 0], "{retry}");

    // A payload that is not the schedule's input fails the invocation with the reason.
    let Outcome::Error(error) = runtime.invoke(&checker, json!({"scheduledTime": "five past nine"})).await else {
        panic!("a bad input must fail the run")
    };
    assert!(error["errorMessage"].as_str().unwrap().contains("not a scheduled run's input"), "{error}");
}

#[tokio::test]
async fn the_mail_events_function_answers_each_ses_event_and_fails_a_malformed_one() {
    let runtime = RuntimeApi::start().await;
    let data_dir = tempfile::tempdir().unwrap();
    let recorder = Function::start(env!("CARGO_BIN_EXE_tocsin-mail-events"), &runtime, data_dir.path(), &[]);
    let bounce: Value =
        serde_json::from_str(include_str!("fixtures/ses-bounce-eventbridge.json")).expect("the fixture is JSON");
    // A real SES bounce, about a delivery this fresh store never sent.
    let Outcome::Response(answer) = runtime.invoke(&recorder, bounce.clone()).await else {
        panic!("the event failed: {}", recorder.log())
    };
    assert_eq!(answer, json!({ "recorded": false }));
    // Failing the invocation is what makes EventBridge retry it (and dead-letter it in the end).
    let mut broken = bounce;
    broken["detail"]["eventType"] = json!(42);
    let Outcome::Error(error) = runtime.invoke(&recorder, broken).await else { panic!("a malformed event must fail") };
    assert!(!error["errorMessage"].as_str().unwrap_or_default().is_empty(), "{error}");
}
