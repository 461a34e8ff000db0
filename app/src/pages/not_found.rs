use leptos::prelude::*;

use crate::dom;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    dom::set_title("Page not found");
    view! {
        <main id="main" class="container container--narrow">
            <h1>"Page not found"</h1>
            <p>"If you typed the address, check it is correct. If you pasted it, check you copied all of it."</p>
            <p>
                <a href="/">"Report a security problem"</a>
            </p>
        </main>
    }
}
