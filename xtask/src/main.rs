//! `cargo xtask run` runs Tocsin in local mode; `cargo xtask test` runs every test, checks the AWS
//! template and builds a Lambda function for arm64. Both install what is missing first (the wasm32
//! target, Trunk, the matching wasm-bindgen CLI, and for tests Chromium with chromedriver, axe-core, moto,
//! and the Python tools for the template and the Lambda build), so they work on a fresh machine.
//! `cargo xtask check-architecture` reports circles between module files, crossed layers and
//! oversized files (its test runs under `cargo test`).

mod architecture;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};

const TRUNK_VERSION: &str = "0.21.14";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Lambda's arm64 (Graviton) target; cargo-lambda links for `provided.al2023` with Zig.
const LAMBDA_TARGET: &str = "aarch64-unknown-linux-gnu";
/// The functions `infra/template.yaml` deploys (its `CodeUri`s are cargo-lambda's output for them).
const FUNCTIONS: [&str; 5] =
    ["tocsin-api", "tocsin-deadlines", "tocsin-mail-events", "tocsin-mail-intake", "tocsin-people-import"];
/// From PyPI at these versions, in a virtual environment of their own: checkov pins libraries
/// (botocore) that moto uses too. A newer checkov can add checks, so an upgrade is a commit.
const PYTHON_TOOLS: [(&str, &str); 3] = [("cfn-lint", "1.51.0"), ("checkov", "3.3.30"), ("cargo-lambda", "1.9.2")];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("run") => run(&root, args[1..].iter().any(|a| a == "--release")),
        Some("test") => test(&root, &args[1..]),
        Some("invite-admin") => invite_admin(&args[1..]),
        Some("build-app") => build_app(&root),
        Some("build-lambdas") => build_lambdas(&root, &FUNCTIONS),
        Some("check-infra") => check_infra(&root),
        Some("bench") => bench(&root),
        Some("tour") => tour(&root),
        Some("check-architecture") => check_architecture(&root),
        _ => {
            eprintln!(
                "usage:\n  cargo xtask run [--release]   build the app and run Tocsin locally\n  \
                 cargo xtask test [ARGS]        run every test (ARGS go to cargo test)\n  \
                 cargo xtask invite-admin EMAIL NAME   invite an admin (the first one, to sign in at all)\n  \
                 cargo xtask build-app          build the browser app into dist/\n  \
                 cargo xtask build-lambdas      build the functions for Lambda arm64 into target/lambda/\n  \
                 cargo xtask check-infra        lint infra/template.yaml with cfn-lint and checkov\n  \
                 cargo xtask bench              run the benchmark suite and write its figures into the README\n  \
                 cargo xtask tour               photograph every page (target/screenshots) and refresh the README's\n  \
                 cargo xtask check-architecture report circles between module files, crossed layers, oversized files"
            );
            bail!("unknown or missing command")
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn run(root: &Path, release: bool) -> anyhow::Result<()> {
    build_app(root)?;
    let mut cargo = Command::new(cargo_bin());
    cargo.args(["run", "--package", "tocsin-functions", "--bin", "tocsin"]);
    if release {
        cargo.arg("--release");
    }
    cargo.env("TOCSIN_SERVER__STATIC_DIR", root.join("dist"));
    status(&mut cargo, "the Tocsin server")
}

/// Prints the architecture report, and exits 1 if it found anything.
fn check_architecture(root: &Path) -> anyhow::Result<()> {
    let report = architecture::check(root)?;
    print!("{report}");
    if !report.is_clean() {
        std::process::exit(1);
    }
    Ok(())
}

/// `tocsin invite-admin` on the local store: the link is printed, and written to the outbox.
fn invite_admin(args: &[String]) -> anyhow::Result<()> {
    let mut cargo = Command::new(cargo_bin());
    cargo.args(["run", "--quiet", "--package", "tocsin-functions", "--bin", "tocsin", "--", "invite-admin"]).args(args);
    status(&mut cargo, "tocsin invite-admin")
}

/// The template's checks first (seconds), then every test, then one function built for Lambda
/// as a deployment would build it, to prove the cross-build (the others share all but `main`).
fn test(root: &Path, extra: &[String]) -> anyhow::Result<()> {
    check_infra(root)?;
    ensure_browser()?;
    ensure_axe(root)?;
    build_app(root)?;
    let moto = Moto::start()?;
    let mut cargo = Command::new(cargo_bin());
    cargo.args(["test", "--workspace", "--exclude", "tocsin-app"]).args(extra);
    with_moto(&mut cargo, &moto).env("TOCSIN_DIST", root.join("dist"));
    status(&mut cargo, "cargo test")?;
    build_lambdas(root, &["tocsin-deadlines"])
}

/// cfn-lint with no finding at all, and checkov with no failed check (each skip carries its reason
/// in the template's `Metadata`).
fn check_infra(root: &Path) -> anyhow::Result<()> {
    let tools = python_tools()?;
    let template = root.join("infra/template.yaml");
    status(Command::new(tools.join("cfn-lint")).arg(&template), "cfn-lint infra/template.yaml")?;
    status(
        Command::new(tools.join("checkov")).arg("--file").arg(&template).args([
            "--framework",
            "cloudformation",
            "--quiet",
            "--compact",
            "--skip-download",
        ]),
        "checkov infra/template.yaml",
    )
}

/// `cargo lambda build --profile lambda --arm64` with the AWS adapters, into `target/lambda/<name>/bootstrap`.
fn build_lambdas(root: &Path, functions: &[&str]) -> anyhow::Result<()> {
    ensure_rust_target(LAMBDA_TARGET)?;
    let tools = python_tools()?;
    // cargo-lambda finds Zig through the environment's Python (the `ziglang` package).
    let path = std::env::join_paths(
        std::iter::once(tools.clone()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )?;
    let mut build = Command::new(tools.join("cargo-lambda"));
    // The Lambda set of adapters only (no SQLite, no on-the-fly compression), without trace events.
    build.args(["lambda", "build", "--profile", "lambda", "--arm64", "--package", "tocsin-functions"]);
    build.args(["--no-default-features", "--features", "lambda"]);
    for function in functions {
        build.args(["--bin", function]);
    }
    status(build.env("PATH", path), "cargo lambda build")?;
    for function in functions {
        let bootstrap = root.join("target/lambda").join(function).join("bootstrap");
        let header = std::fs::read(&bootstrap).with_context(|| format!("reading {}", bootstrap.display()))?;
        // ELF, 64-bit, and e_machine EM_AARCH64 (183) at offset 18.
        ensure!(
            header.starts_with(b"\x7fELF\x02") && header.get(18..20) == Some(&[183, 0][..]),
            "{} is not an arm64 Linux executable",
            bootstrap.display()
        );
        eprintln!("Built {} for Lambda arm64 ({} bytes)", bootstrap.display(), header.len());
    }
    Ok(())
}

/// The pinned [`PYTHON_TOOLS`] in a virtual environment under the user's cache directory, created
/// once per machine; returns its `bin` directory.
fn python_tools() -> anyhow::Result<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .context("neither XDG_CACHE_HOME nor HOME is set")?;
    let venv = cache.join("tocsin/python-tools");
    let bin = venv.join("bin");
    let wanted: Vec<String> = PYTHON_TOOLS.iter().map(|(name, version)| format!("{name}=={version}")).collect();
    let marker = venv.join("tocsin-requirements.txt");
    if std::fs::read_to_string(&marker).is_ok_and(|installed| installed == wanted.join("\n")) {
        return Ok(bin);
    }
    eprintln!("Installing {} into {}…", wanted.join(", "), venv.display());
    status(Command::new("python3").arg("-m").arg("venv").arg(&venv), "python3 -m venv")?;
    status(
        Command::new(bin.join("python"))
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .args(&wanted),
        "pip install the template and Lambda tools",
    )?;
    std::fs::write(&marker, wanted.join("\n"))?;
    Ok(bin)
}

/// The README's pictures, in the order its tour shows them: all come from the browser tests.
const TOUR: [&str; 16] = [
    "report-form-desktop",
    "report-form-phone",
    "report-received-desktop",
    "follow-up-added",
    "reports-desktop",
    "report-desktop",
    "incident-identification",
    "incident-overdue",
    "incident-phone",
    "phase-move-refused",
    "obligations-desktop",
    "policy-register",
    "outbox-desktop",
    "failure-server-down",
    "failure-slow-network",
    "failure-session-ended",
];

/// Runs the browser tests with screenshots on: every page at desktop and phone width lands in
/// `target/screenshots`, and the tour's pictures are copied to `docs/screenshots`.
fn tour(root: &Path) -> anyhow::Result<()> {
    ensure_browser()?;
    ensure_axe(root)?;
    build_app(root)?;
    let moto = Moto::start()?;
    let shots = root.join("target/screenshots");
    let mut cargo = Command::new(cargo_bin());
    cargo.args(["test", "--package", "tocsin-tests", "--test", "browser"]);
    with_moto(&mut cargo, &moto).env("TOCSIN_DIST", root.join("dist")).env("TOCSIN_SCREENSHOTS", &shots);
    status(&mut cargo, "the browser tests")?;
    let docs = root.join("docs/screenshots");
    for name in TOUR {
        let file = format!("{name}.png");
        std::fs::copy(shots.join(&file), docs.join(&file)).with_context(|| format!("copying {file}"))?;
    }
    eprintln!(
        "{} pictures in {}; the tour's {} in {}",
        std::fs::read_dir(&shots)?.count(),
        shots.display(),
        TOUR.len(),
        docs.display()
    );
    Ok(())
}

const OHA_VERSION: &str = "1.16.0";

/// The benchmark suite: each bench prints its figures as Markdown table rows (a ratio against a
/// baseline measured in the same run); they are gathered into `target/bench-results.md` and into
/// the README between its `bench:start` and `bench:end` markers.
fn bench(root: &Path) -> anyhow::Result<()> {
    let oha = ensure_oha()?;
    ensure_browser()?;
    build_app(root)?;
    status(
        Command::new(cargo_bin()).args(["build", "--release", "--package", "tocsin-functions", "--bin", "tocsin"]),
        "cargo build --release (the tocsin binary)",
    )?;
    let moto = Moto::start()?;
    let mut rows = Vec::new();
    // The people bench goes before the checker's, whose 100,000 incidents slow moto's transactions.
    for bench in ["intake", "dashboard", "people", "checker", "app", "cold_start"] {
        let mut cargo = Command::new(cargo_bin());
        cargo.args(["bench", "--package", "tocsin-tests", "--bench", bench]);
        with_moto(&mut cargo, &moto)
            .env("OHA", &oha)
            .env("TOCSIN_DIST", root.join("dist"))
            .env("TOCSIN_BIN", root.join("target/release/tocsin"));
        let output = cargo.stderr(std::process::Stdio::inherit()).output().context("starting cargo bench")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        print!("{stdout}");
        ensure!(output.status.success(), "the {bench} benchmark failed ({})", output.status);
        rows.extend(stdout.lines().filter(|line| line.starts_with("| ")).map(str::to_owned));
    }
    build_lambdas(root, &FUNCTIONS)?;
    for function in FUNCTIONS {
        let bootstrap = std::fs::read(root.join("target/lambda").join(function).join("bootstrap"))?;
        let zipped = deflated_size(&bootstrap)?;
        rows.push(format!(
            "| Lambda `{function}` bootstrap, arm64, zipped (goal ≤ 5 MB) | **{:.2} MB** | {:.1} MB unzipped |",
            zipped as f64 / 1e6,
            bootstrap.len() as f64 / 1e6
        ));
    }
    let table = format!(
        "Measured {} on {} ({} cores), commit {}.\n\n| figure | result | detail |\n|---|---|---|\n{}\n\n",
        command_output(Command::new("date").args(["-u", "+%Y-%m-%d"]))?,
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        command_output(Command::new("git").args(["rev-parse", "--short", "HEAD"]))?,
        rows.join("\n")
    );
    std::fs::write(root.join("target/bench-results.md"), &table)?;
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path)?;
    let (start, end) = ("<!-- bench:start -->\n", "<!-- bench:end -->");
    let (Some(from), Some(to)) = (readme.find(start), readme.find(end)) else {
        bail!("README.md lacks the {start:?} and {end:?} markers")
    };
    std::fs::write(&readme_path, format!("{}{start}{table}{}", &readme[..from], &readme[to..]))?;
    println!("\n{table}\nWritten to target/bench-results.md and README.md.");
    Ok(())
}

