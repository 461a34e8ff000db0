//! The browser app as shipped: the size of each file Trunk builds (raw, gzip, brotli), for the
//! whole app and for each public page's own bundle, and the report form's first and largest
//! contentful paint in headless Chromium against a plain HTML form with the same fields and
//! stylesheet, served by the same server in the same run.
//!
//! `cargo xtask bench` builds the app first (`TOCSIN_DIST` says where it is).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::Locator;
use tocsin_tests::browser::{Browser, dist_dir};
use tocsin_tests::spawn_app_serving;

/// Loads per page; each in a fresh browser profile, so nothing comes from the cache.
const SAMPLES: usize = 7;

fn gzip(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap().len()
}

fn brotli(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).unwrap();
    out.len()
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

/// The report form as plain HTML: the same fields, labels and stylesheet, no script.
fn static_form(stylesheet: &str) -> String {
    let field = |id: &str, label: &str, input: &str| {
        format!("<div class=\"field\"><label for=\"{id}\">{label}</label>{input}</div>")
    };
    let kinds = ["Customer or user of our service", "Employee", "Third party (partner, supplier, researcher)", "Anonymous"]
        .iter()
        .enumerate()
        .map(|(i, label)| {
            format!(
                "<div class=\"choice\"><input type=\"radio\" name=\"kind\" id=\"k{i}\"><label for=\"k{i}\">{label}</label></div>"
            )
        })
        .collect::<String>();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>Report</title><link rel=\"stylesheet\" \
         href=\"{stylesheet}\"></head><body><main class=\"container\"><h1>Report a security problem</h1>\
         <p class=\"lead\">Tell us about anything that might put people's data or our systems at risk.</p>\
         <form class=\"report-form\"><fieldset class=\"field\"><legend>Who are you?</legend>{kinds}</fieldset>{}{}{}{}{}{}{}\
         <button type=\"submit\" id=\"submit-report\" class=\"button\">Send report</button></form></main></body></html>",
        field("name", "Your name", "<input id=\"name\">"),
        field("email", "Your email address", "<input id=\"email\" type=\"email\">"),
        field("description", "What happened", "<textarea id=\"description\" rows=\"8\"></textarea>"),
        field("steps", "Steps to reproduce (optional)", "<textarea id=\"steps\"></textarea>"),
        field("observed", "When did you notice it? (optional)", "<input id=\"observed\" type=\"datetime-local\">"),
        field("system", "Affected system or account (optional)", "<input id=\"system\">"),
        field("files", "Attach files (optional)", "<input id=\"files\" type=\"file\" multiple>"),
    )
}

/// First contentful paint and largest contentful paint of `url` in a fresh browser, in
/// milliseconds. The first is anything on screen (the app's loading stand-in); the second is the
/// form itself, read once the form is there and has settled.
async fn paints(url: &str) -> (f64, f64) {
    let browser = Browser::launch().await;
    let c = &browser.client;
    c.goto(url).await.unwrap();
    c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("submit-report")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = "const e = performance.getEntriesByName('first-contentful-paint')[0]; return e ? e.startTime : null";
    let largest = "const done = arguments[arguments.length - 1];
        new PerformanceObserver(list => { const e = list.getEntries(); done(e[e.length - 1].startTime); })
            .observe({ type: 'largest-contentful-paint', buffered: true });";
    let mut first_paint = serde_json::Value::Null;
    for _ in 0..50 {
        first_paint = c.execute(first, vec![]).await.unwrap();
        if !first_paint.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let largest_paint = c.execute_async(largest, vec![]).await.unwrap();
    browser.close().await;
    (
        first_paint.as_f64().expect("a first-contentful-paint entry"),
        largest_paint.as_f64().expect("a largest-contentful-paint entry"),
    )
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The files of one built bundle directory, sorted, without the subdirectories.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}; `cargo xtask bench` builds the app", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Prints one row per file (raw, gzip, brotli) and a total row; returns the stylesheet's name.
fn sizes(bundle: &str, files: &[PathBuf], total_label: &str) -> String {
    let precompressed = |path: &Path| path.extension().is_some_and(|e| e == "br" || e == "gz");
    let (mut raw_total, mut gzip_total, mut brotli_total) = (0, 0, 0);
    let mut stylesheet = String::new();
    for path in files.iter().filter(|path| !precompressed(path)) {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".css") {
            stylesheet = name.clone();
        }
        let (gz, br) = (gzip(&bytes), brotli(&bytes));
        raw_total += bytes.len();
        gzip_total += gz;
        brotli_total += br;
        println!(
            "| {bundle} file `{}`: raw / gzip / brotli | {} / {} / {} | |",
            without_content_hash(&name),
            kb(bytes.len()),
            kb(gz),
            kb(br)
        );
    }
    println!("| {total_label} | **{}** | raw {}, gzip {} |", kb(brotli_total), kb(raw_total), kb(gzip_total));
    stylesheet
}

