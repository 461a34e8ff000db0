//! Small DOM chores the views need: moving focus and naming the page.

use leptos::prelude::{document, request_animation_frame};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// Moves keyboard focus (and so the screen reader and the scroll position) to an element.
pub fn focus_by_id(id: &str) {
    if let Some(element) = document().get_element_by_id(id).and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
        let _ = element.focus();
    }
}

/// Focuses an element once the view that is about to show it has rendered.
pub fn focus_after_render(id: impl Into<String>) {
    let id = id.into();
    request_animation_frame(move || focus_by_id(&id));
}

/// Names the page in the tab and for screen readers, which announce the title on navigation.
pub fn set_title(page: &str) {
    document().set_title(&format!("{page} · Tocsin"));
}
