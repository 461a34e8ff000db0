//! The report form's bundle, which Trunk builds from `app/report.html` into `dist/public/report/`.

fn main() {
    tocsin_app::start(tocsin_app::ReportApp);
}