/// `style-58b1b601d4e0518b.css` as `style-*.css`: Trunk's content hash changes with every build,
/// and would change the committed table with it.
fn without_content_hash(name: &str) -> String {
    const HASH_LEN: usize = 16;
    let hash_at = name
        .char_indices()
        .filter(|&(_, c)| c == '-')
        .map(|(at, _)| at + 1)
        .find(|&at| name.get(at..at + HASH_LEN).is_some_and(|hash| hash.bytes().all(|b| b.is_ascii_hexdigit())));
    match hash_at {
        Some(at) => format!("{}*{}", &name[..at], &name[at + HASH_LEN..]),
        None => name.to_owned(),
    }
}

#[tokio::main]
async fn main() {
    let dist = dist_dir();
    let whole = files_in(&dist);
    sizes("whole app", &whole, "whole app (the dashboard's pages): brotli");
    let report = files_in(&dist.join("public/report"));
    let stylesheet =
        sizes("report page", &report, "report page's bundle, everything the report form loads: brotli (goal ≤ 150 KB)");
    let follow_up = files_in(&dist.join("public/follow-up"));
    sizes("follow-up page", &follow_up, "follow-up page's bundle: brotli");

    // The built app (with its precompressed copies) plus the plain form beside the report page's
    // files, served together by the real server.
    let site = tempfile::tempdir().unwrap();
    for (files, into) in [
        (&whole, site.path().to_path_buf()),
        (&report, site.path().join("public/report")),
        (&follow_up, site.path().join("public/follow-up")),
    ] {
        std::fs::create_dir_all(&into).unwrap();
        for path in files {
            std::fs::copy(path, into.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(site.path().join("public/report/static-form.html"), static_form(&stylesheet)).unwrap();
    let app = spawn_app_serving(Path::new(site.path())).await;
    let (mut plain, mut wasm) = (Vec::new(), Vec::new());
    for _ in 0..SAMPLES {
        plain.push(paints(&app.url("/public/report/static-form.html")).await);
        wasm.push(paints(&app.url("/report")).await);
    }
    let first = |runs: &[(f64, f64)]| median(runs.iter().map(|run| run.0).collect());
    let largest = |runs: &[(f64, f64)]| median(runs.iter().map(|run| run.1).collect());
    let (plain_first, wasm_first) = (first(&plain), first(&wasm));
    println!(
        "| report page, first contentful paint / a plain HTML form's (goal ≤ 1.5), median of {SAMPLES} cold loads | \
         {wasm_first:.0} / {plain_first:.0} ms = **{:.2}** | the app's loading stand-in |",
        wasm_first / plain_first
    );
    let (plain_largest, wasm_largest) = (largest(&plain), largest(&wasm));
    println!(
        "| report form, largest contentful paint / a plain HTML form's, median of {SAMPLES} cold loads | \
         {wasm_largest:.0} / {plain_largest:.0} ms = **{:.2}** | the form itself |",
        wasm_largest / plain_largest
    );
}
