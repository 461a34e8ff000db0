//! The public pages' bundle, which Trunk builds from `app/public.html` into `dist/public/`.

fn main() {
    tocsin_app::start(tocsin_app::PublicApp);
}
