//! Entry point of the browser bundle Trunk builds from `app/index.html`.

fn main() {
    // Panics show up in the browser console with their message instead of "unreachable".
    console_error_panic_hook::set_once();
    // The static stand-in from index.html, painted while this bundle loaded.
    if let Some(loading) = leptos::prelude::document().get_element_by_id("app-loading") {
        loading.remove();
    }
    leptos::mount::mount_to_body(tocsin_app::App);
}
