//! `#[weft::main]` and `#[weft::test]`: run an `async fn` on a fresh weft event loop.
//!
//! Use them through the `weft` crate (`#[weft::main]`), which re-exports them.
//! Written on `proc_macro` alone (no syn), so they cost nothing to build.
#![forbid(unsafe_code)]

use proc_macro::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};

/// Runs an `async fn main` with `weft::run`.
///
/// ```
/// #[weft::main]
/// async fn main() {
///     weft::sleep(std::time::Duration::from_millis(1)).await;
///     println!("Hello from weft");
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        return error("#[weft::main] takes no arguments");
    }
    rewrite(item, "::weft::run", None, false)
}

/// Runs an `async fn` test on a fresh loop; `#[weft::test(start_paused = true)]` (or
/// `#[weft::test(paused)]`) starts with the loop clock paused, so timers complete
/// instantly and exactly (virtual time).
///
/// ```
/// #[weft::test(start_paused = true)]
/// async fn sleeps_in_virtual_time() {
///     let h = weft::Handle::current();
///     let t0 = h.time();
///     weft::sleep(std::time::Duration::from_secs(60)).await;
///     assert_eq!(h.time() - t0, std::time::Duration::from_secs(60));
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = args.to_string().replace(' ', "");
    let paused = match args.as_str() {
        "" | "start_paused=false" => false,
        "paused" | "start_paused=true" => true,
        _ => return error("#[weft::test] takes `start_paused = true|false` or `paused`"),
    };
    rewrite(item, "::weft::__private::run_test", Some(paused), true)
}

fn rewrite(item: TokenStream, runner: &str, paused: Option<bool>, test: bool) -> TokenStream {
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let Some(async_pos) = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "async"))
    else {
        return error("expected an `async fn`");
    };
    tokens.remove(async_pos);
    let Some(TokenTree::Group(body)) = tokens.pop() else {
        return error("expected a function body");
    };
    if body.delimiter() != Delimiter::Brace {
        return error("expected a function body");
    }
    let mut call: TokenStream = runner.parse().expect("runner path parses");
    let mut args = TokenStream::new();
    if let Some(p) = paused {
        args.extend([
            TokenTree::Ident(Ident::new(
                if p { "true" } else { "false" },
                Span::call_site(),
            )),
            TokenTree::Punct(Punct::new(',', Spacing::Alone)),
        ]);
    }
    args.extend([
        TokenTree::Ident(Ident::new("async", Span::call_site())),
        TokenTree::Ident(Ident::new("move", Span::call_site())),
        TokenTree::Group(body),
    ]);
    call.extend([TokenTree::Group(Group::new(Delimiter::Parenthesis, args))]);
    let mut out = TokenStream::new();
    if test {
        out.extend(
            "#[::core::prelude::v1::test]"
                .parse::<TokenStream>()
                .expect("attr parses"),
        );
    }
    out.extend(tokens);
    out.extend([TokenTree::Group(Group::new(Delimiter::Brace, call))]);
    out
}

fn error(msg: &str) -> TokenStream {
    format!("::core::compile_error!({msg:?});")
        .parse()
        .expect("error parses")
}
