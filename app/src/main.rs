//! The whole app's bundle, which Trunk builds from `app/index.html`.

fn main() {
    tocsin_app::start(tocsin_app::App);
}
