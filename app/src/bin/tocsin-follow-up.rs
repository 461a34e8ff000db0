//! The follow-up page's bundle, which Trunk builds from `app/follow-up.html` into
//! `dist/public/follow-up/`.

fn main() {
    tocsin_app::start(tocsin_app::FollowUpApp);
}