/// Lambda's zip stores the bootstrap deflated: its size is the deflate stream's, plus a few
/// dozen bytes of headers.
fn deflated_size(bytes: &[u8]) -> anyhow::Result<usize> {
    use std::io::Write;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

fn command_output(command: &mut Command) -> anyhow::Result<String> {
    let output = command.output()?;
    ensure!(output.status.success(), "{command:?} failed");
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_else(|| "an unknown CPU".into())
}

/// oha, the HTTP load generator, built from crates.io once per machine.
fn ensure_oha() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from).context("HOME is not set")?;
    let root = home.join(".cache/tocsin").join(format!("oha-{OHA_VERSION}"));
    let oha = root.join("bin/oha");
    if !oha.is_file() {
        eprintln!("Installing oha {OHA_VERSION} (a few minutes, once)…");
        status(
            Command::new(cargo_bin())
                .args(["install", "oha", "--version", OHA_VERSION, "--locked", "--root"])
                .arg(&root),
            "cargo install oha",
        )?;
    }
    Ok(oha)
}

fn with_moto<'a>(cargo: &'a mut Command, moto: &Moto) -> &'a mut Command {
    cargo
        .env("TOCSIN_MOTO_ENDPOINT", &moto.endpoint)
        // moto accepts any credentials; these keep the SDK from looking for real ones.
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
}

