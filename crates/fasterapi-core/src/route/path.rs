//! Starlette's path syntax (`/items/{id}`, `/files/{p:path}`) translated into a matchit route
//! ([`Shape`]); what it accepts is described in [`super`].

/// A registered path translated for matchit. Parameters get positional names
/// (`{0}`, `{*1}`), so routes differing only in parameter names share a shape.
pub(super) struct Shape {
    pub(super) route: String,
    /// For `{name:path}` routes: the route without the catch-all, which
    /// matches the empty tail.
    pub(super) tail: Option<String>,
    pub(super) names: Vec<Box<str>>,
}

/// Translates a Starlette-style path into a matchit [`Shape`].
pub(super) fn parse(path: &str) -> Result<Shape, String> {
    if !path.starts_with('/') {
        return Err("path must start with '/'".into());
    }
    let mut route = String::with_capacity(path.len() + 8);
    let mut names: Vec<Box<str>> = Vec::new();
    let mut tail = None;
    let mut rest = path;
    while let Some(i) = rest.find(['{', '}']) {
        route.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some((name, convertor, len)) = param_at(rest) else {
            // Literal brace: matchit escapes it by doubling.
            route.push_str(&rest[..1]);
            route.push_str(&rest[..1]);
            rest = &rest[1..];
            continue;
        };
        if names.iter().any(|n| **n == *name) {
            return Err(format!("duplicate parameter name {name:?}"));
        }
        if convertor == Some("path") {
            if len != rest.len() {
                return Err(format!("{{{name}:path}} must be at the end of the path"));
            }
            tail = Some(route.clone());
            route.push_str(&format!("{{*{}}}", names.len()));
        } else {
            route.push_str(&format!("{{{}}}", names.len()));
        }
        names.push(name.into());
        rest = &rest[len..];
        if rest.starts_with('}') {
            // matchit would read `{0}}}` as one parameter named `0}`, matching "7}" whole.
            return Err(format!(
                "a literal '}}' right after {{{name}}} is not supported"
            ));
        }
    }
    route.push_str(rest);
    // matchit panics past 25 named parameters ('a'..='y' plus one spare).
    if names.len() > 25 {
        return Err("at most 25 path parameters are supported".into());
    }
    Ok(Shape { route, tail, names })
}

/// If `s` starts with `{name}` or `{name:convertor}`, returns the name, the
/// convertor and the length of the whole parameter.
fn param_at(s: &str) -> Option<(&str, Option<&str>, usize)> {
    let body = s.strip_prefix('{')?;
    let end = body.find('}')?;
    let (name, convertor) = match body[..end].split_once(':') {
        Some((n, c)) => (n, Some(c)),
        None => (&body[..end], None),
    };
    let ident = |s: &str| {
        let mut chars = s.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    (ident(name) && convertor.is_none_or(ident)).then_some((name, convertor, end + 2))
}
