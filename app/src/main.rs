//! Entry point of the browser bundle Trunk builds from `app/index.html`.

fn main() {
    // Panics show up in the browser console with their message instead of "unreachable".
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(tocsin_app::App);
}