/// One moto server on a free loopback port for the whole test run, stopped when dropped.
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

/// moto's own `moto_server` is threaded, and its DynamoDB backend races under concurrent
/// transactions ("dictionary changed size during iteration", a 500). This serves the same moto
/// application one request at a time; the clients still send concurrently.
const SERIAL_MOTO_SERVER: &str = "import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app), threaded=False)";

impl Moto {
    fn start() -> anyhow::Result<Moto> {
        let importable = |module: &str| {
            Command::new("python3").args(["-c", &format!("import {module}")]).output().is_ok_and(|o| o.status.success())
        };
        if !importable("moto.moto_server.werkzeug_app") || !importable("flask_cors") {
            eprintln!("Installing moto[server] from PyPI…");
            status(
                Command::new("python3").args(["-m", "pip", "install", "--quiet", "moto[server]"]),
                "pip install moto",
            )?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new("python3")
            .args(["-c", SERIAL_MOTO_SERVER, "127.0.0.1", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("starting moto")?;
        let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            ensure!(std::time::Instant::now() < deadline, "moto did not start listening on port {port}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Ok(moto)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The public pages with a bundle of their own (`app/<page>.html`); `startup::PUBLIC_BUNDLES` in
/// `functions` serves them.
const PUBLIC_BUNDLES: [&str; 2] = ["report", "follow-up"];

/// The app's bundles, built by Trunk (release profile `wasm-release`, then `wasm-opt -Oz`; see
/// Trunk.toml): the whole app into `dist/`, and each public page's own bundle into
/// `dist/public/<page>/`, which the server sends for that page.
fn build_app(root: &Path) -> anyhow::Result<()> {
    ensure_rust_target(WASM_TARGET)?;
    let trunk = ensure_trunk()?;
    let wasm_bindgen_dir = ensure_wasm_bindgen(root)?;
    let wasm_opt_dir = ensure_wasm_opt(root)?;
    let path = std::env::join_paths(
        [wasm_bindgen_dir, wasm_opt_dir]
            .into_iter()
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )?;
    let trunk_build = |args: &[&str], what: &str| {
        status(
            Command::new(&trunk)
                .arg("build")
                .args(args)
                .env("PATH", &path)
                .env("TRUNK_SKIP_VERSION_CHECK", "true")
                .env("NO_COLOR", "true"),
            what,
        )
    };
    // The whole app first: its build empties `dist/`, the public bundles included.
    trunk_build(&[], "trunk build")?;
    precompress(&root.join("dist"))?;
    for page in PUBLIC_BUNDLES {
        let (html, dist, public_url) =
            (format!("app/{page}.html"), format!("dist/public/{page}"), format!("/public/{page}/"));
        trunk_build(&[&html, "--dist", &dist, "--public-url", &public_url], &format!("trunk build {html}"))?;
        precompress(&root.join(dist))?;
    }
    Ok(())
}

/// `.br` and `.gz` beside each built file, at the highest levels, so the local server sends them
/// as they are (`ServeDir::precompressed_*`) instead of compressing 2 MB of wasm on every load.
fn precompress(dist: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    for entry in std::fs::read_dir(dist)? {
        let path = entry?.path();
        let Some(extension) = path.extension().map(|e| e.to_string_lossy().into_owned()) else { continue };
        if !["wasm", "js", "css", "html"].contains(&extension.as_str()) {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() };
        brotli::BrotliCompress(&mut &bytes[..], &mut br, &params)?;
        std::fs::write(path.with_extension(format!("{extension}.br")), br)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes)?;
        std::fs::write(path.with_extension(format!("{extension}.gz")), gz.finish()?)?;
    }
    Ok(())
}

fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn cargo_home_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

fn status(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let status = command.status().with_context(|| format!("starting {what}"))?;
    ensure!(status.success(), "{what} failed ({status})");
    Ok(())
}

/// The first line a tool prints for `--version`, or None when it is not installed.
fn version_of(program: &Path) -> Option<String> {
    let output = Command::new(program).arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).lines().next().unwrap_or_default().to_owned())
}

fn ensure_rust_target(target: &str) -> anyhow::Result<()> {
    let output = Command::new("rustup").args(["target", "list", "--installed"]).output().context("running rustup")?;
    if String::from_utf8_lossy(&output.stdout).lines().any(|l| l.trim() == target) {
        return Ok(());
    }
    status(Command::new("rustup").args(["target", "add", target]), "rustup target add")
}

fn ensure_trunk() -> anyhow::Result<PathBuf> {
    let trunk = cargo_home_bin().join("trunk");
    if version_of(&trunk).is_some_and(|v| v == format!("trunk {TRUNK_VERSION}")) {
        return Ok(trunk);
    }
    eprintln!("Installing trunk {TRUNK_VERSION} (a long compile, done once)…");
    status(
        Command::new(cargo_bin()).args(["install", "--locked", "trunk", "--version", TRUNK_VERSION]),
        "cargo install trunk",
    )?;
    Ok(trunk)
}

/// The wasm-bindgen CLI must equal the `wasm-bindgen` crate in Cargo.lock exactly, or Trunk tries
/// to download one. Installs it when missing and returns the directory holding it.
fn ensure_wasm_bindgen(root: &Path) -> anyhow::Result<PathBuf> {
    let version = locked_version(root, "wasm-bindgen")?;
    let bin = cargo_home_bin();
    if version_of(&bin.join("wasm-bindgen")).is_some_and(|v| v == format!("wasm-bindgen {version}")) {
        return Ok(bin);
    }
    eprintln!("Installing wasm-bindgen-cli {version}…");
    let install = |locked: bool| {
        let mut command = Command::new(cargo_bin());
        command.args(["install", "wasm-bindgen-cli", "--version", &version, "--force"]);
        if locked {
            command.arg("--locked");
        }
        status(&mut command, "cargo install wasm-bindgen-cli")
    };
    // Its lock file can name a yanked crate; the unlocked resolve is the documented fallback.
    install(true).or_else(|_| install(false))?;
    Ok(bin)
}

fn locked_version(root: &Path, package: &str) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock.find(&needle).with_context(|| format!("{package} is not in Cargo.lock"))? + needle.len();
    Ok(lock[start..].split('"').next().unwrap_or_default().to_owned())
}

/// Binaryen's wasm-opt at the version `xtask/binaryen`'s lockfile pins (the one Trunk.toml asks
/// for), from npm: Trunk would download it from GitHub. Returns the directory holding it.
fn ensure_wasm_opt(root: &Path) -> anyhow::Result<PathBuf> {
    let dir = root.join("xtask/binaryen");
    let bin = dir.join("node_modules/.bin");
    if !bin.join("wasm-opt").is_file() {
        eprintln!("Installing binaryen (wasm-opt) from npm…");
        status(
            Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir),
            "npm ci in xtask/binaryen",
        )?;
    }
    Ok(bin)
}

/// axe-core for the accessibility checks, at the version and integrity `tests/a11y`'s lockfile pins.
fn ensure_axe(root: &Path) -> anyhow::Result<()> {
    let dir = root.join("tests/a11y");
    if dir.join("node_modules/axe-core/axe.min.js").is_file() {
        return Ok(());
    }
    eprintln!("Installing axe-core from npm…");
    status(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir), "npm ci in tests/a11y")
}

/// Debian's Chromium and chromedriver, for the browser tests.
fn ensure_browser() -> anyhow::Result<()> {
    let present = |p: &str| Command::new("which").arg(p).output().is_ok_and(|o| o.status.success());
    if present("chromium") && present("chromedriver") {
        return Ok(());
    }
    eprintln!("Installing Chromium and chromedriver from Debian…");
    let sudo = if Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0")) {
        None
    } else {
        Some("sudo")
    };
    let apt = |args: &[&str]| {
        let mut command = match sudo {
            Some(s) => {
                let mut c = Command::new(s);
                c.arg("apt-get");
                c
            }
            None => Command::new("apt-get"),
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        status(&mut command, "apt-get")
    };
    apt(&["update"])?;
    apt(&["install", "-y", "--no-install-recommends", "chromium", "chromium-driver"])
}
